package data_test

// A Store keeps a session across data sources: unfinished sends, the
// position and the cache. These tests use the memory store; the SQLite
// store runs the same contract in its package.

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/chatwire/chatwire/data"
	"github.com/chatwire/chatwire/data/chattest"
	"github.com/chatwire/chatwire/domain"
)

func withStore(st data.Store) func(*data.Options) {
	return func(o *data.Options) { o.Store = st }
}

// Sends queued during an outage survive the data source that made them:
// the next one resends them with their client ids, reports how each ended,
// and the server stores each once, in order.
func TestStoreResendsWhatAnEarlierSessionLeft(t *testing.T) {
	srv := newServerWith(t, "c1", "alice", "bob")
	store := data.NewMemoryStore(0)
	first := dial(t, srv, "alice", withStore(store))
	srv.Stop()
	var calls []<-chan sendOutcome
	for i := range 3 {
		calls = append(calls, sendAsync(first, fmt.Sprint("offline ", i)))
		eventually(t, "queued", func() bool {
			st, _ := store.Load(t.Context())
			return len(st.Sends) == i+1
		})
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	for _, c := range calls {
		if r := recv(t, c); !errors.Is(r.err, domain.ErrClosed) {
			t.Fatalf("send at Close: %v, want ErrClosed", r.err)
		}
	}

	second := newSource(t, srv, "alice", withStore(store))
	pending, _ := second.PendingSends(t.Context())
	if len(pending) != 3 || pending[0].Content != "offline 0" {
		t.Fatalf("pending sends before connecting: %+v", pending)
	}
	results := second.RecoveredSends(t.Context())
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	if err := second.Connect(t.Context(), srv.IssueToken("alice")); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		r := recv(t, results)
		if r.Err != nil || r.Message.Content != fmt.Sprint("offline ", i) || r.ClientID != pending[i].ClientID {
			t.Fatalf("recovered send %d ended with %+v", i, r)
		}
	}
	stored, _ := srv.Messages("c1")
	if len(stored) != 3 {
		t.Fatalf("server stored %d messages, want 3", len(stored))
	}
	eventually(t, "store emptied", func() bool {
		st, _ := store.Load(t.Context())
		return len(st.Sends) == 0
	})
}

// The position survives: a new data source with the store syncs exactly
// what happened while no session was open, and the cache shows what the
// user saw before the network answers.
func TestStoreResumesFromTheStoredPosition(t *testing.T) {
	srv := newServer(t, chattest.Options{})
	if err := srv.CreateConversation("c1", "Team", "alice", "bob"); err != nil {
		t.Fatal(err)
	}
	store := data.NewMemoryStore(0)
	first := newSource(t, srv, "alice", withStore(store))
	msgs := first.Messages(t.Context())
	if err := first.Connect(t.Context(), srv.IssueToken("alice")); err != nil {
		t.Fatal(err)
	}
	post := func(content string) {
		if _, err := srv.Post(chattest.Message{ConversationID: "c1", SenderID: "bob", Content: content}); err != nil {
			t.Fatal(err)
		}
	}
	post("seen 1")
	post("seen 2")
	recv(t, msgs)
	recv(t, msgs)
	_ = first.Close()
	post("missed 1")
	post("missed 2")

	second := newSource(t, srv, "alice", withStore(store))
	cached, _ := second.CachedMessages(t.Context(), "c1", 10)
	if got := contents(cached); fmt.Sprint(got) != "[seen 1 seen 2]" {
		t.Fatalf("cached before connecting: %v", got)
	}
	convs, _ := second.CachedConversations(t.Context())
	if len(convs) != 1 || convs[0].LastMessage == nil || convs[0].LastMessage.Content != "seen 2" || convs[0].UnreadCount == nil || *convs[0].UnreadCount != 2 {
		t.Fatalf("cached conversations: %+v", convs)
	}
	msgs2 := second.Messages(t.Context())
	if err := second.Connect(t.Context(), srv.IssueToken("alice")); err != nil {
		t.Fatal(err)
	}
	var got []string
	for range 2 {
		got = append(got, recv(t, msgs2).Content)
	}
	if fmt.Sprint(got) != "[missed 1 missed 2]" {
		t.Fatalf("after the restart got %v, want exactly the missed ones", got)
	}
	quiet(t, msgs2, "message")
	eventually(t, "cache has all four", func() bool {
		m, _ := store.Messages(t.Context(), "c1", 10)
		return len(m) == 4
	})
}

// A store belongs to one account: another server is refused by New;
// another user's session leaves it untouched and goes on without it.
func TestStoreBelongsToOneAccount(t *testing.T) {
	srv := newServerWith(t, "c1", "alice", "bob")
	store := data.NewMemoryStore(0)
	alice := dial(t, srv, "alice", withStore(store))
	srv.Stop()
	pending := sendAsync(alice, "alice's, offline")
	eventually(t, "queued", func() bool { st, _ := store.Load(t.Context()); return len(st.Sends) == 1 })
	_ = alice.Close()
	recv(t, pending)

	if _, err := data.New(data.Options{BaseURL: "ws://other.example.com", Store: store}); !errors.Is(err, data.ErrStoreAccount) {
		t.Errorf("New with another server's store: %v, want ErrStoreAccount", err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	bob := newSource(t, srv, "bob", withStore(store))
	errs := bob.Errors(t.Context())
	if err := bob.Connect(t.Context(), srv.IssueToken("bob")); err != nil {
		t.Fatal(err)
	}
	recvWhere(t, errs, func(err error) bool { return errors.Is(err, data.ErrStoreAccount) })
	send(t, bob, "c1", "bob's")
	stored, _ := srv.Messages("c1")
	if len(stored) != 1 || stored[0].SenderID != "bob" {
		t.Fatalf("server stored %+v: alice's send went out under bob's session", stored)
	}
	st, _ := store.Load(t.Context())
	if st.Account.UserID != "alice" || len(st.Sends) != 1 {
		t.Fatalf("alice's store changed by bob's session: %+v", st)
	}
}

func contents(ms []domain.Message) []string {
	out := make([]string, 0, len(ms))
	for _, m := range ms {
		out = append(out, m.Content)
	}
	return slices.Clip(out)
}

// A second send with the client id of one still in flight is refused
// without touching the store's record of the first.
func TestStoreKeepsTheFirstOfTwoSendsWithOneClientID(t *testing.T) {
	srv := newServerWith(t, "c1", "alice", "bob")
	store := data.NewMemoryStore(0)
	alice := dial(t, srv, "alice", withStore(store))
	srv.Stop()
	draft := domain.MessageDraft{ConversationID: "c1", Content: "once", ClientID: "cid-1"}
	first := make(chan error, 1)
	go func() { _, err := alice.SendMessage(t.Context(), draft); first <- err }()
	eventually(t, "first stored", func() bool { st, _ := store.Load(t.Context()); return len(st.Sends) == 1 })
	if _, err := alice.SendMessage(t.Context(), draft); !errors.Is(err, domain.ErrInvalidDraft) {
		t.Fatalf("second send with the same client id: %v, want ErrInvalidDraft", err)
	}
	_ = alice.Close()
	recv(t, first)
	if st, _ := store.Load(t.Context()); len(st.Sends) != 1 || st.Sends[0].ClientID != "cid-1" {
		t.Fatalf("store after the refused duplicate: %+v", st.Sends)
	}
}
