package presentation

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/chatwire/chatwire/domain"
	"go.uber.org/mock/gomock"
)

func TestNotifiersWiredTogether(t *testing.T) {
	src := newSource(t)
	src.setState(domain.ConnectionState{Status: domain.Disconnected})
	src.EXPECT().Connect(gomock.Any(), "tok").DoAndReturn(func(context.Context, string) error {
		src.setState(domain.ConnectionState{Status: domain.Connected, UserID: me})
		return nil
	})
	ns := NewNotifiers(src, NotifiersOptions{
		UserID:     me,
		Clock:      src.clock,
		Connection: ConnectionOptions{TokenSource: func(context.Context) (string, error) { return "tok", nil }},
		Typing:     TypingOptions{Expiry: time.Second},
	})
	if err := ns.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	if ns.Connection.Value().Status != domain.Connected {
		t.Fatal("not connected after Start")
	}
	ctx := t.Context()
	msgs, convs, typ := ns.Messages.Changes(ctx), ns.Conversations.Changes(ctx), ns.Typing.Changes(ctx)
	pres, calls, conn := ns.Presence.Changes(ctx), ns.Calls.Changes(ctx), ns.Connection.Changes(ctx)

	// One message reaches both the messages and the conversations notifier.
	src.messages.push(t, msg("m1", "c1", "u2", 0))
	waitFor(t, msgs, "message", func(m Messages) bool { return len(m.In("c1")) == 1 })
	waitFor(t, convs, "conversation", func(c Conversations) bool { x, ok := c.Get("c1"); return ok && x.UnreadCount == 1 })

	src.typing.push(t, typing("c1", "u2", true))
	waitFor(t, typ, "typing", func(s Typing) bool { return len(s.In("c1")) == 1 })
	src.clock.Advance(time.Second) // the per-notifier option overrides the 8 s default
	if len(ns.Typing.Value().In("c1")) != 0 {
		t.Fatal("typing expiry option not applied")
	}
	src.statuses.push(t, domain.UserStatusUpdate{UserID: "u2", Status: domain.StatusOnline})
	waitFor(t, pres, "presence", func(p Presence) bool { _, ok := p.Of("u2"); return ok })
	src.calls.push(t, incomingCall("k1", "u2"))
	waitFor(t, calls, "call", func(c Call) bool { return c.Phase == CallIncomingRinging })

	ns.Close()
	ns.Close()
	for _, ch := range []func(){
		func() { assertClosed(t, msgs) }, func() { assertClosed(t, convs) }, func() { assertClosed(t, typ) },
		func() { assertClosed(t, pres) }, func() { assertClosed(t, calls) }, func() { assertClosed(t, conn) },
	} {
		ch()
	}
	src.clock.Advance(time.Hour) // the ring timer is gone: nothing runs after Close
	if err := ns.Start(t.Context()); !errors.Is(err, domain.ErrClosed) {
		t.Fatalf("Start after Close = %v", err)
	}
}

func TestNotifiersCloseWhileEventsFlow(t *testing.T) {
	src := newSource(t)
	src.EXPECT().SendTyping(gomock.Any(), gomock.Any(), gomock.Any()).Return(nil).AnyTimes()
	ns := NewNotifiers(src, NotifiersOptions{Clock: src.clock})
	stop := make(chan struct{})
	pushed := make(chan struct{})
	go func() {
		defer close(pushed)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			src.messages.mu.Lock()
			for ch := range src.messages.subs {
				select {
				case ch <- msg("m", "c1", "u2", time.Duration(i)):
				default:
				}
			}
			src.messages.mu.Unlock()
		}
	}()
	_ = ns.Typing.Keystroke(t.Context(), "c1")
	ns.Close()
	close(stop)
	<-pushed
	got := ns.Messages.Value()
	time.Sleep(10 * time.Millisecond)
	if len(ns.Messages.Value().In("c1")) != len(got.In("c1")) {
		t.Fatal("the snapshot changed after Close returned")
	}
}
