package data_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chatwire/chatwire/data"
	"github.com/chatwire/chatwire/data/chattest"
	"github.com/chatwire/chatwire/domain"
)

// The server drops everyone, repeatedly, while two members keep sending:
// every confirmed message reaches every member exactly once, in per-sender
// order, and every SendMessage returned the confirmed message or an error.
func TestDropsMidConversationLoseAndDuplicateNothing(t *testing.T) {
	srv := newServer(t, chattest.Options{})
	members := []string{"alice", "bob", "carol"}
	if err := srv.CreateConversation("general", "", members...); err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	type inbox struct {
		mu   sync.Mutex
		msgs []domain.Message
	}
	sources := map[string]*data.ChatWebSocketDataSource{}
	inboxes := map[string]*inbox{}
	var readers sync.WaitGroup
	for _, u := range members {
		src := newSource(t, srv, u)
		box := &inbox{}
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
		cctx, cancel := context.WithTimeout(ctx, waitFor)
		if err := src.Connect(cctx, srv.IssueToken(u)); err != nil {
			t.Fatal(err)
		}
		cancel()
		sources[u], inboxes[u] = src, box
	}

	const perSender = 40
	senders := []string{"alice", "bob"}
	confirmed := map[string][]domain.Message{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, u := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perSender {
				sctx, cancel := context.WithTimeout(ctx, waitFor)
				m, err := sources[u].SendMessage(sctx, domain.MessageDraft{ConversationID: "general", Content: fmt.Sprintf("%s-%03d", u, i)})
				cancel()
				if err != nil {
					t.Errorf("%s: SendMessage %d: %v", u, i, err)
					return
				}
				mu.Lock()
				confirmed[u] = append(confirmed[u], m)
				mu.Unlock()
			}
		}()
	}
	for range 3 {
		time.Sleep(30 * time.Millisecond)
		srv.DropAll()
	}
	wg.Wait()

	want := 0
	for _, ms := range confirmed {
		want += len(ms)
	}
	if want != perSender*len(senders) {
		t.Fatalf("confirmed %d of %d sends", want, perSender*len(senders))
	}
	for _, u := range members {
		box := inboxes[u]
		eventually(t, u+" receives every message", func() bool {
			box.mu.Lock()
			defer box.mu.Unlock()
			return len(box.msgs) >= want
		})
	}
	for _, u := range members {
		_ = sources[u].Close()
	}
	readers.Wait()
	for _, u := range members {
		checkExactlyOnceInOrder(t, u, inboxes[u].msgs, confirmed)
	}
}

func checkExactlyOnceInOrder(t *testing.T, member string, got []domain.Message, confirmed map[string][]domain.Message) {
	t.Helper()
	seen := map[string]int{}
	bySender := map[string][]string{}
	for _, m := range got {
		seen[m.ID]++
		bySender[m.SenderID] = append(bySender[m.SenderID], m.ID)
	}
	for sender, ms := range confirmed {
		for _, m := range ms {
			if seen[m.ID] != 1 {
				t.Errorf("%s received %s's message %q %d times", member, sender, m.Content, seen[m.ID])
			}
		}
		order := bySender[sender]
		if len(order) != len(ms) {
			t.Errorf("%s received %d messages from %s, want %d", member, len(order), sender, len(ms))
			continue
		}
		for i := range ms {
			if order[i] != ms[i].ID {
				t.Errorf("%s: message %d from %s out of order", member, i, sender)
				break
			}
		}
	}
	if len(got) != len(seen) {
		t.Errorf("%s received %d messages, %d distinct", member, len(got), len(seen))
	}
}

