package fanout_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/chatwire/chatwire/core/clock"
	"github.com/chatwire/chatwire/internal/fanout"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const waitLimit = 10 * time.Second // guards against deadlocks only

// A burst far larger than any buffer reaches a subscriber that keeps
// reading, whole and in order, and the publisher never waits for it.
func TestDrainingSubscriberLosesNothing(t *testing.T) {
	f := fanout.New[int](fanout.Options{OnCutOff: func() { t.Error("a reading subscriber was cut off") }})
	defer f.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a, b := f.Subscribe(ctx), f.Subscribe(ctx)

	const n = 100_000
	for i := range n { // nobody reads yet: Publish must not block
		f.Publish(i)
	}
	for _, ch := range []<-chan int{a, b} {
		for want := range n {
			select {
			case got := <-ch:
				if got != want {
					t.Fatalf("got %d, want %d", got, want)
				}
			case <-time.After(waitLimit):
				t.Fatalf("value %d never came", want)
			}
		}
	}
}

// A subscriber that stops reading is cut off after the stall bound, and
// told so; the one that reads goes on.
func TestStalledSubscriberIsCutOff(t *testing.T) {
	clk := clock.NewFake(time.Unix(0, 0))
	var cut atomic.Int32
	f := fanout.New[int](fanout.Options{Stall: time.Minute, Clock: clk, OnCutOff: func() { cut.Add(1) }})
	defer f.Close()
	ctx := context.Background()
	stalled := f.Subscribe(ctx)
	f.Publish(1)
	// Its goroutine offers 1 and, as nobody takes it, arms the stall timer.
	if !clk.WaitForTimers(1, waitLimit) {
		t.Fatal("no stall timer armed for the value nobody took")
	}
	reading := f.Subscribe(ctx)
	clk.Advance(59 * time.Second)
	f.Publish(2)
	if got := receive(t, reading); got != 2 {
		t.Fatalf("reading got %d, want 2", got)
	}
	if cut.Load() != 0 {
		t.Fatal("cut off before the bound")
	}
	clk.Advance(time.Second)
	for deadline := time.Now().Add(waitLimit); cut.Load() == 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("not cut off at the bound")
		}
	}
	waitClosed(t, stalled)
	if cut.Load() != 1 {
		t.Fatalf("OnCutOff called %d times, want 1", cut.Load())
	}
	f.Publish(3)
	if got := receive(t, reading); got != 3 {
		t.Fatalf("reading got %d after the cut-off, want 3", got)
	}
	if f.Len() != 1 {
		t.Fatalf("Len = %d, want 1", f.Len())
	}
}

func TestContextEndClosesTheChannel(t *testing.T) {
	f := fanout.New[int](fanout.Options{})
	defer f.Close()
	ctx, cancel := context.WithCancel(context.Background())
	ch := f.Subscribe(ctx)
	f.Publish(1)
	cancel()
	waitClosed(t, ch)
	ended, cancel2 := context.WithCancel(context.Background())
	cancel2()
	if _, open := <-f.Subscribe(ended); open {
		t.Fatal("a subscription with an ended ctx must be closed")
	}
}

func TestCloseEndsEverythingAndWaits(t *testing.T) {
	f := fanout.New[int](fanout.Options{})
	ch := f.Subscribe(context.Background())
	f.Publish(1) // never taken
	f.Close()
	f.Close() // idempotent
	for range ch {
	}
	if _, open := <-f.Subscribe(context.Background()); open {
		t.Fatal("Subscribe after Close must return a closed channel")
	}
	f.Publish(2) // no panic, nothing sent
	if f.Len() != 0 {
		t.Fatalf("Len = %d after Close", f.Len())
	}
}

func receive(t *testing.T, ch <-chan int) int {
	t.Helper()
	select {
	case v, ok := <-ch:
		if !ok {
			t.Fatal("channel closed")
		}
		return v
	case <-time.After(waitLimit):
		t.Fatal("nothing received")
		return 0
	}
}

func waitClosed(t *testing.T, ch <-chan int) {
	t.Helper()
	limit := time.After(waitLimit)
	for {
		select {
		case _, ok := <-ch:
			if !ok {
				return
			}
		case <-limit:
			t.Fatal("channel not closed")
		}
	}
}
