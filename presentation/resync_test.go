package presentation

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/chatwire/chatwire/domain"
	"github.com/chatwire/chatwire/domain/domaintest"
)

// Issue 13, defect 3: a notifier cut off from a stream (the data source
// cuts off a subscriber that stopped reading) must not silently stop
// following it: it subscribes again, replays what it missed from History,
// and says so on the connection notifier.

// gated is a Source whose Messages subscriptions after the first, and
// History calls, wait for the test to let them through, so that the test
// decides what happens while a notifier is cut off.
type gated struct {
	*domaintest.Source
	mu            sync.Mutex
	subscriptions int
	resubscribing chan struct{} // closed when the second subscription is asked for
	letSubscribe  chan struct{}
	readingHist   chan struct{} // closed when History is first asked for
	once          sync.Once
	letHistory    chan struct{}
}

func newGated(src *domaintest.Source) *gated {
	return &gated{Source: src, resubscribing: make(chan struct{}), letSubscribe: make(chan struct{}),
		readingHist: make(chan struct{}), letHistory: make(chan struct{})}
}

func (g *gated) Messages(ctx context.Context) <-chan domain.Message {
	g.mu.Lock()
	g.subscriptions++
	n := g.subscriptions
	g.mu.Unlock()
	if n == 2 {
		close(g.resubscribing)
		<-g.letSubscribe
	}
	return g.Source.Messages(ctx)
}

func (g *gated) History() []domain.Event {
	g.once.Do(func() { close(g.readingHist) })
	<-g.letHistory
	return g.Source.History()
}

func message(id string) domain.Message {
	return domain.Message{ID: id, ConversationID: "c1", SenderID: "bob", Content: id, CreatedAt: t0}
}

func waitClosedCh(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-timeAfterLimit():
		t.Fatalf("timed out waiting for %s", what)
	}
}

func TestNotifierFollowsAgainAfterACutOffAndReplaysWhatItMissed(t *testing.T) {
	g := newGated(newFake(t, domaintest.Options{}))
	conn := NewConnectionNotifier(g, ConnectionOptions{})
	t.Cleanup(conn.Close)
	n := NewMessagesNotifier(g, MessagesOptions{OnResync: conn.NoteResync})
	t.Cleanup(n.Close)
	msgs, states := n.Changes(t.Context()), conn.Changes(t.Context())

	g.Push(message("m1"))
	waitFor(t, msgs, "m1", func(s Messages) bool { return len(s.In("c1")) == 1 })

	g.CutOff(domaintest.Messages)
	waitClosedCh(t, g.resubscribing, "the notifier to subscribe again")
	g.Push(message("m2")) // published while nobody follows Messages
	close(g.letSubscribe)
	waitClosedCh(t, g.readingHist, "the catch-up from History")
	g.Push(message("m3")) // on the new subscription and in History: must count once
	close(g.letHistory)
	g.Push(message("m4"))

	v := waitFor(t, msgs, "m1 to m4", func(s Messages) bool { return len(s.In("c1")) == 4 })
	if got := messageIDs(v.In("c1")); !slices.Equal(got, []string{"m1", "m2", "m3", "m4"}) {
		t.Fatalf("messages = %v", got)
	}
	c := waitFor(t, states, "the resync on the connection", func(c Connection) bool { return c.Resync != nil })
	if c.Resync.Notifier != "messages" || c.Resync.Stream != "Messages" || !c.Resync.Complete || c.Resyncs != 1 {
		t.Fatalf("resync = %+v (%d)", *c.Resync, c.Resyncs)
	}
}

