// Package fanout delivers each published value to every subscriber, in
// publication order, without ever blocking the publisher and without
// losing a value for a subscriber that keeps reading.
//
// Each subscriber has a queue that grows with use and one goroutine that
// hands the queue to its channel. A subscriber that leaves a value untaken
// for longer than the stall bound has stopped reading: it is cut off (its
// channel closes) and told so through Options.OnCutOff. Nothing is
// allocated per subscriber up front beyond its channel and goroutine.
package fanout

import (
	"context"
	"sync"
	"time"

	"github.com/chatwire/chatwire/internal/clock"
)

// DefaultStall is how long a subscriber may leave a value untaken before
// it is cut off, when Options.Stall is zero.
const DefaultStall = 30 * time.Second

// Options configure a Fanout. The zero value is ready to use.
type Options struct {
	// Stall is how long a subscriber may leave a value untaken before it
	// is cut off. Zero means DefaultStall.
	Stall time.Duration
	// Clock runs the stall timers. Nil means the wall clock.
	Clock clock.Clock
	// OnCutOff, if set, is called once for each subscriber cut off for a
	// stall, on that subscriber's goroutine, before its channel closes.
	// It is never called after Close returns.
	OnCutOff func()
}

// Fanout fans values of type T out to subscribers. Every method is safe for
// concurrent use; values published from one goroutine (or under one lock)
// reach each subscriber in that order. After Close returns nothing is sent
// on any channel and no callback runs.
type Fanout[T any] struct {
	opts  Options
	clock clock.Clock

	mu     sync.Mutex
	subs   map[*subscriber[T]]struct{}
	closed bool
	done   chan struct{} // closed by Close
	wg     sync.WaitGroup
}

type subscriber[T any] struct {
	ch   chan T
	wake chan struct{} // 1 slot: the queue has grown

	mu    sync.Mutex
	queue []T
}

// New returns an open Fanout.
func New[T any](opts Options) *Fanout[T] {
	if opts.Stall <= 0 {
		opts.Stall = DefaultStall
	}
	return &Fanout[T]{opts: opts, clock: clock.Or(opts.Clock),
		subs: make(map[*subscriber[T]]struct{}), done: make(chan struct{})}
}

// Subscribe returns a channel of every value published from now on. It
// closes when ctx ends, when the Fanout closes, or when the subscriber is
// cut off for a stall. On a closed Fanout or an ended ctx it is closed
// already.
func (f *Fanout[T]) Subscribe(ctx context.Context) <-chan T {
	s := &subscriber[T]{ch: make(chan T), wake: make(chan struct{}, 1)}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed || ctx.Err() != nil {
		close(s.ch)
		return s.ch
	}
	f.subs[s] = struct{}{}
	f.wg.Add(1)
	go f.deliver(s, ctx.Done())
	return s.ch
}

// Publish queues v for every current subscriber. It never blocks on a
// subscriber. After Close it does nothing.
func (f *Fanout[T]) Publish(v T) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return
	}
	for s := range f.subs {
		s.mu.Lock()
		s.queue = append(s.queue, v)
		s.mu.Unlock()
		select {
		case s.wake <- struct{}{}:
		default: // already woken
		}
	}
}

// Len returns the number of current subscribers.
func (f *Fanout[T]) Len() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.subs)
}

// Close ends every subscription and waits for their goroutines; later
// Publish calls do nothing. Idempotent.
func (f *Fanout[T]) Close() {
	f.mu.Lock()
	if !f.closed {
		f.closed = true
		close(f.done)
	}
	f.mu.Unlock()
	f.wg.Wait()
}

// deliver hands s's queue to s.ch until ctx ends, the Fanout closes or s
// stalls. It is s's only sender and closes s.ch when it returns.
func (f *Fanout[T]) deliver(s *subscriber[T], ctxDone <-chan struct{}) {
	defer f.wg.Done()
	defer func() {
		f.mu.Lock()
		delete(f.subs, s)
		f.mu.Unlock()
		close(s.ch)
	}()
	for {
		v, ok := s.next(ctxDone, f.done)
		if !ok {
			return
		}
		select {
		case s.ch <- v:
			continue
		case <-ctxDone:
			return
		case <-f.done:
			return
		default: // not taken at once: start the stall bound
		}
		stalled := make(chan struct{})
		stop := f.clock.AfterFunc(f.opts.Stall, func() { close(stalled) })
		select {
		case s.ch <- v:
			stop()
		case <-ctxDone:
			stop()
			return
		case <-f.done:
			stop()
			return
		case <-stalled:
			if f.opts.OnCutOff != nil {
				f.opts.OnCutOff()
			}
			return
		}
	}
}

// next waits for the oldest queued value.
func (s *subscriber[T]) next(ctxDone, closed <-chan struct{}) (T, bool) {
	for {
		s.mu.Lock()
		if len(s.queue) > 0 {
			v := s.queue[0]
			var zero T
			s.queue[0] = zero // let the value go once delivered
			s.queue = s.queue[1:]
			s.mu.Unlock()
			return v, true
		}
		s.queue = nil // give the drained array back
		s.mu.Unlock()
		select {
		case <-s.wake:
		case <-ctxDone:
			var zero T
			return zero, false
		case <-closed:
			var zero T
			return zero, false
		}
	}
}
