package pusher_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/chatwire/chatwire/core/clock"
	"github.com/chatwire/chatwire/core/network"
	"github.com/chatwire/chatwire/core/pusher"
)

// A client of a cluster: several hosts, each client in its own order.

// node is a scripted server that greets every connection by itself, with
// socket ids of its own, and remembers them.
type node struct {
	fs   *fakeServer
	name string

	mu       sync.Mutex
	conns    []*fakeConn
	draining bool
}

func newNode(t *testing.T, name string) *node {
	n := &node{fs: newFakeServer(t), name: name}
	go func() {
		for i := 0; ; i++ {
			select {
			case fc := <-n.fs.conns:
				// Listed and greeted in one step: a drain that follows a
				// client's Connect reaches its connection, and never
				// closes it between the two.
				n.mu.Lock()
				if n.draining {
					n.mu.Unlock()
					refuseDraining(fc)
					continue
				}
				n.conns = append(n.conns, fc)
				fc.send(`{"event":"pusher:connection_established","data":"{\"socket_id\":\"` + fmt.Sprintf("%s.%d", name, i) + `\",\"activity_timeout\":30}"}`)
				n.mu.Unlock()
			case <-t.Context().Done():
				return
			}
		}
	}()
	return n
}

func (n *node) host() string { return n.fs.host() }

// accepted returns how many connections the node has taken and greeted.
func (n *node) accepted() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return len(n.conns)
}

// drain plays a draining Soketi: pusher:error 4200 and a close with 4200
// on every open connection; new ones get the same at once.
func (n *node) drain() {
	n.mu.Lock()
	n.draining = true
	conns := n.conns
	n.mu.Unlock()
	for _, fc := range conns {
		select {
		case <-fc.done:
			continue
		default:
		}
		refuseDraining(fc)
	}
}

// refuseDraining sends what a draining Soketi sends: pusher:error 4200 and
// a close with 4200.
func refuseDraining(fc *fakeConn) {
	fc.send(`{"event":"pusher:error","data":{"code":4200,"message":"Server closed. Please reconnect shortly."}}`)
	fc.closeWith(4200, "")
}

// kill drops every connection without a close frame, as a crashed node.
func (n *node) kill() {
	n.mu.Lock()
	conns := n.conns
	n.mu.Unlock()
	for _, fc := range conns {
		fc.ws.NetConn().Close()
	}
}

func clusterClient(t *testing.T, clk clock.Clock, hosts ...string) *pusher.Client {
	t.Helper()
	return newClient(t, pusher.Options{Hosts: hosts, Key: "key", Manager: network.ManagerOptions{
		Clock: clk, ReconnectDelay: time.Second, MaxReconnectDelay: time.Second,
	}})
}

// Clients start at a random node: twenty of them use both nodes, and each
// knows which node it is on.
func TestClientsSpreadOverHosts(t *testing.T) {
	a, b := newNode(t, "a"), newNode(t, "b")
	clk := clock.NewFake(time.Now())
	for range 20 {
		c := clusterClient(t, clk, a.host(), b.host())
		if err := c.Connect(testCtx(t)); err != nil {
			t.Fatal(err)
		}
		if h := c.Host(); h != a.host() && h != b.host() {
			t.Fatalf("Host() = %q, not a node", h)
		}
	}
	if a.accepted() == 0 || b.accepted() == 0 {
		t.Fatalf("20 clients did not spread: %d on a, %d on b", a.accepted(), b.accepted())
	}
}

// A draining node (4200) sends its clients on at once, to the other nodes
// in each client's own order: the clients of the drained node spread over
// both others rather than all moving to one.
func TestDrainedNodeClientsSpreadOverTheOthers(t *testing.T) {
	nodes := []*node{newNode(t, "a"), newNode(t, "b"), newNode(t, "c")}
	hosts := []string{nodes[0].host(), nodes[1].host(), nodes[2].host()}
	clk := clock.NewFake(time.Now()) // never advanced: only immediate reconnects happen
	var onA []*pusher.Client
	for len(onA) < 20 {
		c := clusterClient(t, clk, hosts...)
		if err := c.Connect(testCtx(t)); err != nil {
			t.Fatal(err)
		}
		if c.Host() == hosts[0] {
			onA = append(onA, c)
		} else {
			_ = c.Close()
		}
	}
	before := []int{nodes[1].accepted(), nodes[2].accepted()}
	nodes[0].drain()
	for i, c := range onA {
		eventually(t, fmt.Sprintf("client %d on another node", i), func() bool {
			h := c.Host()
			return h != "" && h != hosts[0]
		})
	}
	movedB, movedC := nodes[1].accepted()-before[0], nodes[2].accepted()-before[1]
	if movedB+movedC != len(onA) || movedB == 0 || movedC == 0 {
		t.Fatalf("the drained node's %d clients moved %d to b and %d to c, want both used", len(onA), movedB, movedC)
	}
}

