package presentation

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/chatwire/chatwire/core/clock"
)

func TestStoreChangesStartsWithCurrentValue(t *testing.T) {
	s := newStore(7)
	defer s.close()
	ch := s.changes(t.Context())
	if v := <-ch; v != 7 {
		t.Fatalf("first value = %d, want 7", v)
	}
}

func TestStoreNewerValueReplacesUnreadOne(t *testing.T) {
	s := newStore(0)
	defer s.close()
	ch := s.changes(t.Context())
	for i := 1; i <= 100; i++ {
		s.set(i)
	}
	if v := <-ch; v != 100 {
		t.Fatalf("read %d, want the latest value 100", v)
	}
	select {
	case v := <-ch:
		t.Fatalf("stale value %d still queued", v)
	default:
	}
	if got := s.value(); got != 100 {
		t.Fatalf("value() = %d, want 100", got)
	}
}

func TestStoreUpdateWithoutChangeSendsNothing(t *testing.T) {
	s := newStore(1)
	defer s.close()
	ch := s.changes(t.Context())
	<-ch
	s.update(func(v int) (int, bool) { return v + 1, false })
	select {
	case v := <-ch:
		t.Fatalf("got %d for an update that reported no change", v)
	default:
	}
	if s.value() != 1 {
		t.Fatal("value changed")
	}
}

func TestStoreChangesClosesWhenContextEnds(t *testing.T) {
	s := newStore("a")
	defer s.close()
	ctx, cancel := context.WithCancel(t.Context())
	ch := s.changes(ctx)
	cancel()
	assertClosed(t, ch)
	s.set("b") // must not panic on the closed channel
	if s.value() != "b" {
		t.Fatal("store stopped updating after a subscriber left")
	}
	done, cancelled := context.WithCancel(t.Context())
	cancelled()
	if _, open := <-s.changes(done); open {
		t.Fatal("subscribing with a done context gave an open channel")
	}
}

func TestStoreCloseClosesSubscribersAndStopsSends(t *testing.T) {
	s := newStore(0)
	ch := s.changes(t.Context())
	<-ch
	s.close()
	s.close() // idempotent
	if _, open := <-ch; open {
		t.Fatal("channel open after close")
	}
	s.set(5)
	if s.value() != 0 {
		t.Fatal("update after close changed the value")
	}
	if _, open := <-s.changes(t.Context()); open {
		t.Fatal("changes after close gave an open channel")
	}
}

func TestStoreConcurrentUse(t *testing.T) {
	s := newStore(0)
	var wg sync.WaitGroup
	ctx, cancel := context.WithCancel(t.Context())
	for range 4 {
		ch := s.changes(ctx)
		wg.Go(func() {
			last := -1
			for v := range ch {
				if v < last {
					t.Errorf("went back from %d to %d", last, v)
				}
				last = v
			}
		})
	}
	for range 4 {
		wg.Go(func() {
			for range 250 {
				s.update(func(v int) (int, bool) { return v + 1, true })
			}
		})
	}
	for s.value() < 1000 {
		time.Sleep(time.Millisecond)
	}
	cancel()
	s.close()
	wg.Wait()
	if s.value() != 1000 {
		t.Fatalf("value = %d, want 1000", s.value())
	}
}

func TestRunnerCloseCancelsTimersAndWaits(t *testing.T) {
	fake := clock.NewFake(t0)
	r := newRunner(fake)
	fired := 0
	r.after(time.Second, func() { fired++ })
	stop := r.after(2*time.Second, func() { fired += 10 })
	stop()
	stop() // harmless twice
	fake.Advance(3 * time.Second)
	if fired != 1 {
		t.Fatalf("fired = %d, want 1 (the stopped timer must not run)", fired)
	}
	r.after(time.Second, func() { fired += 100 })
	ctx, release := r.context(0)
	defer release()
	exited := make(chan struct{})
	r.goFunc(func(done <-chan struct{}) {
		<-done
		close(exited)
	})
	r.close()
	r.close()
	select {
	case <-exited:
	default:
		t.Fatal("close returned before the goroutine ended")
	}
	if ctx.Err() == nil {
		t.Fatal("runner context not cancelled by close")
	}
	fake.Advance(time.Hour)
	if fired != 1 {
		t.Fatalf("a timer ran after close (fired = %d)", fired)
	}
	r.after(time.Second, func() { t.Error("scheduled after close") })
	fake.Advance(time.Hour)
}

func TestRunnerRealClockTimerStoppedByClose(t *testing.T) {
	r := newRunner(nil)
	ran := make(chan struct{}, 1)
	r.after(time.Hour, func() { ran <- struct{}{} })
	r.after(time.Millisecond, func() { ran <- struct{}{} })
	select {
	case <-ran:
	case <-time.After(waitLimit):
		t.Fatal("real clock timer never fired")
	}
	r.close() // must not wait an hour; goleak checks the timer is gone
	select {
	case <-ran:
		t.Fatal("the hour timer ran")
	default:
	}
}
