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
	subs   map[*fanSub[T]]struct{}
	closed bool
}

type fanSub[T any] struct {
	ch   chan T
	stop func() bool
}

func newFanout[T any](buffer int) *fanout[T] {
	return &fanout[T]{buffer: buffer, subs: make(map[*fanSub[T]]struct{})}
}

func (f *fanout[T]) subscribe(ctx context.Context) <-chan T {
	f.mu.Lock()
	defer f.mu.Unlock()
	ch := make(chan T, f.buffer)
	if f.closed || ctx.Err() != nil {
		close(ch)
		return ch
	}
	sub := &fanSub[T]{ch: ch}
	f.subs[sub] = struct{}{}
	sub.stop = context.AfterFunc(ctx, func() { f.drop(sub) })
	return ch
}

// publish sends v to every subscriber and reports how many were cut off
// because their buffer was full.
func (f *fanout[T]) publish(v T) (evicted int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for sub := range f.subs {
		select {
		case sub.ch <- v:
		default:
			sub.stop()
			delete(f.subs, sub)
			close(sub.ch)
			evicted++
		}
	}
	return evicted
}

func (f *fanout[T]) drop(sub *fanSub[T]) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.subs[sub]; ok {
		delete(f.subs, sub)
		close(sub.ch)
	}
}

func (f *fanout[T]) close() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return
	}
	f.closed = true
	for sub := range f.subs {
		sub.stop()
		close(sub.ch)
	}
	clear(f.subs)
}
