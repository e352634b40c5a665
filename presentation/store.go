package presentation

import (
	"context"
	"sync"
)

// store holds the latest value of type T and hands it to subscribers
// through 1-slot channels: a newer value replaces one a subscriber has not
// read yet, so publishing never blocks. Every method is safe for concurrent
// use; after close returns nothing more is sent.
type store[T any] struct {
	mu     sync.Mutex
	val    T
	subs   map[*storeSub[T]]struct{}
	closed bool
}

type storeSub[T any] struct {
	ch   chan T
	stop func() bool // unregisters the context callback
}

func newStore[T any](initial T) *store[T] {
	return &store[T]{val: initial, subs: make(map[*storeSub[T]]struct{})}
}

// value returns the current value.
func (s *store[T]) value() T {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.val
}

// update replaces the value with f(current) and publishes it, atomically
// with respect to other updates. f runs under the store's lock: it must be
// quick and must not call the store. If f reports false nothing changes.
// After close, update does nothing.
func (s *store[T]) update(f func(T) (T, bool)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	v, changed := f(s.val)
	if !changed {
		return
	}
	s.val = v
	for sub := range s.subs {
		offerLatest(sub.ch, v)
	}
}

// set publishes v.
func (s *store[T]) set(v T) {
	s.update(func(T) (T, bool) { return v, true })
}

// offerLatest puts v in the 1-slot channel ch, replacing an unread value.
// The caller must be the only sender on ch.
func offerLatest[T any](ch chan T, v T) {
	select {
	case <-ch:
	default:
	}
	select {
	case ch <- v:
	default: // unreachable with a single sender; never block
	}
}

// changes returns a channel that holds the current value at once and then
// every newer one, latest wins. It closes when ctx ends or the store closes.
func (s *store[T]) changes(ctx context.Context) <-chan T {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := make(chan T, 1)
	if s.closed || ctx.Err() != nil {
		close(ch)
		return ch
	}
	ch <- s.val
	sub := &storeSub[T]{ch: ch}
	s.subs[sub] = struct{}{}
	sub.stop = context.AfterFunc(ctx, func() { s.unsubscribe(sub) })
	return ch
}

func (s *store[T]) unsubscribe(sub *storeSub[T]) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.subs[sub]; !ok {
		return
	}
	delete(s.subs, sub)
	close(sub.ch)
}

// close closes every subscriber channel; later updates do nothing.
// Idempotent.
func (s *store[T]) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	s.closed = true
	for sub := range s.subs {
		sub.stop()
		close(sub.ch)
	}
	clear(s.subs)
}