func TestSendsWhileTheServerIsDownGoOutAfterReconnect(t *testing.T) {
	srv := newServer(t, chattest.Options{})
	if err := srv.CreateConversation("general", "", "alice", "bob"); err != nil {
		t.Fatal(err)
	}
	alice, bob := dial(t, srv, "alice"), dial(t, srv, "bob")
	bobMsgs := bob.Messages(t.Context())
	states := alice.ConnectionStates(t.Context())
	srv.Stop()
	recvWhere(t, states, func(s domain.ConnectionState) bool { return s.Status == domain.Reconnecting })

	type result struct {
		m   domain.Message
		err error
	}
	done := make(chan result, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitFor)
		defer cancel()
		var last domain.Message
		for i := range 3 {
			m, err := alice.SendMessage(ctx, domain.MessageDraft{ConversationID: "general", Content: fmt.Sprintf("offline-%d", i)})
			if err != nil {
				done <- result{err: err}
				return
			}
			last = m
		}
		done <- result{m: last}
	}()
	// A message whose ctx ends while it waits in the outbox is never sent.
	short, cancel := context.WithTimeout(t.Context(), 30*time.Millisecond)
	defer cancel()
	if _, err := alice.SendMessage(short, domain.MessageDraft{ConversationID: "general", Content: "abandoned"}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("abandoned send: %v, want deadline exceeded", err)
	}
	time.Sleep(50 * time.Millisecond)
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	r := <-done
	if r.err != nil {
		t.Fatalf("offline sends: %v", r.err)
	}
	for i := range 3 {
		m := recvWhere(t, bobMsgs, func(m domain.Message) bool { return m.SenderID == "alice" })
		if want := fmt.Sprintf("offline-%d", i); m.Content != want {
			t.Errorf("bob got %q, want %q", m.Content, want)
		}
	}
	stored, _ := srv.Messages("general")
	for _, m := range stored {
		if m.Content == "abandoned" {
			t.Error("a send cancelled while queued reached the server")
		}
	}
	if len(stored) != 3 {
		t.Errorf("server stored %d messages, want 3", len(stored))
	}
}

func TestRefusedTokenIsRefreshedOnceThenStops(t *testing.T) {
	srv := newServer(t, chattest.Options{})
	var calls atomic.Int32
	alice := newSource(t, srv, "alice", func(o *data.Options) {
		o.TokenSource = func(context.Context) (string, error) {
			calls.Add(1)
			return "expired-token", nil
		}
	})
	errs := alice.Errors(t.Context())
	ctx, cancel := context.WithTimeout(t.Context(), waitFor)
	defer cancel()
	if err := alice.Connect(ctx, srv.IssueToken("alice")); err != nil {
		t.Fatal(err)
	}
	srv.DropAll()
	eventually(t, "failed state", func() bool { return alice.ConnectionState().Status == domain.Failed })
	if st := alice.ConnectionState(); !errors.Is(st.Err, domain.ErrUnauthorized) {
		t.Errorf("state error = %v, want ErrUnauthorized", st.Err)
	}
	if n := calls.Load(); n != 2 {
		t.Errorf("token source called %d times after the drop, want 2 (reconnect, then one refresh)", n)
	}
	fatal := recvWhere(t, errs, func(err error) bool {
		var de *domain.Error
		return errors.As(err, &de) && de.Fatal
	})
	if !errors.Is(fatal, domain.ErrUnauthorized) {
		t.Errorf("fatal error = %v", fatal)
	}
	if _, err := alice.SendMessage(ctx, domain.MessageDraft{ConversationID: "c", Content: "x"}); err == nil {
		t.Error("SendMessage after failure succeeded")
	}
	// Connect with a good token starts over.
	if err := alice.Connect(ctx, srv.IssueToken("alice")); err != nil {
		t.Fatalf("Connect after failure: %v", err)
	}
}

func TestTokenExpiredDuringOutageIsRefreshed(t *testing.T) {
	srv := newServer(t, chattest.Options{})
	alice := dial(t, srv, "alice")
	states := alice.ConnectionStates(t.Context())
	srv.Stop()
	srv.ExpireTokens("alice")
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	recvWhere(t, states, func(s domain.ConnectionState) bool { return s.Status == domain.Connected })
}

