package streams_test

import (
	"testing"
	"time"
)

// hang bounds a wait that should end at once, so a bug fails the test
// instead of hanging it. It is not a speed assertion.
const hang = 10 * time.Second

// recv returns the next value of ch, failing if ch is closed.
func recv[T any](t *testing.T, ch <-chan T) T {
	t.Helper()
	select {
	case v, ok := <-ch:
		if !ok {
			t.Fatalf("channel closed, want a %T", v)
		}
		return v
	case <-time.After(hang):
		t.Fatalf("no value within %v", hang)
	}
	panic("unreachable")
}

// drained reads ch until it closes and returns how many values it held.
// It may run on any goroutine.
func drained[T any](t *testing.T, ch <-chan T) int {
	t.Helper()
	n := 0
	deadline := time.After(hang)
	for {
		select {
		case _, ok := <-ch:
			if !ok {
				return n
			}
			n++
		case <-deadline:
			t.Errorf("channel still open after %v", hang)
			return n
		}
	}
}

// empty fails if ch holds a value or is closed.
func empty[T any](t *testing.T, ch <-chan T) {
	t.Helper()
	select {
	case v, ok := <-ch:
		t.Fatalf("got %v (open %v), want nothing", v, ok)
	default:
	}
}

// waitDone fails if done is not closed within hang.
func waitDone(t *testing.T, done <-chan struct{}) {
	t.Helper()
	select {
	case <-done:
	case <-time.After(hang):
		t.Fatalf("still running after %v", hang)
	}
}
