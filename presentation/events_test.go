package presentation

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/chatwire/chatwire/core/clock"
	"github.com/chatwire/chatwire/domain"
	"github.com/chatwire/chatwire/domain/domaintest"
)

// next waits for the next event on ch.
func next[E any](t *testing.T, ch <-chan E) E {
	t.Helper()
	select {
	case e, ok := <-ch:
		if !ok {
			t.Fatal("events closed")
		}
		return e
	case <-time.After(waitLimit):
		var zero E
		t.Fatalf("no %T came", zero)
		return zero
	}
}

// expectKinds reads len(want) events and checks their kinds.
func expectKinds[E any](t *testing.T, ch <-chan E, kind func(E) string, want ...string) []E {
	t.Helper()
	got := make([]E, 0, len(want))
	for i, w := range want {
		e := next(t, ch)
		if k := kind(e); k != w {
			t.Fatalf("event %d is %q (%+v), want %q", i, k, e, w)
		}
		got = append(got, e)
	}
	return got
}

func messageKind(e MessageEvent) string {
	return fmt.Sprintf("%s %s", e.Kind, messageKey(e.Message))
}

func TestMessageEvents(t *testing.T) {
	src := newFake(t, domaintest.Options{Answer: domaintest.Hang})
	n := NewMessagesNotifier(src, MessagesOptions{Window: 3})
	t.Cleanup(n.Close)
	ev := n.Events(t.Context())

	src.Push(domain.Message{ID: "b1", ConversationID: "c1", SenderID: "bob", Content: "hi", CreatedAt: t0})
	src.Push(domain.Message{ID: "b1", ConversationID: "c1", SenderID: "bob", Content: "hi", CreatedAt: t0}) // a copy: no event
	src.Push(domain.Message{ID: "b1", ConversationID: "c1", SenderID: "bob", Content: "hi, edited", CreatedAt: t0})
	expectKinds(t, ev, messageKind, "added b1", "updated b1")

	done := make(chan error, 1)
	go func() {
		_, err := n.Send(t.Context(), domain.MessageDraft{ConversationID: "c1", Content: "mine", ClientID: "k1"})
		done <- err
	}()
	send := nextSend(t, src)
	e := expectKinds(t, ev, messageKind, "added k1")[0]
	if e.Message.Status != MessageSending {
		t.Fatalf("optimistic %+v", e.Message)
	}
	send.ConfirmWith(domain.Message{ID: "m1", ClientID: "k1", ConversationID: "c1", SenderID: me, Content: "mine", CreatedAt: t0.Add(time.Second)})
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	e = expectKinds(t, ev, messageKind, "status changed m1")[0]
	if e.Previous != MessageSending || e.Message.Status != MessageSent {
		t.Fatalf("confirmation %+v", e)
	}

	src.Push(domain.ReadReceipt{ConversationID: "c1", UserID: "bob", MessageID: "m1"})
	if e = expectKinds(t, ev, messageKind, "status changed m1")[0]; e.Previous != MessageSent || e.Message.Status != MessageRead {
		t.Fatalf("read %+v", e)
	}

	src.SetAnswer(domaintest.Fail(domain.ErrSendExpired))
	if _, err := n.Send(t.Context(), domain.MessageDraft{ConversationID: "c1", Content: "lost", ClientID: "k2"}); !errors.Is(err, domain.ErrSendExpired) {
		t.Fatalf("Send = %v", err)
	}
	expectKinds(t, ev, messageKind, "added k2")
	if e = expectKinds(t, ev, messageKind, "status changed k2")[0]; e.Message.Status != MessageFailed {
		t.Fatalf("failure %+v", e)
	}
	// A fourth message: the window of three drops the oldest.
	src.Push(domain.Message{ID: "b2", ConversationID: "c1", SenderID: "bob", CreatedAt: t0.Add(time.Hour)})
	expectKinds(t, ev, messageKind, "added b2", "removed b1")
	if got := len(n.Value().In("c1")); got != 3 {
		t.Fatalf("%d messages in the window", got)
	}
}