// The conversations notifier, fed by the messages notifier's subscription
// in a Notifiers, counts each message once across a cut-off.
func TestConversationsCountOnceAcrossACutOff(t *testing.T) {
	src := newFake(t, domaintest.Options{})
	ns := NewNotifiers(src, NotifiersOptions{})
	t.Cleanup(ns.Close)
	convs := ns.Conversations.Changes(t.Context())
	src.Push(message("m1"))
	waitFor(t, convs, "m1", func(s Conversations) bool { x, ok := s.Get("c1"); return ok && x.UnreadCount == 1 })
	src.CutOff(domaintest.Messages)
	for _, id := range []string{"m2", "m3", "m4"} {
		src.Push(message(id))
	}
	v := waitFor(t, convs, "four unread", func(s Conversations) bool {
		x, _ := s.Get("c1")
		return x.LastMessage != nil && x.LastMessage.ID == "m4"
	})
	if x, _ := v.Get("c1"); x.UnreadCount != 4 {
		t.Fatalf("unread = %d, want 4", x.UnreadCount)
	}
	// In a Notifiers, one subscription to Messages feeds three notifiers.
	waitFor(t, ns.Connection.Changes(t.Context()), "the resync", func(c Connection) bool { return c.Resyncs == 1 })
	if got := len(ns.Messages.Value().In("c1")); got != 4 {
		t.Fatalf("%d messages, want 4", got)
	}
}

// When History no longer reaches back to the last event the notifier saw,
// it replays what History holds and says the resync was incomplete.
func TestResyncIncompleteWhenHistoryLostTheGap(t *testing.T) {
	g := newGated(newFake(t, domaintest.Options{HistorySize: 2}))
	conn := NewConnectionNotifier(g, ConnectionOptions{})
	t.Cleanup(conn.Close)
	n := NewMessagesNotifier(g, MessagesOptions{OnResync: conn.NoteResync})
	t.Cleanup(n.Close)
	msgs := n.Changes(t.Context())
	close(g.letHistory)

	g.Push(message("m1"))
	waitFor(t, msgs, "m1", func(s Messages) bool { return len(s.In("c1")) == 1 })
	g.CutOff(domaintest.Messages)
	waitClosedCh(t, g.resubscribing, "the notifier to subscribe again")
	for _, id := range []string{"m2", "m3", "m4"} { // History keeps m3 and m4
		g.Push(message(id))
	}
	close(g.letSubscribe)
	v := waitFor(t, msgs, "m3 and m4", func(s Messages) bool { return len(s.In("c1")) == 3 })
	if got := messageIDs(v.In("c1")); !slices.Equal(got, []string{"m1", "m3", "m4"}) {
		t.Fatalf("messages = %v", got)
	}
	c := waitFor(t, conn.Changes(t.Context()), "the resync", func(c Connection) bool { return c.Resync != nil })
	if c.Resync.Complete || c.Resyncs != 1 {
		t.Fatalf("resync = %+v (%d), want one incomplete", *c.Resync, c.Resyncs)
	}
}

