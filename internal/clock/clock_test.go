package clock_test

import (
	"testing"
	"time"

	"github.com/chatwire/chatwire/internal/clock"
)

type fixed struct{ clock.Clock }

func TestOrKeepsAGivenClock(t *testing.T) {
	f := fixed{}
	if got := clock.Or(f); got != clock.Clock(f) {
		t.Fatalf("Or(f) = %v, want f", got)
	}
	if _, ok := clock.Or(nil).(interface{ Now() time.Time }); !ok {
		t.Fatal("Or(nil) must be a clock")
	}
}

func TestRealAfterFuncRunsAndStops(t *testing.T) {
	c := clock.Real()
	ran := make(chan struct{})
	c.AfterFunc(time.Millisecond, func() { close(ran) })
	select {
	case <-ran:
	case <-time.After(10 * time.Second):
		t.Fatal("AfterFunc never ran")
	}
	stop := c.AfterFunc(time.Hour, func() { t.Error("a stopped callback ran") })
	if !stop() {
		t.Fatal("stop before the deadline must report true")
	}
	if before, now := time.Now(), c.Now(); now.Before(before.Add(-time.Second)) {
		t.Fatalf("Now() = %v, not the wall clock", now)
	}
}