func TestConversationAndTypingAndPresenceEvents(t *testing.T) {
	src := newFake(t, domaintest.Options{})
	clk := clock.NewFake(t0)
	ns := NewNotifiers(src, NotifiersOptions{Clock: clk})
	t.Cleanup(ns.Close)
	conv, typ, pres := ns.Conversations.Events(t.Context()), ns.Typing.Events(t.Context()), ns.Presence.Events(t.Context())

	src.Push(domain.ConversationUpdate{ConversationID: "c1", Action: domain.ConversationCreated, Title: "One"})
	src.Push(domain.ConversationUpdate{ConversationID: "c1", Action: domain.ConversationUpdated, Title: "Uno"})
	src.Push(domain.ConversationUpdate{ConversationID: "c1", Action: domain.ConversationDeleted})
	kinds := func(e ConversationEvent) string { return e.Kind.String() }
	got := expectKinds(t, conv, kinds, "added", "updated", "removed")
	if got[1].Previous.Title != "One" || got[1].Conversation.Title != "Uno" || got[2].Conversation.ID != "c1" {
		t.Fatalf("events %+v", got)
	}

	src.Push(domain.TypingIndicator{ConversationID: "c2", UserID: "bob", IsTyping: true})
	src.Push(domain.TypingIndicator{ConversationID: "c2", UserID: "bob", IsTyping: true}) // still typing: no event
	src.Push(domain.TypingIndicator{ConversationID: "c2", UserID: "bob", IsTyping: false})
	expectKinds(t, typ, func(e TypingEvent) string { return e.Kind.String() + " " + e.UserID + " in " + e.ConversationID },
		"started typing bob in c2", "stopped typing bob in c2")

	src.Push(domain.UserStatusUpdate{UserID: "bob", Status: domain.StatusOnline})
	src.Push(domain.UserStatusUpdate{UserID: "bob", Status: domain.StatusOnline}) // no change: no event
	src.Push(domain.UserStatusUpdate{UserID: "bob", Status: domain.StatusOffline})
	p1, p2 := next(t, pres), next(t, pres)
	if p1.Known || p1.Presence.Status != domain.StatusOnline || !p2.Known ||
		p2.Previous.Status != domain.StatusOnline || p2.Presence.Status != domain.StatusOffline || !p2.Presence.LastSeen.Equal(t0) {
		t.Fatalf("presence events %+v %+v", p1, p2)
	}
}

func TestCallAndConnectionEvents(t *testing.T) {
	src := newFake(t, domaintest.Options{})
	ns := NewNotifiers(src, NotifiersOptions{})
	t.Cleanup(ns.Close)
	calls, conn := ns.Calls.Events(t.Context()), ns.Connection.Events(t.Context())

	src.Push(domain.CallEvent{Kind: domain.CallIncoming, CallID: "k1", ConversationID: "c1", CallerID: "bob", CalleeIDs: []string{me}})
	if e := next(t, calls); e.Call.Phase != CallIncomingRinging || e.Previous != CallIdle || e.Call.CallerID != "bob" {
		t.Fatalf("incoming %+v", e)
	}
	if err := ns.Calls.Accept(t.Context(), "k1"); err != nil {
		t.Fatal(err)
	}
	if e := next(t, calls); e.Call.Phase != CallActive || e.Previous != CallIncomingRinging {
		t.Fatalf("accepted %+v", e)
	}

	drop := errors.New("link down")
	src.SetState(domain.ConnectionState{Status: domain.Reconnecting, Attempt: 1, Err: drop})
	e := next(t, conn)
	if e.Kind != ConnectionStatusChanged || e.Previous != domain.Connected || e.Connection.Status != domain.Reconnecting {
		t.Fatalf("first %+v", e)
	}
	if e = next(t, conn); e.Kind != ConnectionError || !errors.Is(e.Connection.Err, drop) {
		t.Fatalf("second %+v", e)
	}
	if e = next(t, conn); e.Kind != ConnectionSyncChanged || e.Connection.Sync != domain.SyncNone {
		t.Fatalf("third %+v: the drop also ends the catch-up status", e)
	}
	src.SetState(domain.ConnectionState{Status: domain.Connected, UserID: me, Sync: domain.SyncIncomplete})
	if e = next(t, conn); e.Kind != ConnectionStatusChanged || e.Connection.Err != nil {
		t.Fatalf("reconnected %+v", e)
	}
	if e = next(t, conn); e.Kind != ConnectionSyncChanged || !e.Connection.SyncIncomplete {
		t.Fatalf("sync %+v", e)
	}
}

