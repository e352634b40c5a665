package stream

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"
)

// ErrSlowConsumer is passed to Options.OnEvict when a subscriber was cut
// off: an Evict subscriber that fell a full buffer behind, or a Block
// subscriber that took nothing for Options.StallTimeout while values
// waited for it.
var ErrSlowConsumer = errors.New("stream: subscriber too slow, subscription closed")

// Policy says what Publish does when a subscriber's buffer is full.
type Policy int

const (
	// Evict closes the subscriber's channel and reports ErrSlowConsumer.
	Evict Policy = iota
	// Block makes Publish wait until the subscriber has room, its context is
	// done, or the broadcaster stops waiting (StopWaiting, Close). A
	// subscriber that takes nothing for Options.StallTimeout while values
	// wait for it is cut off and ErrSlowConsumer reported.
	Block
)

// DefaultBuffer is the buffer of an Evict subscriber when none is given:
// its room for a burst before it is cut off. Like every buffer beyond
// ChannelSlots, it is allocated only as values wait in it.
const DefaultBuffer = 256

// DefaultBlockBuffer is the buffer of a Block subscriber when none is
// given: the publisher waits as soon as the subscriber's channel is full.
const DefaultBlockBuffer = ChannelSlots

// ChannelSlots is the most slots a subscriber's channel gets, made when it
// subscribes. Beyond them, the rest of its buffer is a queue that grows
// only while the subscriber is behind, and is released once it has caught
// up (up to 64 slots are kept for the next burst): a subscriber costs its
// buffer only while it uses it.
const ChannelSlots = 4

// Options configure a Broadcaster. The zero value is ready to use.
type Options struct {
	// Buffer is the default per-subscriber buffer: how many values may wait
	// for a subscriber. Zero means DefaultBuffer for Evict subscribers and
	// DefaultBlockBuffer for Block subscribers.
	Buffer int
	// StallTimeout bounds how long a subscriber may take nothing while
	// values wait for it: past it the subscriber is cut off (its channel
	// closes after what it holds) and OnEvict receives ErrSlowConsumer. A
	// Block subscriber that keeps taking values is never cut off, however
	// far behind it is. Zero means no bound.
	StallTimeout time.Duration
	// OnEvict, if set, is called outside any lock each time a subscriber is
	// cut off as too slow: on the publishing goroutine, or, for a stalled
	// subscriber with a queue, on the goroutine that fed its queue.
	OnEvict func(error)
}

// SubscribeOptions configure one subscription. The zero value means the
// broadcaster's buffer and the Evict policy.
type SubscribeOptions struct {
	Buffer int
	Policy Policy
}

// Broadcaster fans out values of type T. Publish, Subscribe, StopWaiting
// and Close are safe for concurrent use; values from one publishing
// goroutine reach each subscriber in publication order.
//
// Goroutines: none while every subscriber keeps up. A subscriber whose
// buffer is larger than ChannelSlots gets a goroutine that feeds its
// channel from its queue while the queue holds values; it ends when the
// queue is empty. Close waits for them.
type Broadcaster[T any] struct {
	opts  Options
	feeds sync.WaitGroup // the queue-feeding goroutines

	mu       sync.Mutex
	subs     []*subscriber[T]
	closed   bool
	stopWait bool          // StopWaiting or Close was called
	wake     chan struct{} // made on the first wait; closed by StopWaiting or Close
}

// NewBroadcaster returns an open Broadcaster. It allocates no buffer until
// someone subscribes.
func NewBroadcaster[T any](opts Options) *Broadcaster[T] {
	return &Broadcaster[T]{opts: opts}
}

// Subscribe returns a channel of every value published from now on, with the
// broadcaster's default buffer and the Evict policy.
func (b *Broadcaster[T]) Subscribe(ctx context.Context) <-chan T {
	return b.SubscribeWith(ctx, SubscribeOptions{})
}

// SubscribeWith is Subscribe with an explicit buffer and policy. On a closed
// broadcaster it returns an already closed channel.
func (b *Broadcaster[T]) SubscribeWith(ctx context.Context, o SubscribeOptions) <-chan T {
	size := o.Buffer
	if size <= 0 {
		size = b.opts.Buffer
	}
	if size <= 0 {
		size = DefaultBuffer
		if o.Policy == Block {
			size = DefaultBlockBuffer
		}
	}
	s := &subscriber[T]{policy: o.Policy}
	if size > ChannelSlots {
		s.queueMax = size - ChannelSlots
		size = ChannelSlots
	}
	s.ch = make(chan T, size)
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		close(s.ch)
		return s.ch
	}
	b.subs = append(b.subs, s)
	if ctx.Done() != nil { // a context that can end
		s.stop = context.AfterFunc(ctx, func() {
			b.mu.Lock()
			defer b.mu.Unlock()
			b.drop(s)
		})
	}
	return s.ch
}

// Len returns the number of current subscribers.
func (b *Broadcaster[T]) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.subs)
}

// StopWaiting makes Publish stop waiting on Block subscribers: a publisher
// waiting now returns at once, and from now on a Block subscriber with no
// room is cut off like an Evict one, without a report. An owner calls it
// when it begins to close, so that a pump held up by a stalled subscriber
// finishes without waiting for StallTimeout. Idempotent.
func (b *Broadcaster[T]) StopWaiting() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.stopWaitingLocked()
}

func (b *Broadcaster[T]) stopWaitingLocked() {
	if b.stopWait {
		return
	}
	b.stopWait = true
	if b.wake != nil {
		close(b.wake)
	}
}

// wakeLocked returns the channel StopWaiting and Close close. The caller
// holds b.mu and has checked that neither was called.
func (b *Broadcaster[T]) wakeLocked() <-chan struct{} {
	if b.wake == nil {
		b.wake = make(chan struct{})
	}
	return b.wake
}

// Close ends every subscription and makes later Publish calls no-ops: each
// channel closes after the values it holds; values queued beyond it are
// dropped. It is idempotent; after it returns no value is sent on any
// subscriber channel, and the first call returns once every goroutine of
// the broadcaster has ended.
func (b *Broadcaster[T]) Close() {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return
	}
	b.closed = true
	b.stopWaitingLocked()
	for len(b.subs) > 0 {
		b.drop(b.subs[len(b.subs)-1])
	}
	b.mu.Unlock()
	b.feeds.Wait()
}

// drop removes s and closes its channel, once a goroutine sending on it
// outside the locks has left; it reports whether s was subscribed. The
// caller holds b.mu.
func (b *Broadcaster[T]) drop(s *subscriber[T]) bool {
	i := slices.Index(b.subs, s)
	if i < 0 {
		return false
	}
	b.subs = slices.Delete(b.subs, i, i+1)
	if s.stop != nil {
		s.stop()
	}
	s.mu.Lock()
	s.dropped = true
	s.queue.clear()
	if s.gone != nil {
		close(s.gone) // wakes a sender on ch and a publisher waiting for room
	}
	s.mu.Unlock()
	s.sendMu.Lock()
	close(s.ch)
	s.sendMu.Unlock()
	return true
}
