package data_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/chatwire/chatwire/core/network"
	"github.com/chatwire/chatwire/core/network/coderws"
	"github.com/chatwire/chatwire/data"
	"github.com/chatwire/chatwire/data/chattest"
	"github.com/chatwire/chatwire/domain"
)

// coderTransport makes a data source dial with the coder/websocket client
// and counts the clients it makes.
func coderTransport(made *atomic.Int32) func(*data.Options) {
	return func(o *data.Options) {
		o.Transport = func() network.WebSocketClient {
			made.Add(1)
			return coderws.NewClient(coderws.Options{})
		}
	}
}

// coderInbox collects what a Messages stream delivers.
type coderInbox struct {
	mu   sync.Mutex
	msgs []domain.Message
}

func (b *coderInbox) len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.msgs)
}

// The end-to-end scenario over the coder/websocket transport: two users
// connect and talk, the server drops every connection while messages are in
// flight and one is posted server-side, both reconnect over coder/websocket,
// and each user sees every message exactly once, in per-sender order.
func TestCoderwsTransportEndToEnd(t *testing.T) {
	srv := newServer(t, chattest.Options{})
	if err := srv.CreateConversation("general", "", "alice", "bob"); err != nil {
		t.Fatal(err)
	}
	var made atomic.Int32
	users := []string{"alice", "bob"}
	sources := map[string]*data.ChatWebSocketDataSource{}
	inboxes := map[string]*coderInbox{}
	var readers sync.WaitGroup
	ctx, stop := context.WithCancel(t.Context())
	defer stop()
	for _, u := range users {
		src := dial(t, srv, u, coderTransport(&made))
		box := &coderInbox{}
		ch := src.Messages(ctx)
		readers.Add(1)
		go func() {
			defer readers.Done()
			for m := range ch {
				box.mu.Lock()
				box.msgs = append(box.msgs, m)
				box.mu.Unlock()
			}
		}()
		sources[u], inboxes[u] = src, box
	}
	if got := made.Load(); got != 2 {
		t.Fatalf("made %d coder/websocket clients for two connects, want 2", got)
	}

	var mu sync.Mutex
	confirmed := map[string][]domain.Message{} // by sender, in send order
	talk := func(round string) {
		var wg sync.WaitGroup
		for _, u := range users {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range 5 {
					m := send(t, sources[u], "general", fmt.Sprintf("%s-%s-%d", u, round, i))
					mu.Lock()
					confirmed[u] = append(confirmed[u], m)
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
	}

	talk("before")
	srv.DropAll()
	posted, err := srv.Post(chattest.Message{ConversationID: "general", SenderID: "bob", Content: "posted while alice was away"})
	if err != nil {
		t.Fatal(err)
	}
	talk("after") // sends wait in the outbox until the reconnect
	want := 2*2*5 + 1

	for _, u := range users {
		box := inboxes[u]
		eventually(t, u+" receives every message", func() bool { return box.len() >= want })
	}
	if got := made.Load(); got < 4 {
		t.Errorf("made %d coder/websocket clients, want at least 4 (two connects, two reconnects)", got)
	}
	for _, u := range users {
		if st := sources[u].ConnectionState(); st.Status != domain.Connected {
			t.Errorf("%s ends in %v, want connected", u, st.Status)
		}
	}
	quiet(t, sources["alice"].Messages(ctx), "message after the scenario")

	for _, u := range users {
		_ = sources[u].Close()
	}
	readers.Wait()
	for _, u := range users {
		box := inboxes[u]
		seen := map[string]int{}
		order := map[string][]string{}
		for _, m := range box.msgs {
			seen[m.ID]++
			order[m.SenderID] = append(order[m.SenderID], m.ID)
		}
		if len(box.msgs) != want || len(seen) != want {
			t.Errorf("%s received %d messages (%d distinct), want %d", u, len(box.msgs), len(seen), want)
		}
		if seen[posted.ID] != 1 {
			t.Errorf("%s received the server-side post %d times, want once", u, seen[posted.ID])
		}
		for sender, ms := range confirmed {
			got := order[sender]
			if sender == "bob" { // the server-side post is bob's too
				got = without(got, posted.ID)
			}
			if len(got) != len(ms) {
				t.Errorf("%s received %d of %s's messages, want %d", u, len(got), sender, len(ms))
				continue
			}
			for i, m := range ms {
				if seen[m.ID] != 1 || got[i] != m.ID {
					t.Errorf("%s: %s's message %q seen %d times or out of order", u, sender, m.Content, seen[m.ID])
					break
				}
			}
		}
	}
}

func without(ids []string, id string) []string {
	out := make([]string, 0, len(ids))
	for _, x := range ids {
		if x != id {
			out = append(out, x)
		}
	}
	return out
}