// Issue 13: "typing: nobody" came before or after the message depending on
// the transport. In a Notifiers, a message is applied to typing, then to
// the conversation list, then to the messages: whoever receives
// MessageAdded sees the other two already up to date.
func TestMessageAppliedToTypingAndConversationsFirst(t *testing.T) {
	src := newFake(t, domaintest.Options{})
	ns := NewNotifiers(src, NotifiersOptions{})
	t.Cleanup(ns.Close)
	msgs := ns.Messages.Events(t.Context())
	typingChanges := ns.Typing.Changes(t.Context())
	for i := range 200 {
		conv := fmt.Sprint("c", i%3)
		src.Push(domain.TypingIndicator{ConversationID: conv, UserID: "bob", IsTyping: true})
		waitFor(t, typingChanges, "bob typing", func(s Typing) bool { return len(s.In(conv)) == 1 })
		id := fmt.Sprint("m", i)
		src.Push(domain.Message{ID: id, ConversationID: conv, SenderID: "bob", CreatedAt: t0.Add(time.Duration(i) * time.Second)})
		e := next(t, msgs)
		if e.Kind != MessageAdded || e.Message.ID != id {
			t.Fatalf("event %+v, want %s added", e, id)
		}
		if who := ns.Typing.Value().In(conv); len(who) != 0 {
			t.Fatalf("message %s added while the typing notifier still shows %v typing", id, who)
		}
		if c, ok := ns.Conversations.Value().Get(conv); !ok || c.LastMessage == nil || c.LastMessage.ID != id {
			t.Fatalf("message %s added before the conversation list had it: %+v", id, c)
		}
	}
}

// Events are not repeated across a cut-off: what the new subscription
// shares with the catch-up is applied once.
func TestEventsOnceAcrossACutOff(t *testing.T) {
	g := newGated(newFake(t, domaintest.Options{}))
	n := NewMessagesNotifier(g, MessagesOptions{})
	t.Cleanup(n.Close)
	ev := n.Events(t.Context())
	g.Push(message("m1"))
	expectKinds(t, ev, messageKind, "added m1")
	g.CutOff(domaintest.Messages)
	waitClosedCh(t, g.resubscribing, "the notifier to subscribe again")
	g.Push(message("m2"))
	close(g.letSubscribe)
	waitClosedCh(t, g.readingHist, "the catch-up")
	g.Push(message("m3"))
	close(g.letHistory)
	g.Push(message("m4"))
	expectKinds(t, ev, messageKind, "added m2", "added m3", "added m4")
	g.Push(message("m5"))
	expectKinds(t, ev, messageKind, "added m5") // not a second m3 or m4
}

func TestEventsCloseWithTheNotifier(t *testing.T) {
	src := newFake(t, domaintest.Options{})
	ns := NewNotifiers(src, NotifiersOptions{})
	ctx, cancel := context.WithCancel(t.Context())
	byCtx := ns.Messages.Events(ctx)
	cancel()
	assertClosed(t, byCtx)
	chans := []func(){}
	m, c, ty := ns.Messages.Events(t.Context()), ns.Conversations.Events(t.Context()), ns.Typing.Events(t.Context())
	p, ca, co := ns.Presence.Events(t.Context()), ns.Calls.Events(t.Context()), ns.Connection.Events(t.Context())
	chans = append(chans, func() { assertClosed(t, m) }, func() { assertClosed(t, c) }, func() { assertClosed(t, ty) },
		func() { assertClosed(t, p) }, func() { assertClosed(t, ca) }, func() { assertClosed(t, co) })
	ns.Close()
	for _, check := range chans {
		check()
	}
}
