package pushertest

import (
	"context"
	"os"
	"testing"
	"time"
)

// The cluster's parts work: every node answers, is ready and counts its
// connections; a stopped node says it is not ready.
func TestClusterLifecycle(t *testing.T) {
	if os.Getenv(ClusterEnv) != "1" {
		t.Skipf("the cluster suite runs with %s=1 (make cluster)", ClusterEnv)
	}
	c := StartCluster(t, ClusterOptions{Nodes: 2})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if len(c.Hosts()) != 2 || c.NodeOf(c.Hosts()[1]) != 1 {
		t.Fatalf("hosts %v", c.Hosts())
	}
	for i, n := range c.Nodes {
		if ok, err := n.Ready(ctx); !ok || err != nil {
			t.Fatalf("node %d: ready %v, %v", i, ok, err)
		}
		if got, err := n.Connections(ctx); got != 0 || err != nil {
			t.Fatalf("node %d: %d connections, %v", i, got, err)
		}
		if err := n.API().Trigger(ctx, TriggerParams{Channels: []string{"c"}, Event: "e", Data: "{}"}); err != nil {
			t.Fatalf("node %d: trigger: %v", i, err)
		}
	}
	c.Nodes[0].Kill()
	if c.Nodes[0].Running() {
		t.Fatal("killed node still running")
	}
	if _, err := c.Nodes[0].Ready(ctx); err == nil {
		t.Fatal("killed node answers /ready")
	}
	c.Nodes[0].Start()
	if ok, err := c.Nodes[0].Ready(ctx); !ok || err != nil {
		t.Fatalf("restarted node: ready %v, %v", ok, err)
	}
}
