package presentation

import (
	"context"
	"sync"
)

// subscribers is the bookkeeping store and fanout share: channels handed
// to subscribers, each closed when its ctx ends, all closed by closeAll.
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