func TestHistoryGapIsReportedAsSyncIncomplete(t *testing.T) {
	srv := newServer(t, chattest.Options{HistorySize: 3})
	if err := srv.CreateConversation("general", "", "alice", "bob"); err != nil {
		t.Fatal(err)
	}
	alice := dial(t, srv, "alice")
	states, msgs := alice.ConnectionStates(t.Context()), alice.Messages(t.Context())
	srv.Stop()
	for i := range 10 {
		if _, err := srv.Post(chattest.Message{ConversationID: "general", SenderID: "bob", Content: fmt.Sprint(i)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	recvWhere(t, states, func(s domain.ConnectionState) bool { return s.Sync == domain.SyncIncomplete })
	// What the history still held was replayed, in order.
	for _, want := range []string{"7", "8", "9"} {
		if m := recv(t, msgs); m.Content != want {
			t.Errorf("replayed %q, want %q", m.Content, want)
		}
	}
}

func TestCompleteSyncAfterReconnect(t *testing.T) {
	srv := newServer(t, chattest.Options{})
	if err := srv.CreateConversation("general", "", "alice", "bob"); err != nil {
		t.Fatal(err)
	}
	alice := dial(t, srv, "alice")
	states, msgs := alice.ConnectionStates(t.Context()), alice.Messages(t.Context())
	srv.Stop()
	if _, err := srv.Post(chattest.Message{ConversationID: "general", SenderID: "bob", Content: "missed"}); err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	recvWhere(t, states, func(s domain.ConnectionState) bool { return s.Sync == domain.SyncComplete })
	if m := recv(t, msgs); m.Content != "missed" {
		t.Errorf("replayed %q", m.Content)
	}
	quiet(t, msgs, "second copy")
}

func TestServerThatLostItsStateIsReportedAsAGap(t *testing.T) {
	srv := chattest.NewServer(chattest.Options{})
	if err := srv.CreateConversation("general", "", "alice", "bob"); err != nil {
		t.Fatal(err)
	}
	alice := dial(t, srv, "alice")
	for i := range 5 {
		_, _ = srv.Post(chattest.Message{ConversationID: "general", SenderID: "bob", Content: fmt.Sprint(i)})
	}
	eventually(t, "five messages", func() bool { return len(alice.History()) >= 5 })
	states := alice.ConnectionStates(t.Context())
	addr := srv.URL[len("ws://"):]
	srv.Close()
	fresh := newServer(t, chattest.Options{Addr: addr, Authenticate: func(string) (string, bool) { return "alice", true }})
	_ = fresh.CreateConversation("general", "", "alice", "bob")
	recvWhere(t, states, func(s domain.ConnectionState) bool { return s.Sync == domain.SyncIncomplete })
	msgs := alice.Messages(t.Context())
	if _, err := fresh.Post(chattest.Message{ConversationID: "general", SenderID: "bob", Content: "new era"}); err != nil {
		t.Fatal(err)
	}
	if m := recv(t, msgs); m.Content != "new era" {
		t.Errorf("after the restart got %q", m.Content)
	}
}

func TestStalledServerIsDetectedAndLeft(t *testing.T) {
	srv := newServer(t, chattest.Options{})
	alice := dial(t, srv, "alice", func(o *data.Options) {
		o.Connection.HeartbeatInterval = 50 * time.Millisecond
		o.Connection.PongTimeout = 50 * time.Millisecond
	})
	states := alice.ConnectionStates(t.Context())
	srv.Stall(time.Second)
	st := recvWhere(t, states, func(s domain.ConnectionState) bool { return s.Status == domain.Reconnecting })
	if st.Err == nil {
		t.Error("reconnecting without a cause")
	}
	recvWhere(t, states, func(s domain.ConnectionState) bool { return s.Status == domain.Connected })
}

func TestCloseIsIdempotentAndEndsEveryStream(t *testing.T) {
	srv := newServer(t, chattest.Options{})
	alice := dial(t, srv, "alice")
	ctx := t.Context()
	msgs, raw, errs, states := alice.Messages(ctx), alice.RawMessages(ctx), alice.Errors(ctx), alice.ConnectionStates(ctx)
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() { defer wg.Done(); _ = alice.Close() }()
	}
	wg.Wait()
	for range msgs {
	}
	for range raw {
	}
	for range errs {
	}
	for range states {
	}
	if err := alice.Connect(ctx, "x"); !errors.Is(err, domain.ErrClosed) {
		t.Errorf("Connect after Close = %v", err)
	}
	if _, err := alice.SendMessage(ctx, domain.MessageDraft{ConversationID: "c", Content: "x"}); !errors.Is(err, domain.ErrClosed) {
		t.Errorf("SendMessage after Close = %v", err)
	}
	if err := alice.SendTyping(ctx, "c", true); !errors.Is(err, domain.ErrClosed) {
		t.Errorf("SendTyping after Close = %v", err)
	}
}

func TestTypingIsNeverQueued(t *testing.T) {
	srv := newServer(t, chattest.Options{})
	alice := dial(t, srv, "alice")
	states := alice.ConnectionStates(t.Context())
	srv.Stop()
	recvWhere(t, states, func(s domain.ConnectionState) bool { return s.Status == domain.Reconnecting })
	if err := alice.SendTyping(t.Context(), "general", true); !errors.Is(err, domain.ErrNotConnected) {
		t.Errorf("SendTyping offline = %v, want ErrNotConnected", err)
	}
}