// A node that refuses new connections while it drains (pusher:error 4200
// before connection_established, as Soketi does) is skipped at once.
func TestDrainingNodeRefusalMovesOn(t *testing.T) {
	draining, live := newFakeServer(t), newNode(t, "live")
	go func() {
		for {
			select {
			case fc := <-draining.conns:
				fc.send(`{"event":"pusher:error","data":{"code":4200,"message":"Server is closing. Please reconnect shortly."}}`)
				fc.closeWith(4200, "")
			case <-t.Context().Done():
				return
			}
		}
	}()
	clk := clock.NewFake(time.Now()) // never advanced: backing off would hang
	for range 5 {
		c := clusterClient(t, clk, draining.host(), live.host())
		if err := c.Connect(testCtx(t)); err != nil {
			t.Fatal(err)
		}
		if c.Host() != live.host() {
			t.Fatalf("connected to %s, want the live node", c.Host())
		}
	}
}

// A lost connection (a killed node: no close frame) backs off as usual,
// then dials another node; the subscriptions and their authorization
// follow to it, for the new socket id.
func TestLostNodeBacksOffThenMovesOn(t *testing.T) {
	a, b := newNode(t, "a"), newNode(t, "b")
	clk := clock.NewFake(time.Now())
	auth := &signer{}
	c := newClient(t, pusher.Options{Hosts: []string{a.host(), b.host()}, Key: "key", Authorizer: auth,
		Manager: network.ManagerOptions{Clock: clk, ReconnectDelay: time.Second, MaxReconnectDelay: time.Second}})
	ctx := testCtx(t)
	states := c.States(ctx)
	if err := c.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	first, other := a, b
	if c.Host() == b.host() {
		first, other = b, a
	}
	first.mu.Lock()
	fc := first.conns[0]
	first.mu.Unlock()
	ch := subscribeFake(t, c, fc, "private-room")
	first.kill()
	var sc network.StateChange
	for sc.State != network.StateReconnecting {
		sc = recv(t, states, "reconnecting")
	}
	if sc.Delay < time.Second || sc.Delay > 1250*time.Millisecond {
		t.Fatalf("reconnect delay %v, want the first backoff: 1s plus up to 25%%", sc.Delay)
	}
	if other.accepted() != 0 {
		t.Fatal("dialled the next node before the backoff")
	}
	advanceUntil(t, clk, sc.Delay, "connected to the other node", func() bool { return c.Host() == other.host() })
	other.mu.Lock()
	fc2 := other.conns[0]
	other.mu.Unlock()
	f := fc2.expect(pusher.EventSubscribe)
	if d := subscribeData(t, f); d.Channel != "private-room" || d.Auth != pusher.SignChannel("key", "secret", c.SocketID(), "private-room", "") {
		t.Fatalf("resubscribe %+v, want private-room signed for %s", d, c.SocketID())
	}
	fc2.send(`{"event":"pusher_internal:subscription_succeeded","channel":"private-room","data":"{}"}`)
	if err := ch.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	if got := auth.signed(); len(got) != 2 || got[1] != c.SocketID() {
		t.Fatalf("signed for %v, want the old and the new socket id", got)
	}
}

func TestHostOptions(t *testing.T) {
	for _, o := range []pusher.Options{
		{Key: "key"},
		{Key: "key", Hosts: []string{""}},
		{Key: "key", Hosts: []string{"ws://127.0.0.1:1/app"}},
	} {
		if _, err := pusher.New(o); err == nil {
			t.Errorf("New(%+v) = nil error, want the host refused", o)
		}
	}
	c := newClient(t, pusher.Options{Key: "key", Hosts: []string{"127.0.0.1:1"}})
	if c.Host() != "" {
		t.Fatalf("Host() = %q before Connect", c.Host())
	}
}
