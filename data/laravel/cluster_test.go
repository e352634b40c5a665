package laravel_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/chatwire/chatwire/core/pusher/pushertest"
	"github.com/chatwire/chatwire/data/laravel"
	"github.com/chatwire/chatwire/domain"
)

// The cluster suite (make cluster): the SDK against Soketi nodes on NATS
// (pushertest.StartCluster), with the test playing the Laravel app. It
// runs with CHATWIRE_CLUSTER=1 only, and then fails when Soketi or
// nats-server is missing.
//
// What the stack does is taken as it is (docs/pusher.md, "A cluster"):
// simultaneous presence joins on different nodes occasionally miss each
// other, so no assertion here depends on two joins racing; presence is
// checked on clients that keep their connection while others move.

// clusterWait bounds every wait of the suite: long enough never to fire on
// a healthy machine, however loaded.
const clusterWait = 2 * time.Minute

// The clients' connection: reconnect 1s after a drop (plus up to 25%);
// the default handshake timeout (10s), so the presence grace period is
// 1.25 × 1s + 10s.
var clusterConnection = laravel.ConnectionOptions{
	ReconnectDelay: time.Second, MaxReconnectDelay: 2 * time.Second,
}

// clusterEnv is a cluster and the app around it: channel authorization for
// any user ("token-X" is user X).
type clusterEnv struct {
	c    *pushertest.Cluster
	auth *pushertest.AuthServer
}

func startClusterEnv(t *testing.T, nodes int) *clusterEnv {
	t.Helper()
	if os.Getenv(pushertest.ClusterEnv) != "1" {
		t.Skipf("the cluster suite runs with %s=1 (make cluster)", pushertest.ClusterEnv)
	}
	soketi, err := pushertest.FindSoketi()
	if err != nil {
		t.Fatal(err)
	}
	nats, err := pushertest.FindNATS()
	if err != nil {
		t.Fatal(err)
	}
	c := pushertest.StartCluster(t, pushertest.ClusterOptions{
		Nodes: nodes,
		// A stopping node answers GET /ready wrongly for 2s before it exits.
		Soketi: pushertest.SoketiOptions{Bin: soketi, ShutdownGracePeriod: 2 * time.Second},
		NATS:   pushertest.NATSOptions{Bin: nats},
	})
	return &clusterEnv{c: c, auth: pushertest.NewAuthServer(t, c.Key, c.Secret)}
}

// clusterClient is one SDK client of the cluster and what it saw: the
// "tick" events on conversation 7 by sequence number, its connection
// states, and the presence statuses of others.
type clusterClient struct {
	id  string
	src *laravel.DataSource

	mu       sync.Mutex
	ticks    map[int]int // seq → copies received
	markers  map[string]bool
	states   []domain.ConnectionState
	statuses []domain.UserStatusUpdate
}

// clientOptions are a client's options: conversation 7, the presence
// channel when presence is set.
func (e *clusterEnv) clientOptions(id string, hosts []string, presence bool) laravel.Options {
	e.auth.AddUser("token-"+id, pushertest.User{ID: id, Info: map[string]string{"name": id}})
	return laravel.Options{
		Hosts:              hosts,
		Key:                e.c.Key,
		AuthEndpoint:       e.auth.Endpoint(),
		UserID:             id,
		Conversations:      []string{"7"},
		DisableUserChannel: true,
		DisablePresence:    !presence,
		Connection:         clusterConnection,
	}
}

// connect starts a client on hosts and waits until it is connected and
// subscribed.
func (e *clusterEnv) connect(t testing.TB, id string, hosts []string, presence bool) *clusterClient {
	t.Helper()
	c, err := e.start(id, e.clientOptions(id, hosts, presence))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.src.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), clusterWait)
	defer cancel()
	if err := c.src.Connect(ctx, "token-"+id); err != nil {
		t.Fatalf("%s: Connect: %v", id, err)
	}
	return c
}

// start builds a client and its recorders; the caller connects and closes
// it. The recorders end when the client closes.
func (e *clusterEnv) start(id string, o laravel.Options) (*clusterClient, error) {
	src, err := laravel.New(o)
	if err != nil {
		return nil, err
	}
	c := &clusterClient{id: id, src: src, ticks: map[int]int{}, markers: map[string]bool{}}
	ctx := context.Background() // the streams close with src
	ticks := src.Private("conversation.7").Listen(ctx, ".tick")
	markers := src.Private("conversation.7").Listen(ctx, ".marker")
	states := src.ConnectionStates(ctx)
	statuses := src.UserStatuses(ctx)
	go func() {
		for ev := range ticks {
			var d struct{ Seq int }
			if json.Unmarshal(ev.Data, &d) == nil {
				c.mu.Lock()
				c.ticks[d.Seq]++
				c.mu.Unlock()
			}
		}
	}()
	go func() {
		for ev := range markers {
			var d struct{ Via string }
			if json.Unmarshal(ev.Data, &d) == nil {
				c.mu.Lock()
				c.markers[d.Via] = true
				c.mu.Unlock()
			}
		}
	}()
	go func() {
		for st := range states {
			c.mu.Lock()
			c.states = append(c.states, st)
			c.mu.Unlock()
		}
	}()
	go func() {
		for u := range statuses {
			c.mu.Lock()
			c.statuses = append(c.statuses, u)
			c.mu.Unlock()
		}
	}()
	return c, nil
}

// copies returns how many copies of tick seq the client received.
func (c *clusterClient) copies(seq int) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ticks[seq]
}

