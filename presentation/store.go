package presentation

import (
	"context"
	"sync"

	"github.com/chatwire/chatwire/internal/fanout"
)

// store holds the latest value of type T and hands it to subscribers
// through 1-slot channels: a newer value replaces one a subscriber has not
// read yet, so publishing never blocks. Every method is safe for concurrent
// use; after close returns nothing more is sent.
type store[T any] struct {
	mu   sync.Mutex
	val  T
	subs subscribers[T]
}

func newStore[T any](initial T) *store[T] {
	s := &store[T]{val: initial}
	s.subs = newSubscribers[T](&s.mu)
	return s
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
	if s.subs.closed {
		return
	}
	v, changed := f(s.val)
	if !changed {
		return
	}
	s.val = v
	for ch := range s.subs.subs {
		offerLatest(ch, v)
	}
}

// updateEmitting is update for a notifier with change events: f also
// returns the events of its change, which are published on ev under the
// store's lock, right after the snapshot they belong to. So events reach
// every Events subscriber in snapshot order, and one who receives an
// event and then calls Value sees that snapshot or a newer one.
func updateEmitting[T, E any](s *store[T], ev *fanout.Fanout[E], f func(T) (T, []E, bool)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.subs.closed {
		return
	}
	v, events, changed := f(s.val)
	if !changed {
		return
	}
	s.val = v
	for ch := range s.subs.subs {
		offerLatest(ch, v)
	}
	for _, e := range events {
		ev.Publish(e)
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
	if s.subs.add(ctx, ch) { // else ch is closed: a closed store or an ended ctx
		ch <- s.val // under mu, so no update can slip in before it
	}
	return ch
}

// close closes every subscriber channel; later updates do nothing.
// Idempotent.
func (s *store[T]) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.subs.closeAll()
}

// subscribers is the store's bookkeeping: channels handed to
// subscribers, each closed when its ctx ends, all closed by closeAll.
// Every method but add's ctx callback runs with the owner's mu held.
type subscribers[T any] struct {
	mu     *sync.Mutex            // the owner's lock
	subs   map[chan T]func() bool // a channel and the stop of its ctx callback
	closed bool
}

func newSubscribers[T any](mu *sync.Mutex) subscribers[T] {
	return subscribers[T]{mu: mu, subs: make(map[chan T]func() bool)}
}

// add registers ch until ctx ends. On a closed owner or an ended ctx it
// closes ch at once and reports false.
func (s *subscribers[T]) add(ctx context.Context, ch chan T) bool {
	if s.closed || ctx.Err() != nil {
		close(ch)
		return false
	}
	s.subs[ch] = context.AfterFunc(ctx, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.remove(ch)
	})
	return true
}

// remove unregisters ch and closes it, if it is still registered.
func (s *subscribers[T]) remove(ch chan T) {
	stop, ok := s.subs[ch]
	if !ok {
		return
	}
	stop()
	delete(s.subs, ch)
	close(ch)
}

// closeAll closes every channel; later adds close theirs at once. It
// reports false when it had already run.
func (s *subscribers[T]) closeAll() bool {
	if s.closed {
		return false
	}
	s.closed = true
	for ch := range s.subs {
		s.remove(ch)
	}
	return true
}
