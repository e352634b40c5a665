package sqlitestore_test

// The SQLite store under a real data source and the reference server, on
// loopback: what a session promised survives the process, and a store
// that fails costs the cache, not the session.

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chatwire/chatwire/data"
	"github.com/chatwire/chatwire/data/chattest"
	"github.com/chatwire/chatwire/data/sqlitestore"
	"github.com/chatwire/chatwire/domain"
)

const waitFor = 20 * time.Second

func newSource(t *testing.T, srv *chattest.Server, user string, store data.Store) *data.ChatWebSocketDataSource {
	t.Helper()
	src, err := data.New(data.Options{
		BaseURL:     srv.URL,
		TokenSource: func(context.Context) (string, error) { return srv.IssueToken(user), nil },
		Connection:  data.ConnectionOptions{ReconnectDelay: 20 * time.Millisecond, MaxReconnectDelay: 100 * time.Millisecond},
		Store:       store,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = src.Close() })
	return src
}

func connect(t *testing.T, src *data.ChatWebSocketDataSource, srv *chattest.Server, user string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), waitFor)
	defer cancel()
	if err := src.Connect(ctx, srv.IssueToken(user)); err != nil {
		t.Fatalf("Connect: %v", err)
	}
}

func recv[T any](t *testing.T, ch <-chan T) T {
	t.Helper()
	select {
	case v, ok := <-ch:
		if !ok {
			t.Fatalf("channel of %T closed", v)
		}
		return v
	case <-time.After(waitFor):
		t.Fatalf("nothing on a channel of %T within %v", *new(T), waitFor)
	}
	panic("unreachable")
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitFor)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func post(t *testing.T, srv *chattest.Server, conv, from, content string) chattest.Message {
	t.Helper()
	m, err := srv.Post(chattest.Message{ConversationID: conv, SenderID: from, Content: content})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func serverContents(t *testing.T, srv *chattest.Server, conv string) string {
	t.Helper()
	ms, err := srv.Messages(conv)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range ms {
		out = append(out, m.SenderID+":"+m.Content)
	}
	return strings.Join(out, "|")
}

// A session closed during an outage, its file reopened by a new data
// source: the cache shows what the user saw before the network answers,
// the queued sends go out once each and in order, and exactly what was
// missed is delivered.
func TestSessionSurvivesTheProcess(t *testing.T) {
	srv := chattest.NewServer(chattest.Options{})
	t.Cleanup(srv.Close)
	if err := srv.CreateConversation("c1", "Team", "alice", "bob"); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "alice.db")

	store, err := sqlitestore.Open(path, sqlitestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	first := newSource(t, srv, "alice", store)
	msgs := first.Messages(t.Context())
	connect(t, first, srv, "alice")
	post(t, srv, "c1", "bob", "seen 1")
	post(t, srv, "c1", "bob", "seen 2")
	recv(t, msgs)
	recv(t, msgs)
	srv.Stop()
	for i := range 3 {
		go func() {
			_, _ = first.SendMessage(context.Background(), domain.MessageDraft{ConversationID: "c1", Content: fmt.Sprint("queued ", i)})
		}()
		eventually(t, "the send stored", func() bool { st, _ := store.Load(t.Context()); return len(st.Sends) == i+1 })
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}
	post(t, srv, "c1", "bob", "missed 1")
	post(t, srv, "c1", "bob", "missed 2")

	store, err = sqlitestore.Open(path, sqlitestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	second := newSource(t, srv, "alice", store)
	cached, _ := second.CachedMessages(t.Context(), "c1", 10)
	convs, _ := second.CachedConversations(t.Context())
	if len(cached) != 2 || cached[1].Content != "seen 2" || len(convs) != 1 || *convs[0].UnreadCount != 2 {
		t.Fatalf("offline start: cached %+v, conversations %+v", cached, convs)
	}
	pending, _ := second.PendingSends(t.Context())
	if len(pending) != 3 || pending[0].Content != "queued 0" || pending[2].Content != "queued 2" {
		t.Fatalf("pending sends: %+v", pending)
	}
	results := second.RecoveredSends(t.Context())
	msgs = second.Messages(t.Context())
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	connect(t, second, srv, "alice")
	for i := range 3 {
		if r := recv(t, results); r.Err != nil || r.Message.Content != fmt.Sprint("queued ", i) {
			t.Fatalf("recovered send %d ended %+v", i, r)
		}
	}
	var got []string
	for range 5 { // the two missed, and the echoes of the three sent
		got = append(got, recv(t, msgs).Content)
	}
	if !strings.HasPrefix(strings.Join(got, "|"), "missed 1|missed 2|") {
		t.Fatalf("after the restart got %v, want the missed ones first, then the echoes", got)
	}
	want := "bob:seen 1|bob:seen 2|bob:missed 1|bob:missed 2|alice:queued 0|alice:queued 1|alice:queued 2"
	if s := serverContents(t, srv, "c1"); s != want {
		t.Fatalf("server holds %s, want %s", s, want)
	}
	eventually(t, "the store emptied of sends and caching all seven", func() bool {
		st, _ := store.Load(t.Context())
		ms, _ := store.Messages(t.Context(), "c1", 0)
		return len(st.Sends) == 0 && len(ms) == 7
	})
}

// A store that fails mid-session (a full disk: here a file capped at
// 64 KiB) is reported on Errors as a storage error, and the session goes
// on: the send is confirmed, the messages delivered, and once writes fit
// again they are stored again.
func TestFullStoreKeepsTheSessionGoing(t *testing.T) {
	srv := chattest.NewServer(chattest.Options{})
	t.Cleanup(srv.Close)
	if err := srv.CreateConversation("c1", "Team", "alice", "bob"); err != nil {
		t.Fatal(err)
	}
	store := openStore(t, filepath.Join(t.TempDir(), "alice.db"), sqlitestore.Options{MaxFileBytes: 64 << 10})
	src := newSource(t, srv, "alice", store)
	errs := src.Errors(t.Context())
	msgs := src.Messages(t.Context())
	connect(t, src, srv, "alice")

	big := strings.Repeat("a long message ", 8000) // 120 kB: never fits
	ctx, cancel := context.WithTimeout(t.Context(), waitFor)
	defer cancel()
	sent, err := src.SendMessage(ctx, domain.MessageDraft{ConversationID: "c1", Content: big})
	if err != nil {
		t.Fatalf("SendMessage with a full store: %v", err)
	}
	var de *domain.Error
	if err := recv(t, errs); !errors.As(err, &de) || de.Class != domain.ClassStorage || de.Fatal || !errors.Is(err, sqlitestore.ErrFull) {
		t.Fatalf("Errors: %v, want a non-fatal storage error wrapping ErrFull", err)
	}
	if m := recv(t, msgs); m.ID != sent.ID {
		t.Fatalf("the echo: %+v", m)
	}
	post(t, srv, "c1", "bob", "small enough")
	if m := recv(t, msgs); m.Content != "small enough" {
		t.Fatalf("after the failure: %+v", m)
	}
	eventually(t, "bob's message cached", func() bool {
		ms, _ := store.Messages(t.Context(), "c1", 0)
		return len(ms) > 0 && ms[len(ms)-1].Content == "small enough"
	})
	if s := serverContents(t, srv, "c1"); s != "alice:"+big+"|bob:small enough" {
		t.Fatalf("server holds %d bytes of messages, want the big one once and bob's", len(s))
	}
}

// A store whose session started at seq 0 (a user with no history yet)
// and recorded nothing since: the next start still catches up from 0, not
// from the live edge, so what happened in between is delivered.
func TestResumeFromAPositionOfZero(t *testing.T) {
	srv := chattest.NewServer(chattest.Options{})
	t.Cleanup(srv.Close)
	path := filepath.Join(t.TempDir(), "alice.db")
	store, err := sqlitestore.Open(path, sqlitestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	first := newSource(t, srv, "alice", store)
	connect(t, first, srv, "alice")
	eventually(t, "the store bound to alice", func() bool { st, _ := store.Load(t.Context()); return st.Account.UserID == "alice" })
	_ = first.Close()
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}
	if err := srv.CreateConversation("c1", "", "alice", "bob"); err != nil {
		t.Fatal(err)
	}
	post(t, srv, "c1", "bob", "while you were away")

	store = openStore(t, path, sqlitestore.Options{})
	second := newSource(t, srv, "alice", store)
	msgs := second.Messages(t.Context())
	connect(t, second, srv, "alice")
	if m := recv(t, msgs); m.Content != "while you were away" {
		t.Fatalf("after the restart: %+v", m)
	}
}

// More unfinished sends than the outbox holds: the first start takes what
// fits, the rest wait in order, and each goes out as an earlier one ends,
// on the connection already open; all are sent, once and in order, and
// reported on RecoveredSends. New sends wait behind them.
func TestMoreStoredSendsThanTheOutboxHolds(t *testing.T) {
	srv := chattest.NewServer(chattest.Options{})
	t.Cleanup(srv.Close)
	if err := srv.CreateConversation("c1", "", "alice", "bob"); err != nil {
		t.Fatal(err)
	}
	store := openStore(t, filepath.Join(t.TempDir(), "alice.db"), sqlitestore.Options{})
	if err := store.Commit(t.Context(), data.Batch{Account: &data.Account{Server: srv.URL, UserID: "alice"}}); err != nil {
		t.Fatal(err)
	}
	const stored, outbox = 40, 4
	var want []string
	for i := range stored {
		id := fmt.Sprintf("s%03d", i)
		putSend(t, store, id, fmt.Sprint("queued ", i))
		want = append(want, id)
	}
	src, err := data.New(data.Options{
		BaseURL:     srv.URL,
		TokenSource: func(context.Context) (string, error) { return srv.IssueToken("alice"), nil },
		Connection:  data.ConnectionOptions{OutboxSize: outbox},
		Store:       store,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = src.Close() })
	if pending, _ := src.PendingSends(t.Context()); len(pending) != stored {
		t.Fatalf("%d sends pending, want all %d", len(pending), stored)
	}
	if _, err := src.SendMessage(t.Context(), domain.MessageDraft{ConversationID: "c1", Content: "new"}); !errors.Is(err, domain.ErrOutboxFull) {
		t.Fatalf("a new send ahead of the stored ones: %v, want ErrOutboxFull", err)
	}
	recovered := src.RecoveredSends(t.Context())
	connect(t, src, srv, "alice")
	for range stored {
		select {
		case r := <-recovered:
			if r.Err != nil {
				t.Fatalf("recovered send %s: %v", r.ClientID, r.Err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("the recovered sends did not all end")
		}
	}
	var got []string
	ms, _ := srv.Messages("c1")
	for _, m := range ms {
		got = append(got, m.ClientID)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("the server holds %v, want %v", got, want)
	}
	if _, err := src.SendMessage(t.Context(), domain.MessageDraft{ConversationID: "c1", Content: "new"}); err != nil {
		t.Fatalf("a new send after them: %v", err)
	}
	if err := src.Close(); err != nil { // flushes the store
		t.Fatal(err)
	}
	if st, _ := store.Load(t.Context()); len(st.Sends) != 0 {
		t.Fatalf("%d sends still stored", len(st.Sends))
	}
}