// Every notifier follows again, whichever of its streams is cut off.
func TestEveryNotifierFollowsAgain(t *testing.T) {
	src := newFake(t, domaintest.Options{})
	ns := NewNotifiers(src, NotifiersOptions{})
	t.Cleanup(ns.Close)
	streams := []domaintest.Stream{domaintest.Messages, domaintest.ReadReceipts, domaintest.ConversationUpdates,
		domaintest.Typing, domaintest.UserStatuses, domaintest.Calls, domaintest.ConnectionStates, domaintest.Errors}
	// Each stream must have delivered something before the cut-off (a
	// subscription that never delivered anything ends for good).
	prime := func() {
		src.Push(message("p1"))
		src.Push(domain.ReadReceipt{ConversationID: "c1", UserID: "bob", MessageID: "x"})
		src.Push(domain.ConversationUpdate{ConversationID: "c2", Action: domain.ConversationCreated, Title: "two"})
		src.Push(domain.TypingIndicator{ConversationID: "c1", UserID: "carol", IsTyping: true})
		src.Push(domain.UserStatusUpdate{UserID: "bob", Status: domain.StatusAway})
		src.Push(domain.CallEvent{Kind: domain.CallCancelled, CallID: "none"})
		src.SetState(domain.ConnectionState{Status: domain.Reconnecting, UserID: me}) // keeps Err
		src.PushError(fmt.Errorf("noise"))
	}
	prime()
	waitFor(t, ns.Presence.Changes(t.Context()), "presence", func(p Presence) bool { _, ok := p.Of("bob"); return ok })
	waitFor(t, ns.Conversations.Changes(t.Context()), "c2", func(c Conversations) bool { _, ok := c.Get("c2"); return ok })
	waitFor(t, ns.Connection.Changes(t.Context()), "the state and the error", func(c Connection) bool {
		return c.Err != nil && c.Status == domain.Reconnecting
	})
	for _, s := range streams {
		src.CutOff(s)
	}
	// After the cut-offs every notifier is subscribed again...
	want := map[domaintest.Stream]int{domaintest.Messages: 1, domaintest.ReadReceipts: 1,
		domaintest.ConversationUpdates: 1, domaintest.Typing: 1, domaintest.UserStatuses: 1,
		domaintest.Calls: 1, domaintest.ConnectionStates: 1, domaintest.Errors: 1}
	for s, n := range want {
		waitUntil(t, fmt.Sprintf("%d subscribers of %s", n, s), func() bool { return src.Subscribers(s) == n })
	}
	// ...and follows what comes next.
	src.Push(domain.UserStatusUpdate{UserID: "bob", Status: domain.StatusOnline})
	waitFor(t, ns.Presence.Changes(t.Context()), "bob online", func(p Presence) bool {
		u, _ := p.Of("bob")
		return u.Status == domain.StatusOnline
	})
	waitFor(t, ns.Connection.Changes(t.Context()), "eight resyncs", func(c Connection) bool { return c.Resyncs >= 8 })
}

// A stream that ends because the data source closed is not followed again.
func TestNoResubscribeAfterTheSourceCloses(t *testing.T) {
	src := newFake(t, domaintest.Options{})
	n := NewPresenceNotifier(src, PresenceOptions{OnResync: func(r Resync) { t.Errorf("resync after close: %+v", r) }})
	t.Cleanup(n.Close)
	src.Push(domain.UserStatusUpdate{UserID: "bob", Status: domain.StatusAway})
	waitFor(t, n.Changes(t.Context()), "bob", func(p Presence) bool { _, ok := p.Of("bob"); return ok })
	_ = src.Close()
	waitUntil(t, "no subscriber left", func() bool { return src.Subscribers(domaintest.UserStatuses) == 0 })
	n.Close() // returns: its goroutine has ended
}

func TestMissedSince(t *testing.T) {
	a, b, c := message("a"), message("b"), message("c")
	typing := domain.TypingIndicator{UserID: "x"}
	hist := []domain.Event{a, typing, b, c}
	if got, ok := missedSince(hist, a); !ok || len(got) != 2 || got[0].ID != "b" || got[1].ID != "c" {
		t.Fatalf("after a: %v %v", got, ok)
	}
	if got, ok := missedSince(hist, c); !ok || len(got) != 0 {
		t.Fatalf("after c: %v %v", got, ok)
	}
	if got, ok := missedSince(hist, message("gone")); ok || len(got) != 3 {
		t.Fatalf("after an event History lost: %v %v", got, ok)
	}
}

func TestFollowerSkipsTheOverlapOnce(t *testing.T) {
	var handled []string
	f := &follower[domain.Message]{feed: feed[domain.Message]{handle: func(m domain.Message) { handled = append(handled, m.ID) }}}
	f.replayed = []domain.Message{message("r1"), message("r2"), message("r3")}
	// The new subscription starts at r2: r2 and r3 are second copies.
	for _, id := range []string{"r2", "r3", "n1", "r3"} {
		f.receive(message(id))
	}
	if !slices.Equal(handled, []string{"n1", "r3"}) {
		t.Fatalf("handled %v, want the new n1 and a later r3", handled)
	}
	handled = nil
	f.replayed = []domain.Message{message("r1")}
	f.matching = false
	f.receive(message("n2")) // the new subscription shares nothing with the replay
	f.receive(message("r1"))
	if !slices.Equal(handled, []string{"n2", "r1"}) {
		t.Fatalf("handled %v", handled)
	}
}
