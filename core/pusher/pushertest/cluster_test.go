package pushertest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/chatwire/chatwire/core/pusher"
)

// The cluster's parts work: every node answers, is ready and counts its
// connections; a stopped node says it is not ready.
func TestClusterLifecycle(t *testing.T) {
	requireClusterSuite(t)
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

// What the stack does, confirmed here (docs/pusher.md, "A cluster").

func requireClusterSuite(t *testing.T) {
	t.Helper()
	if os.Getenv(ClusterEnv) != "1" {
		t.Skipf("the cluster suite runs with %s=1 (make cluster)", ClusterEnv)
	}
}

// A node started with no NATS reachable exits.
func TestStackNodeWithoutNATSExits(t *testing.T) {
	requireClusterSuite(t)
	n := StartNATS(t, NATSOptions{})
	n.Kill()
	s, err := RunSoketi(SoketiOptions{Bin: RequireSoketi(t), NATS: n})
	if err == nil {
		_ = s.Close()
		t.Fatal("a node without NATS started")
	}
	if !errors.Is(err, errExited) {
		t.Fatalf("start: %v, want the node to exit", err)
	}
}

// After a NATS restart the nodes are broken: the adapter does not
// reconnect. A publish through the HTTP API gets no answer at all (the node
// stays up, and GET /ready still says OK), and the next query to the other
// nodes (a new WebSocket connection makes one: it counts the app's
// connections) ends the node.
func TestStackNATSRestartBreaksTheNodes(t *testing.T) {
	requireClusterSuite(t)
	c := StartCluster(t, ClusterOptions{Nodes: 2})
	c.NATS.Restart()
	node := c.Nodes[0]
	exited := node.Exited()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := node.API().Trigger(ctx, TriggerParams{Channels: []string{"c"}, Event: "e", Data: "{}"}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("trigger after the NATS restart: %v, want no answer", err)
	}
	if !node.Running() {
		t.Fatal("the node exited at an HTTP publish")
	}
	// Its health check does not tell.
	rctx, rcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer rcancel()
	if ok, err := node.Ready(rctx); !ok || err != nil {
		t.Fatalf("Ready() = %v, %v: the broken node says it is not ready after all", ok, err)
	}
	ws, _, err := websocket.DefaultDialer.Dial("ws://"+node.Host()+"/app/"+c.Key+"?protocol=7", nil)
	if err == nil {
		defer ws.Close()
	}
	select {
	case <-exited:
	case <-time.After(30 * time.Second):
		t.Fatal("the node still runs after a new connection")
	}
}

// Soketi's adapter counts the connections of its NATS account to know how
// many nodes answer a cross-node query: one more client in the account,
// and every such query (a presence join makes two) waits for its 5s
// timeout.
func TestStackSoketiNeedsItsOwnAccount(t *testing.T) {
	requireClusterSuite(t)
	c := StartCluster(t, ClusterOptions{Nodes: 2})
	join := func() time.Duration {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		client, err := pusher.New(pusher.Options{Host: c.Nodes[0].Host(), Key: c.Key, Authorizer: signerFor(c)})
		if err != nil {
			t.Fatal(err)
		}
		defer client.Close()
		if err := client.Connect(ctx); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		if _, err := client.Subscribe(ctx, "presence-account"); err != nil {
			t.Fatal(err)
		}
		return time.Since(start)
	}
	alone := join()
	foreign, err := net.Dial("tcp", c.NATS.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer foreign.Close()
	if _, err := fmt.Fprintf(foreign, "CONNECT {\"user\":%q,\"pass\":%q,\"verbose\":false}\r\nPING\r\n", c.NATS.User, c.NATS.Password); err != nil {
		t.Fatal(err)
	}
	if line, err := bufio.NewReader(foreign).ReadString('\n'); err != nil || !strings.HasPrefix(line, "INFO") {
		t.Fatalf("foreign client: %q, %v", line, err)
	}
	shared := join()
	t.Logf("presence join: %v with Soketi alone in its account, %v with one more client", alone, shared)
	if shared < 5*time.Second {
		t.Fatalf("with a foreign client in the account the join took %v, want the adapter's 5s request timeout at least", shared)
	}
}

// A stopping node answers GET /ready with HTTP 200 and an error body, for
// its whole shutdown grace period: a health check must read the body.
func TestStackStoppingNodeReadyIs200WithAnErrorBody(t *testing.T) {
	requireClusterSuite(t)
	c := StartCluster(t, ClusterOptions{Nodes: 2, Soketi: SoketiOptions{ShutdownGracePeriod: 2 * time.Second}})
	node := c.Nodes[0]
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		node.Stop()
	}()
	defer func() { <-stopped }()
	for {
		resp, err := http.Get(node.URL() + "/ready")
		if err != nil {
			t.Fatalf("the node stopped answering before it said it was closing: %v", err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(body) == "OK" {
			time.Sleep(10 * time.Millisecond)
			continue
		}
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"error"`) {
			t.Fatalf("closing node: HTTP %d %s, want 200 with an error body", resp.StatusCode, body)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if ok, err := node.Ready(ctx); ok || err != nil {
			t.Fatalf("Ready() = %v, %v on a closing node", ok, err)
		}
		return
	}
}

// signerFor signs subscriptions with the cluster's secret, as the app's
// backend would, for user "u".
func signerFor(c *Cluster) pusher.Authorizer {
	return authorizerFunc(func(_ context.Context, socketID, channel string) (pusher.Auth, error) {
		data := `{"user_id":"u"}`
		return pusher.Auth{Auth: pusher.SignChannel(c.Key, c.Secret, socketID, channel, data), ChannelData: data}, nil
	})
}

type authorizerFunc func(ctx context.Context, socketID, channel string) (pusher.Auth, error)

func (f authorizerFunc) Authorize(ctx context.Context, socketID, channel string) (pusher.Auth, error) {
	return f(ctx, socketID, channel)
}

// CI builds the nats-server version the suite names.
func TestNATSVersionMatchesCI(t *testing.T) {
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(root + "/.ci/cluster/install.sh")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "version="+NATSVersion+"\n") {
		t.Errorf(".ci/cluster/install.sh does not build nats-server %s", NATSVersion)
	}
}
