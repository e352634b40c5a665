package pusher

import (
	"testing"
	"time"

	"github.com/chatwire/chatwire/core/clock"
)

func TestRateLimiter(t *testing.T) {
	clk := clock.NewFake(time.Unix(1000, 0))
	r := newRateLimiter(clk, 10, time.Second)
	for i := range 10 {
		if !r.Allow() {
			t.Fatalf("event %d refused", i+1)
		}
		clk.Advance(10 * time.Millisecond)
	}
	if r.Allow() {
		t.Fatal("11th event within a second allowed")
	}
	// The first event was at 0ms; at 999ms the window still holds ten.
	clk.Advance(899 * time.Millisecond)
	if r.Allow() {
		t.Fatal("allowed at 999ms")
	}
	clk.Advance(time.Millisecond)
	if !r.Allow() {
		t.Fatal("refused once the first event left the window")
	}
	if r.Allow() {
		t.Fatal("second event allowed when only one left the window")
	}
	r.reset()
	for i := range 10 {
		if !r.Allow() {
			t.Fatalf("after reset: event %d refused", i+1)
		}
	}
}