func (c *clusterClient) hasMarker(via string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.markers[via]
}

// statusesOf returns the presence statuses the client saw for user.
func (c *clusterClient) statusesOf(user string) []domain.PresenceStatus {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []domain.PresenceStatus
	for _, u := range c.statuses {
		if u.UserID == user {
			out = append(out, u.Status)
		}
	}
	return out
}

// statesSince returns the connection states the client saw from i on.
func (c *clusterClient) statesSince(i int) []domain.ConnectionState {
	c.mu.Lock()
	defer c.mu.Unlock()
	if i > len(c.states) {
		return nil
	}
	return slices.Clone(c.states[i:])
}

// failedBefore reports whether an attempt failed among the first n states.
func (c *clusterClient) failedBefore(n int) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, st := range c.states[:min(n, len(c.states))] {
		if st.Status == domain.Reconnecting {
			return true
		}
	}
	return false
}

func (c *clusterClient) stateCount() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.states)
}

// waitUntil polls cond every 20ms until it holds or clusterWait runs out.
func waitUntil(t testing.TB, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > clusterWait {
			t.Fatalf("%s: not within %v", what, clusterWait)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return time.Since(start)
}

// trigger sends event on conversation 7 through node i's HTTP API.
func (e *clusterEnv) trigger(t testing.TB, node int, event string, data any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), clusterWait)
	defer cancel()
	if err := e.c.Nodes[node].API().Trigger(ctx, pushertest.TriggerParams{
		Channels: []string{"private-conversation.7"}, Event: event, Data: data,
	}); err != nil {
		t.Fatalf("trigger %s through node %d: %v", event, node, err)
	}
}

// flush sends a marker through each of nodes, after everything else they
// were given, and waits until every client got them all: a node relays
// what it is given in order, so the clients then hold every earlier tick.
func (e *clusterEnv) flush(t testing.TB, clients []*clusterClient, nodes ...int) {
	t.Helper()
	for _, n := range nodes {
		e.trigger(t, n, "marker", map[string]string{"via": fmt.Sprint(n)})
	}
	for _, c := range clients {
		for _, n := range nodes {
			waitUntil(t, c.id+": marker via node "+fmt.Sprint(n), func() bool { return c.hasMarker(fmt.Sprint(n)) })
		}
	}
}

func TestCluster(t *testing.T) {
	e := startClusterEnv(t, 3)
	hosts := e.c.Hosts()

	t.Run("clients spread over the nodes", func(t *testing.T) {
		per := make([]int, len(hosts))
		for i := range 45 {
			c := e.connect(t, fmt.Sprint("spread-", i), hosts, false)
			n := e.c.NodeOf(c.src.Host())
			if n < 0 {
				t.Fatalf("client on %q, not a node", c.src.Host())
			}
			per[n]++
		}
		t.Logf("45 clients: %v per node", per)
		ctx, cancel := context.WithTimeout(context.Background(), clusterWait)
		defer cancel()
		for i, node := range e.c.Nodes {
			if per[i] == 0 {
				t.Errorf("no client on node %d", i)
			}
			// The node's own count agrees with the clients'.
			waitUntil(t, fmt.Sprintf("node %d counts %d connections", i, per[i]), func() bool {
				n, err := node.Connections(ctx)
				return err == nil && n == per[i]
			})
		}
	})

	t.Run("events through any node reach every node once", func(t *testing.T) {
		var clients []*clusterClient
		for i, h := range hosts {
			clients = append(clients, e.connect(t, fmt.Sprint("fan-", i), []string{h}, false))
		}
		seq := 0
		for range 5 {
			for n := range hosts {
				seq++
				e.trigger(t, n, "tick", map[string]int{"seq": seq})
			}
		}
		e.flush(t, clients, 0, 1, 2)
		for _, c := range clients {
			for s := 1; s <= seq; s++ {
				if got := c.copies(s); got != 1 {
					t.Errorf("%s (node %d) got %d copies of tick %d (through node %d), want 1",
						c.id, e.c.NodeOf(c.src.Host()), got, s, (s-1)%len(hosts))
				}
			}
		}
	})

	t.Run("presence and whispers across nodes", func(t *testing.T) {
		ann := e.connect(t, "ann", hosts[:1], true)
		bob := e.connect(t, "bob", hosts[1:2], true) // after ann's join: no race between them
		ctx, cancel := context.WithTimeout(context.Background(), clusterWait)
		defer cancel()
		if m := bob.src.Members(); !slices.Contains(m, "ann") || !slices.Contains(m, "bob") {
			t.Fatalf("bob (node 1) sees members %v, want ann (node 0) and bob", m)
		}
		waitUntil(t, "ann sees bob online", func() bool { return slices.Contains(ann.statusesOf("bob"), domain.StatusOnline) })
		typing := bob.src.Typing(ctx)
		if err := ann.src.SendTyping(ctx, "7", true); err != nil {
			t.Fatal(err)
		}
		if ti := recv(t, typing, "ann's whisper on node 1"); ti.UserID != "ann" || !ti.IsTyping || ti.ConversationID != "7" {
			t.Fatalf("bob got %+v", ti)
		}
		start := time.Now()
		_ = bob.src.Close()
		waitUntil(t, "ann sees bob offline", func() bool { return slices.Contains(ann.statusesOf("bob"), domain.StatusOffline) })
		t.Logf("bob's leave reached ann %v after bob closed (grace 11.25s)", time.Since(start).Round(time.Millisecond))
	})
}
