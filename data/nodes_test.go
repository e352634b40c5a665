package data_test

// A service of several nodes sharing users and history: clients spread
// over the nodes, and the clients of a node that dies move to the others
// and catch up there, with nothing lost or repeated.

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chatwire/chatwire/data"
	"github.com/chatwire/chatwire/data/chattest"
	"github.com/chatwire/chatwire/domain"
)

// node is one listener in front of a shared reference server.
type node struct {
	hs       *httptest.Server
	upgrades atomic.Int32
	down     atomic.Bool

	mu    sync.Mutex
	conns []net.Conn // every connection accepted, upgraded ones included
}

func newNode(t *testing.T, srv *chattest.Server) *node {
	n := &node{}
	h := srv.Handler()
	n.hs = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.down.Load() {
			http.Error(w, "node down", http.StatusServiceUnavailable)
			return
		}
		n.upgrades.Add(1)
		h.ServeHTTP(w, r)
	}))
	n.hs.Config.ConnState = func(c net.Conn, st http.ConnState) {
		if st == http.StateNew {
			n.mu.Lock()
			n.conns = append(n.conns, c)
			n.mu.Unlock()
		}
	}
	n.hs.Start()
	t.Cleanup(n.hs.Close)
	return n
}

func (n *node) url() string { return "ws" + strings.TrimPrefix(n.hs.URL, "http") }

// kill drops every connection of the node, as a crashed node would, and
// refuses new ones.
func (n *node) kill() {
	n.down.Store(true)
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, c := range n.conns {
		_ = c.Close()
	}
}

func TestClientsSpreadOverNodesAndFailOver(t *testing.T) {
	srv := newServer(t, chattest.Options{})
	a, b, c := newNode(t, srv), newNode(t, srv), newNode(t, srv)
	users := make([]string, 40)
	for i := range users {
		users[i] = fmt.Sprint("u", i)
	}
	if err := srv.CreateConversation("c1", "", append([]string{"bob"}, users...)...); err != nil {
		t.Fatal(err)
	}
	nodes := func(o *data.Options) { o.BaseURL, o.Nodes = a.url(), []string{b.url(), c.url()} }
	inboxes := make([]<-chan domain.Message, len(users))
	for i, u := range users {
		src := newSource(t, srv, u, nodes)
		inboxes[i] = src.Messages(t.Context())
		if err := src.Connect(t.Context(), srv.IssueToken(u)); err != nil {
			t.Fatal(err)
		}
	}
	onA, onB, onC := a.upgrades.Load(), b.upgrades.Load(), c.upgrades.Load()
	if onA == 0 || onB == 0 || onC == 0 {
		t.Fatalf("40 clients did not spread: %d, %d, %d", onA, onB, onC)
	}
	a.kill()
	for _, content := range []string{"while a is dead", "after"} {
		if _, err := srv.Post(chattest.Message{ConversationID: "c1", SenderID: "bob", Content: content}); err != nil {
			t.Fatal(err)
		}
	}
	for i, in := range inboxes {
		for _, want := range []string{"while a is dead", "after"} {
			if m := recv(t, in); m.Content != want {
				t.Fatalf("%s got %q, want %q", users[i], m.Content, want)
			}
		}
	}
	time.Sleep(150 * time.Millisecond)
	for i, in := range inboxes {
		if n := len(in); n != 0 {
			t.Errorf("%s received %d more messages", users[i], n)
		}
	}
	movedB, movedC := b.upgrades.Load()-onB, c.upgrades.Load()-onC
	if movedB+movedC != onA || movedB == 0 || movedC == 0 {
		t.Errorf("the %d clients of the dead node moved %d to b and %d to c; want all of them, over both", onA, movedB, movedC)
	}
}
