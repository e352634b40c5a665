package stream

import (
	"context"
	"errors"
	"sync"
)

// ErrSlowConsumer is passed to Options.OnEvict when a subscriber under the
// Evict policy fell a full buffer behind and was cut off.
var ErrSlowConsumer = errors.New("stream: subscriber too slow, subscription closed")

// Policy says what Publish does when a subscriber's buffer is full.
type Policy int

const (
	// Evict closes the subscriber's channel and reports ErrSlowConsumer.
	Evict Policy = iota
	// Block makes Publish wait until the subscriber has room, its context is
	// done, or the broadcaster is closed.
	Block
)

// DefaultBuffer is the per-subscriber buffer used when none is given.
const DefaultBuffer = 256

// Options configure a Broadcaster. The zero value is ready to use.
type Options struct {
	// Buffer is the default per-subscriber buffer; zero means DefaultBuffer.
	Buffer int
	// OnEvict, if set, is called on the publishing goroutine, outside any
	// lock, each time a subscriber is evicted.
	OnEvict func(error)
}

// SubscribeOptions configure one subscription. The zero value means the
// broadcaster's buffer and the Evict policy.
type SubscribeOptions struct {
	Buffer int
	Policy Policy
}

// Broadcaster fans out values of type T. Publish, Subscribe and Close are
// safe for concurrent use; values from one publishing goroutine reach each
// subscriber in publication order.
type Broadcaster[T any] struct {
	opts Options

	mu     sync.Mutex
	subs   map[*subscriber[T]]struct{}
	closed bool
	done   chan struct{} // closed by Close, wakes blocked publishers
}

type subscriber[T any] struct {
	ch     chan T
	policy Policy
	gone   chan struct{} // closed when the subscriber's context ends
	stop   func() bool   // unregisters the context callback

	sendMu  sync.Mutex // held by a publisher blocked on ch; close waits for it
	dropped bool       // guarded by sendMu
}

// NewBroadcaster returns an open Broadcaster.
func NewBroadcaster[T any](opts Options) *Broadcaster[T] {
	if opts.Buffer <= 0 {
		opts.Buffer = DefaultBuffer
	}
	return &Broadcaster[T]{opts: opts, subs: make(map[*subscriber[T]]struct{}), done: make(chan struct{})}
}

// Subscribe returns a channel of every value published from now on, with the
// broadcaster's default buffer and the Evict policy.
func (b *Broadcaster[T]) Subscribe(ctx context.Context) <-chan T {
	return b.SubscribeWith(ctx, SubscribeOptions{})
}

// SubscribeWith is Subscribe with an explicit buffer and policy. On a closed
// broadcaster it returns an already closed channel.
func (b *Broadcaster[T]) SubscribeWith(ctx context.Context, o SubscribeOptions) <-chan T {
	if o.Buffer <= 0 {
		o.Buffer = b.opts.Buffer
	}
	s := &subscriber[T]{ch: make(chan T, o.Buffer), policy: o.Policy, gone: make(chan struct{})}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		close(s.ch)
		return s.ch
	}
	b.subs[s] = struct{}{}
	s.stop = context.AfterFunc(ctx, func() {
		close(s.gone) // wakes a publisher blocked on s before we take the lock
		b.mu.Lock()
		defer b.mu.Unlock()
		b.drop(s)
	})
	return s.ch
}

// Publish delivers v to every current subscriber. It never blocks on an
// Evict subscriber; it waits on a full Block subscriber.
func (b *Broadcaster[T]) Publish(v T) {
	var evicted int
	var full []*subscriber[T]
	b.mu.Lock()
	for s := range b.subs {
		select {
		case s.ch <- v:
			continue
		default:
		}
		if s.policy == Block {
			full = append(full, s)
			continue
		}
		b.drop(s)
		evicted++
	}
	b.mu.Unlock()
	for _, s := range full {
		s.blockingSend(v, b.done)
	}
	if b.opts.OnEvict != nil {
		for range evicted {
			b.opts.OnEvict(ErrSlowConsumer)
		}
	}
}

// blockingSend waits until s has room for v, s's context ends or the
// broadcaster closes.
func (s *subscriber[T]) blockingSend(v T, closed <-chan struct{}) {
	s.sendMu.Lock()
	defer s.sendMu.Unlock()
	if s.dropped {
		return
	}
	select {
	case s.ch <- v:
	case <-s.gone:
	case <-closed:
	}
}

// Len returns the number of current subscribers.
func (b *Broadcaster[T]) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.subs)
}

// Close ends every subscription and makes later Publish calls no-ops. It is
// idempotent; after it returns no value is sent on any subscriber channel.
func (b *Broadcaster[T]) Close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return
	}
	b.closed = true
	close(b.done)
	for s := range b.subs {
		b.drop(s)
	}
}

// drop removes s and closes its channel. The caller holds b.mu.
func (b *Broadcaster[T]) drop(s *subscriber[T]) {
	if _, ok := b.subs[s]; !ok {
		return
	}
	delete(b.subs, s)
	if s.stop != nil {
		s.stop()
	}
	s.sendMu.Lock() // a blocked publisher wakes on gone or done first
	s.dropped = true
	close(s.ch)
	s.sendMu.Unlock()
}
