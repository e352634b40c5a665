package presentation

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/chatwire/chatwire/domain"
	"go.uber.org/mock/gomock"
)

type typingSend struct {
	conv string
	on   bool
}

func newTyping(t *testing.T) (*source, *TypingNotifier, <-chan Typing, *recorder[typingSend]) {
	src := newSource(t)
	sends := newRecorder[typingSend]()
	src.EXPECT().SendTyping(gomock.Any(), gomock.Any(), gomock.Any()).DoAndReturn(
		func(_ context.Context, conv string, on bool) error {
			sends.add(typingSend{conv, on})
			return nil
		}).AnyTimes()
	n := NewTypingNotifier(src, TypingOptions{Clock: src.clock})
	t.Cleanup(n.Close)
	return src, n, n.Changes(t.Context()), sends
}

func typing(conv, user string, on bool) domain.TypingIndicator {
	return domain.TypingIndicator{ConversationID: conv, UserID: user, IsTyping: on}
}

func TestTypingShownAndStopped(t *testing.T) {
	src, _, changes, _ := newTyping(t)
	src.typing.push(t, typing("c1", "u3", true), typing("c1", "u2", true), typing("c2", "u2", true))
	v := waitFor(t, changes, "three typing", func(s Typing) bool { return len(s.In("c1")) == 2 && len(s.In("c2")) == 1 })
	if !slices.Equal(v.In("c1"), []string{"u2", "u3"}) {
		t.Fatalf("c1 typing = %v", v.In("c1"))
	}
	src.typing.push(t, typing("c1", "u3", false))
	v = waitFor(t, changes, "u3 stopped", func(s Typing) bool { return len(s.In("c1")) == 1 })
	if !slices.Equal(v.In("c1"), []string{"u2"}) {
		t.Fatalf("c1 typing = %v", v.In("c1"))
	}
	// A message from a typing user ends the indicator.
	src.messages.push(t, msg("m1", "c2", "u2", 0))
	v = waitFor(t, changes, "c2 cleared", func(s Typing) bool { return len(s.In("c2")) == 0 })
	if _, ok := v.ByConversation["c2"]; ok {
		t.Fatal("an empty conversation stays in the map")
	}
}

func TestTypingOwnUserExcluded(t *testing.T) {
	src, _, changes, _ := newTyping(t)
	src.typing.push(t, typing("c1", me, true), typing("c1", "u2", true))
	v := waitFor(t, changes, "u2", func(s Typing) bool { return len(s.In("c1")) > 0 })
	if !slices.Equal(v.In("c1"), []string{"u2"}) {
		t.Fatalf("typing = %v, want only u2", v.In("c1"))
	}
}

func TestTypingExpiresEightSecondsAfterLastUpdate(t *testing.T) {
	src, n, changes, _ := newTyping(t)
	src.typing.push(t, typing("c1", "u2", true))
	waitFor(t, changes, "u2", func(s Typing) bool { return len(s.In("c1")) == 1 })

	src.clock.Advance(5 * time.Second)
	// Refresh u2; u3 is a marker on the same stream that tells the refresh
	// was handled.
	src.typing.push(t, typing("c1", "u2", true), typing("c1", "u3", true))
	waitFor(t, changes, "u3", func(s Typing) bool { return len(s.In("c1")) == 2 })

	src.clock.Advance(3*time.Second + time.Millisecond) // 8 s after the first update
	if got := n.Value().In("c1"); !slices.Equal(got, []string{"u2", "u3"}) {
		t.Fatalf("at 8 s after the first update typing = %v; the refresh must extend it", got)
	}
	src.clock.Advance(5 * time.Second) // 8 s after the refresh
	if got := n.Value().In("c1"); len(got) != 0 {
		t.Fatalf("typing = %v after expiry, want nobody", got)
	}
	if src.clock.Pending() != 0 {
		t.Fatalf("%d timers left", src.clock.Pending())
	}
}

