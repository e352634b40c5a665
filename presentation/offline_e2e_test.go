package presentation_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/chatwire/chatwire/data"
	"github.com/chatwire/chatwire/data/chattest"
	"github.com/chatwire/chatwire/domain"
	"github.com/chatwire/chatwire/presentation"
)

// waitValue reads snapshots from ch until ok accepts one.
func waitValue[T any](t *testing.T, ctx context.Context, ch <-chan T, what string, ok func(T) bool) T {
	t.Helper()
	var last T
	for {
		select {
		case v, open := <-ch:
			if !open {
				t.Fatalf("changes closed while waiting for %s", what)
			}
			if ok(v) {
				return v
			}
			last = v
		case <-ctx.Done():
			t.Fatalf("timed out waiting for %s; last seen %+v", what, last)
		}
	}
}

// shown is a conversation's messages as "content:status", oldest first.
func shown(ms presentation.Messages, conv string) []string {
	var out []string
	for _, m := range ms.In(conv) {
		out = append(out, fmt.Sprintf("%s:%s", m.Content, m.Status))
	}
	return out
}

// A user restarts the app with its store: the new data source's notifiers
// show the cached conversation, its messages and the sends queued during
// the outage before connecting, then reconcile once the network answers:
// the queued sends confirmed once and stored once, the messages missed
// meanwhile added once, the unread count the server's. Everything runs on
// loopback against the reference server, with the memory store standing
// for the file an app would reopen.
func TestOfflineFirstStartAfterARestart(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), backendWait)
	defer cancel()
	srv := chattest.NewServer(chattest.Options{})
	t.Cleanup(srv.Close)
	post := func(content string) {
		t.Helper()
		if _, err := srv.Post(chattest.Message{ConversationID: "c1", SenderID: "bob", Content: content}); err != nil {
			t.Fatal(err)
		}
	}
	store := data.NewMemoryStore(0)
	open := func() (*data.ChatWebSocketDataSource, *presentation.Notifiers) {
		t.Helper()
		src, err := data.New(data.Options{BaseURL: srv.URL, Store: store,
			TokenSource: func(context.Context) (string, error) { return srv.IssueToken("alice"), nil }})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = src.Close() })
		ns := presentation.NewNotifiers(src, presentation.NotifiersOptions{UserID: "alice"})
		t.Cleanup(ns.Close)
		return src, ns
	}

	// The first run sees a conversation created and two messages, then the network goes away and the
	// user sends two more; the app is closed during the outage.
	first, ns1 := open()
	if err := ns1.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := srv.CreateConversation("c1", "Team", "alice", "bob"); err != nil {
		t.Fatal(err)
	}
	post("seen 1")
	post("seen 2")
	waitValue(t, ctx, ns1.Messages.Changes(ctx), "the first run to see two messages",
		func(m presentation.Messages) bool { return len(m.In("c1")) == 2 })
	srv.Stop()
	waitValue(t, ctx, ns1.Connection.Changes(ctx), "the first run to see the outage",
		func(c presentation.Connection) bool { return c.Status != domain.Connected })
	sendErrs := make(chan error, 2)
	for i, content := range []string{"offline 1", "offline 2"} {
		go func() {
			_, err := ns1.Messages.Send(ctx, domain.MessageDraft{ConversationID: "c1", Content: content})
			sendErrs <- err
		}()
		pollUntil(t, ctx, fmt.Sprintf("send %d in the store", i+1), func() bool {
			st, _ := store.Load(ctx)
			return len(st.Sends) == i+1
		})
	}
	// Meanwhile, at the server: a message, a rename (with alice's unread
	// count), another message.
	post("missed 1")
	if err := srv.RenameConversation("c1", "Team 2"); err != nil {
		t.Fatal(err)
	}
	post("missed 2")
	ns1.Close()
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := <-sendErrs; !errors.Is(err, domain.ErrClosed) {
			t.Fatalf("a send at Close returned %v, want ErrClosed (the store keeps it for the next run)", err)
		}
	}
	st, _ := store.Load(ctx)
	if len(st.Sends) != 2 {
		t.Fatalf("the store holds %d sends after the first run, want 2", len(st.Sends))
	}

	// The second run, before connecting: the cached screen.
	_, ns2 := open()
	c1, ok := ns2.Conversations.Value().Get("c1")
	if !ok || c1.Title != "Team" || c1.UnreadCount != 2 || c1.LastMessage == nil || c1.LastMessage.Content != "seen 2" {
		t.Fatalf("cached conversation before connecting: %+v (found %v)", c1, ok)
	}
	cached := ns2.Messages.Value()
	want := []string{"seen 1:sent", "seen 2:sent", "offline 1:sending", "offline 2:sending"}
	if got := shown(cached, "c1"); !slices.Equal(got, want) {
		t.Fatalf("cached messages before connecting: %v, want %v", got, want)
	}
	for i, m := range cached.In("c1")[2:] {
		if m.ClientID != st.Sends[i].ClientID {
			t.Fatalf("pending send %d shown with client id %q, the store has %q", i, m.ClientID, st.Sends[i].ClientID)
		}
	}
	if s := ns2.Connection.Value().Status; s == domain.Connected {
		t.Fatalf("the second run is %s before Start", s)
	}

	// Then live.
	events := ns2.Messages.Events(ctx)
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	if err := ns2.Start(ctx); err != nil {
		t.Fatal(err)
	}
	want = []string{"seen 1:sent", "seen 2:sent", "missed 1:sent", "missed 2:sent", "offline 1:sent", "offline 2:sent"}
	waitValue(t, ctx, ns2.Messages.Changes(ctx), fmt.Sprint("c1 to show ", want),
		func(m presentation.Messages) bool { return slices.Equal(shown(m, "c1"), want) })
	serverUnread, err := srv.UnreadCount("c1", "alice")
	if err != nil {
		t.Fatal(err)
	}
	waitValue(t, ctx, ns2.Conversations.Changes(ctx), "the server's title and unread count",
		func(c presentation.Conversations) bool {
			c1, _ := c.Get("c1")
			return c1.Title == "Team 2" && c1.UnreadCount == serverUnread && c1.LastMessage != nil && c1.LastMessage.Content == "offline 2"
		})
	if serverUnread != 4 {
		t.Fatalf("the server counts %d unread for alice, want 4 (bob's four messages)", serverUnread)
	}

	// The server stored each queued send once, in order.
	stored, _ := srv.Messages("c1")
	var fromAlice []string
	for _, m := range stored {
		if m.SenderID == "alice" {
			fromAlice = append(fromAlice, m.Content)
		}
	}
	if !slices.Equal(fromAlice, []string{"offline 1", "offline 2"}) {
		t.Fatalf("the server stored alice's %v, want each queued send once, in order", fromAlice)
	}

	// The change events said what changed, once each: the missed messages
	// added, the queued sends sending → sent. A marker from bob closes the
	// list: every event of the reconciliation came before it.
	post("marker")
	var got []string
	for {
		var e presentation.MessageEvent
		select {
		case ev, open := <-events:
			if !open {
				t.Fatalf("events closed after %q", got)
			}
			e = ev
		case <-ctx.Done():
			t.Fatalf("timed out waiting for the marker after %q", got)
		}
		got = append(got, fmt.Sprintf("%s %s", e.Kind, e.Message.Content))
		if e.Kind == presentation.MessageAdded && e.Message.Content == "marker" {
			break
		}
		if e.Kind == presentation.MessageStatusChanged && e.Previous != presentation.MessageSending {
			t.Fatalf("status change from %s: %+v", e.Previous, e.Message)
		}
	}
	slices.Sort(got)
	wantEvents := []string{"added marker", "added missed 1", "added missed 2",
		"status changed offline 1", "status changed offline 2"}
	if !slices.Equal(got, wantEvents) {
		t.Fatalf("message events = %q, want %q", got, wantEvents)
	}
	if len(ns2.Messages.Value().In("c1")) != 7 {
		t.Fatalf("c1 = %v", shown(ns2.Messages.Value(), "c1"))
	}
}

// pollUntil polls cond until it holds or ctx ends; for state with no
// change stream (the store).
func pollUntil(t *testing.T, ctx context.Context, what string, cond func() bool) {
	t.Helper()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("timed out waiting for %s", what)
		case <-time.After(time.Millisecond):
		}
	}
}
