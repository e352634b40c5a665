package presentation

import (
	"context"
	"sync"
)

// fanout delivers every published value to each subscriber through a
// buffered channel. Publishing never blocks: a subscriber whose buffer is
// full is cut off (its channel closes) rather than allowed to stall the
// notifier. Every method is safe for concurrent use; after close returns
// nothing more is sent.
type fanout[T any] struct {
	buffer int
	mu     sync.Mutex
	subs   subscribers[T]
}

func newFanout[T any](buffer int) *fanout[T] {
	f := &fanout[T]{buffer: buffer}
	f.subs = newSubscribers[T](&f.mu)
	return f
}

func (f *fanout[T]) subscribe(ctx context.Context) <-chan T {
	f.mu.Lock()
	defer f.mu.Unlock()
	ch := make(chan T, f.buffer)
	f.subs.add(ctx, ch)
	return ch
}

// publish sends v to every subscriber and reports how many were cut off
// because their buffer was full.
func (f *fanout[T]) publish(v T) (evicted int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for ch := range f.subs.subs {
		select {
		case ch <- v:
		default:
			f.subs.remove(ch)
			evicted++
		}
	}
	return evicted
}

func (f *fanout[T]) close() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.subs.closeAll()
}
