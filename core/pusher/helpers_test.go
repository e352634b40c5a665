package pusher_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/chatwire/chatwire/core/clock"
	"github.com/chatwire/chatwire/core/network"
	"github.com/chatwire/chatwire/core/pusher"
)

// wait bounds every wait of a test: long enough never to fire on a healthy
// machine; a test that hits it has failed.
const wait = 15 * time.Second

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	t.Cleanup(cancel)
	return ctx
}

// fastManager reconnects quickly on the wall clock: for tests where a
// server goes away for real.
func fastManager() network.ManagerOptions {
	return network.ManagerOptions{
		ReconnectDelay:    20 * time.Millisecond,
		MaxReconnectDelay: 200 * time.Millisecond,
		HandshakeTimeout:  5 * time.Second,
	}
}

// fakeManager runs every protocol timer on clk.
func fakeManager(clk clock.Clock) network.ManagerOptions {
	return network.ManagerOptions{Clock: clk}
}

func newClient(t *testing.T, opts pusher.Options) *pusher.Client {
	t.Helper()
	c, err := pusher.New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// recv returns the next value of ch or fails the test.
func recv[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v, ok := <-ch:
		if !ok {
			t.Fatalf("%s: stream closed", what)
		}
		return v
	case <-time.After(wait):
		t.Fatalf("%s: nothing within %v", what, wait)
	}
	var zero T
	return zero
}

// recvEvent skips events other than name.
func recvEvent(t *testing.T, ch <-chan pusher.Event, name string) pusher.Event {
	t.Helper()
	for {
		ev := recv(t, ch, "event "+name)
		if ev.Event == name {
			return ev
		}
	}
}

// recvFrame skips frames other than event.
func recvFrame(t *testing.T, ch <-chan pusher.Frame, event string) pusher.Frame {
	t.Helper()
	for {
		f := recv(t, ch, "frame "+event)
		if f.Event == event {
			return f
		}
	}
}

// eventually polls cond until it holds or the test's wait runs out.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, wait)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// advanceUntil moves clk on by step, whenever a timer falls due within it,
// until cond holds. A state change is reported before the timer it
// announces is armed: a single Advance right after it may come first and
// leave the timer waiting forever.
func advanceUntil(t *testing.T, clk *clock.Fake, step time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, wait)
		}
		if d, ok := clk.NextDeadline(); ok && d <= step {
			clk.Advance(step)
		}
		time.Sleep(time.Millisecond)
	}
}

func jsonField(t *testing.T, raw json.RawMessage, field string) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("data %s: %v", raw, err)
	}
	s, _ := m[field].(string)
	return s
}