func TestTypingOutgoingThrottledAndAutoStopped(t *testing.T) {
	src, n, _, sends := newTyping(t)
	ctx := t.Context()
	key := func() {
		t.Helper()
		if err := n.Keystroke(ctx, "c1"); err != nil {
			t.Fatal(err)
		}
	}
	key()
	if s := sends.next(t); s != (typingSend{"c1", true}) {
		t.Fatalf("first keystroke sent %+v", s)
	}
	for range 2 {
		src.clock.Advance(time.Second)
		key()
	}
	sends.none(t) // 1 s and 2 s after the start: throttled
	src.clock.Advance(time.Second)
	key() // 3 s after the start
	if s := sends.next(t); s != (typingSend{"c1", true}) {
		t.Fatalf("keystroke after 3 s sent %+v", s)
	}
	src.clock.Advance(5*time.Second - time.Millisecond)
	sends.none(t)
	src.clock.Advance(time.Millisecond) // 5 s without keystrokes
	if s := sends.next(t); s != (typingSend{"c1", false}) {
		t.Fatalf("after 5 s idle sent %+v, want stop", s)
	}
	src.clock.Advance(time.Minute)
	sends.none(t)
	key() // a new burst starts with a send at once
	if s := sends.next(t); s != (typingSend{"c1", true}) {
		t.Fatalf("new burst sent %+v", s)
	}
}

func TestTypingStoppedSendsAtOnceAndCancelsTimer(t *testing.T) {
	src, n, _, sends := newTyping(t)
	ctx := t.Context()
	if err := n.Stopped(ctx, "c1"); err != nil {
		t.Fatal(err)
	}
	sends.none(t) // nothing was typed: nothing to stop
	if err := n.Keystroke(ctx, "c1"); err != nil {
		t.Fatal(err)
	}
	sends.next(t)
	if err := n.Stopped(ctx, "c1"); err != nil {
		t.Fatal(err)
	}
	if s := sends.next(t); s != (typingSend{"c1", false}) {
		t.Fatalf("Stopped sent %+v", s)
	}
	src.clock.Advance(time.Minute)
	sends.none(t)
	if err := n.Keystroke(ctx, ""); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("Keystroke(\"\") = %v", err)
	}
}

func TestTypingSendFailureIsReturnedAndRetried(t *testing.T) {
	src := newSource(t)
	gomock.InOrder(
		src.EXPECT().SendTyping(gomock.Any(), "c1", true).Return(domain.ErrNotConnected),
		src.EXPECT().SendTyping(gomock.Any(), "c1", true).Return(nil),
	)
	n := NewTypingNotifier(src, TypingOptions{Clock: src.clock})
	defer n.Close()
	if err := n.Keystroke(t.Context(), "c1"); !errors.Is(err, domain.ErrNotConnected) {
		t.Fatalf("Keystroke = %v, want ErrNotConnected", err)
	}
	if src.clock.Pending() != 0 {
		t.Fatal("a failed start left a stop timer")
	}
	if err := n.Keystroke(t.Context(), "c1"); err != nil { // not throttled: the start never went out
		t.Fatal(err)
	}
}

func TestTypingCloseCancelsPendingStop(t *testing.T) {
	src, n, changes, sends := newTyping(t)
	if err := n.Keystroke(t.Context(), "c1"); err != nil {
		t.Fatal(err)
	}
	sends.next(t)
	n.Close()
	n.Close()
	assertClosed(t, changes)
	src.clock.Advance(time.Minute)
	sends.none(t)
	if err := n.Keystroke(t.Context(), "c1"); !errors.Is(err, domain.ErrClosed) {
		t.Fatalf("Keystroke after Close = %v", err)
	}
}

func TestTypingRealClockCloseDoesNotLeak(t *testing.T) {
	src := newSource(t)
	src.EXPECT().SendTyping(gomock.Any(), "c1", true).Return(nil)
	n := NewTypingNotifier(src, TypingOptions{})
	if err := n.Keystroke(t.Context(), "c1"); err != nil {
		t.Fatal(err)
	}
	n.Close() // stops the real 5 s timer; goleak and gomock check nothing else ran
}
