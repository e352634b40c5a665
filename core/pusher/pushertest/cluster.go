package pushertest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// ClusterOptions configure StartCluster. Zero values take the documented
// defaults.
type ClusterOptions struct {
	// Nodes is how many Soketi nodes share the broker; zero means 3.
	Nodes int
	// Soketi configures every node: its NATS and Metrics fields are set by
	// the cluster (every node has /metrics); the app credentials are the
	// same on every node.
	Soketi SoketiOptions
	// NATS configures the broker.
	NATS NATSOptions
}

// Cluster is a Soketi cluster on loopback: a nats-server and Soketi nodes
// on its "nats" adapter, each node with its own ports, serving one app.
// An event triggered through any node's HTTP API reaches the subscribers
// of every node; presence and client events cross nodes.
//
// What this stack does (docs/pusher.md, "A cluster"): a node started with
// no NATS reachable exits; after a NATS restart the adapter does not
// reconnect: HTTP publishes go unanswered and a node exits at its next
// query to the others (the next WebSocket connection makes one); Soketi
// needs the NATS account to itself; a stopping node answers GET /ready
// with HTTP 200 and an error body.
//
// Concurrency: as Soketi.
type Cluster struct {
	NATS  *NATS
	Nodes []*Soketi
	// AppID, Key, Secret and EncryptionMasterKey are the app's, the same
	// on every node.
	AppID, Key, Secret, EncryptionMasterKey string
}

// StartCluster starts a NATS server and the Soketi nodes on free loopback
// ports, waits until every node answers, and stops them all when the test
// ends. It skips or fails the test as RequireSoketi and RequireNATS do when
// an executable is missing.
func StartCluster(t testing.TB, opts ClusterOptions) *Cluster {
	t.Helper()
	if opts.Soketi.Bin == "" {
		opts.Soketi.Bin = RequireSoketi(t)
	}
	if opts.NATS.Bin == "" {
		opts.NATS.Bin = RequireNATS(t)
	}
	c, err := RunCluster(opts)
	if err != nil {
		t.Fatalf("%v", err)
	}
	c.NATS.t = t
	for _, n := range c.Nodes {
		n.t = t
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// RunCluster starts a cluster, for programs and tests alike (StartCluster
// is the test wrapper). The caller must Close it.
func RunCluster(opts ClusterOptions) (*Cluster, error) {
	if opts.Nodes <= 0 {
		opts.Nodes = 3
	}
	n, err := RunNATS(opts.NATS)
	if err != nil {
		return nil, err
	}
	c := &Cluster{NATS: n}
	so := opts.Soketi
	so.NATS, so.Metrics = n, true
	for range opts.Nodes {
		s, err := newSoketi(so)
		if err != nil {
			_ = c.Close()
			return nil, err
		}
		c.Nodes = append(c.Nodes, s)
	}
	first := c.Nodes[0]
	c.AppID, c.Key, c.Secret, c.EncryptionMasterKey = first.AppID, first.Key, first.Secret, first.EncryptionMasterKey
	// Started one by one: each node's start is a node process loading
	// Soketi, which two cores do better in turn.
	for _, s := range c.Nodes {
		s.EncryptionMasterKey = c.EncryptionMasterKey
		if err := s.start(); err != nil {
			_ = c.Close()
			return nil, err
		}
	}
	return c, nil
}

// Hosts returns every node's "127.0.0.1:port", in node order.
func (c *Cluster) Hosts() []string {
	hosts := make([]string, len(c.Nodes))
	for i, n := range c.Nodes {
		hosts[i] = n.Host()
	}
	return hosts
}

// NodeOf returns the index of the node whose Host is host, or -1.
func (c *Cluster) NodeOf(host string) int {
	for i, n := range c.Nodes {
		if n.Host() == host {
			return i
		}
	}
	return -1
}

// Close kills every node and the broker. Idempotent.
func (c *Cluster) Close() error {
	var errs []error
	for _, n := range c.Nodes {
		errs = append(errs, n.Close())
	}
	if c.NATS != nil {
		errs = append(errs, c.NATS.Close())
	}
	return errors.Join(errs...)
}

// Ready asks the node's GET /ready whether it takes new connections. A
// stopping Soketi answers HTTP 200 with an error body
// ({"error":"The server is closing...","code":500}), so ready means 200
// with the body "OK", nothing else. err is set when the node did not
// answer.
func (s *Soketi) Ready(ctx context.Context) (ready bool, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL()+"/ready", nil)
	if err != nil {
		return false, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false, fmt.Errorf("soketi: ready: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	return resp.StatusCode == http.StatusOK && strings.TrimSpace(string(body)) == "OK", nil
}

// Connections returns how many WebSocket connections the node holds, from
// its /metrics (soketi_connected; SoketiOptions.Metrics must be set, as it
// is on a Cluster's nodes).
func (s *Soketi) Connections(ctx context.Context) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://127.0.0.1:"+strconv.Itoa(s.MetricsPort)+"/metrics", nil)
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, fmt.Errorf("soketi: metrics: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("soketi: metrics: HTTP %d", resp.StatusCode)
	}
	total := 0
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "soketi_connected{") && !strings.HasPrefix(line, "soketi_connected ") {
			continue
		}
		fields := strings.Fields(line)
		v, err := strconv.ParseFloat(fields[len(fields)-1], 64)
		if err != nil {
			return 0, fmt.Errorf("soketi: metrics: %q: %w", line, err)
		}
		total += int(v)
	}
	return total, sc.Err()
}

// ClusterEnv, set to "1", runs the cluster suite (make cluster sets it):
// tests that need a Cluster skip without it, so make test stays quick.
const ClusterEnv = "CHATWIRE_CLUSTER"
