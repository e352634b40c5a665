package presentation

import (
	"context"
	"sync"
	"time"

	"github.com/chatwire/chatwire/domain"
	"github.com/chatwire/chatwire/internal/clock"
)

// runner owns the lifetime of one notifier: its goroutines, its timers and
// the contexts of the work it starts by itself (subscriptions, timer-driven
// sends). close cancels all of them and waits, so that nothing of the
// notifier runs after it returns. Every method is safe for concurrent use.
type runner struct {
	clock domain.Clock

	mu      sync.Mutex
	closed  bool
	nextID  int
	timers  map[int]func() bool
	cancels map[int]context.CancelFunc
	wg      sync.WaitGroup
	done    chan struct{}
}

func newRunner(c domain.Clock) *runner {
	return &runner{
		clock:   clock.Or(c),
		timers:  make(map[int]func() bool),
		cancels: make(map[int]context.CancelFunc),
		done:    make(chan struct{}),
	}
}

// now reads the clock.
func (r *runner) now() time.Time { return r.clock.Now() }

// isClosed reports whether close has been called.
func (r *runner) isClosed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.closed
}

// context returns a context that ends when the runner closes, or after
// timeout when timeout > 0. release must be called when the work is done.
func (r *runner) context(timeout time.Duration) (ctx context.Context, release func()) {
	ctx, cancel := context.WithCancel(context.Background())
	if timeout > 0 {
		var c2 context.CancelFunc
		ctx, c2 = context.WithTimeout(ctx, timeout)
		c1 := cancel
		cancel = func() { c2(); c1() }
	}
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		cancel()
		return ctx, func() {}
	}
	r.nextID++
	id := r.nextID
	r.cancels[id] = cancel
	r.mu.Unlock()
	return ctx, func() {
		r.mu.Lock()
		delete(r.cancels, id)
		r.mu.Unlock()
		cancel()
	}
}

// goFunc runs f in a goroutine that close waits for. f must return once
// done is closed. It does nothing after close.
func (r *runner) goFunc(f func(done <-chan struct{})) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return
	}
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		f(r.done)
	}()
}

// after calls f after d on the runner's clock, unless stopped or closed
// first. The returned stop cancels the call; it is safe to call more than
// once and after the call ran. close waits for a running f.
func (r *runner) after(d time.Duration, f func()) (stop func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return func() {}
	}
	r.nextID++
	id := r.nextID
	r.wg.Add(1)
	var once sync.Once
	finish := func() {
		once.Do(func() {
			r.mu.Lock()
			delete(r.timers, id)
			r.mu.Unlock()
			r.wg.Done()
		})
	}
	stopClock := r.clock.AfterFunc(d, func() {
		defer finish()
		if r.isClosed() {
			return
		}
		f()
	})
	r.timers[id] = stopClock
	return func() {
		if stopClock() {
			finish()
		}
	}
}

// close cancels every context and timer, signals the goroutines to return
// and waits for them and for running timer callbacks. Idempotent.
func (r *runner) close() {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		r.wg.Wait()
		return
	}
	r.closed = true
	close(r.done)
	cancels := make([]context.CancelFunc, 0, len(r.cancels))
	for _, c := range r.cancels {
		cancels = append(cancels, c)
	}
	stops := make([]func() bool, 0, len(r.timers))
	for _, s := range r.timers {
		stops = append(stops, s)
	}
	r.mu.Unlock()

	for _, c := range cancels {
		c()
	}
	for _, s := range stops {
		if s() {
			r.wg.Done() // the callback will never run to call finish
		}
	}
	r.wg.Wait()
}
