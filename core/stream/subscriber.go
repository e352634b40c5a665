package stream

import (
	"sync"
	"time"
)

// subscriber is one subscription. Values reach it through its channel;
// a subscriber whose buffer is larger than ChannelSlots also through its
// queue, which a feeding goroutine empties into the channel while it holds
// values.
//
// Lock order: the broadcaster's mu, then sendMu, then mu; nothing is
// locked while mu is held.
type subscriber[T any] struct {
	ch       chan T
	policy   Policy
	queueMax int         // values that may wait beyond ch; zero: none
	stop     func() bool // unregisters the context callback

	// sendMu is held by the one goroutine that may wait to send on ch
	// outside mu: a publisher waiting for room, or the feeder. drop takes
	// it before closing ch.
	sendMu sync.Mutex
	stall  *time.Timer // the StallTimeout timer, made on the first wait; guarded by sendMu

	mu      sync.Mutex
	dropped bool          // cut off or unsubscribed: nothing more is sent
	feeding bool          // a feeder runs; the queue is empty when it does not
	queue   ring[T]       // values waiting for room in ch, oldest first
	gone    chan struct{} // made on first need; closed by drop
	room    chan struct{} // made on first need, capacity 1: the feeder made room in the queue
}

// sendOutcome is how a wait for room ended.
type sendOutcome int

const (
	sent    sendOutcome = iota // the value went in
	gone                       // the subscription ended meanwhile
	woken                      // StopWaiting or Close: cut the subscriber off
	stalled                    // nothing taken for StallTimeout: cut it off
)

// offer hands v to s if that needs no wait, and reports whether it did (or
// s is gone, which needs nothing either): false means s's buffer is full.
// The caller holds b.mu.
func (s *subscriber[T]) offer(v T, b *Broadcaster[T]) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.dropped {
		return true
	}
	if !s.feeding { // nothing queued: v may overtake nothing
		select {
		case s.ch <- v:
			return true
		default:
		}
	}
	return s.enqueueLocked(v, b)
}

// enqueueLocked queues v if the queue has room, starting the feeder if it
// is not running, and reports whether it did. The caller holds s.mu.
func (s *subscriber[T]) enqueueLocked(v T, b *Broadcaster[T]) bool {
	if s.queue.len() >= s.queueMax {
		return false
	}
	s.queue.push(v)
	if !s.feeding {
		s.feeding = true
		b.feeds.Add(1)
		go s.feed(b)
	}
	return true
}

// waitRoom waits until s's queue has room for v, s is gone or wake closes.
// For a Block subscriber with a queue; the feeder bounds the wait by
// cutting off a subscriber that stalls (with a StallTimeout).
func (s *subscriber[T]) waitRoom(v T, b *Broadcaster[T], wake <-chan struct{}) sendOutcome {
	for {
		s.mu.Lock()
		if s.dropped {
			s.mu.Unlock()
			return gone
		}
		if s.enqueueLocked(v, b) {
			s.mu.Unlock()
			return sent
		}
		room, end := s.roomLocked(), s.goneLocked()
		s.mu.Unlock()
		select {
		case <-room:
		case <-end:
			return gone
		case <-wake:
			return woken
		}
	}
}

// waitSend waits until s's channel has room for v, s is gone, wake closes
// or stall passes without s taking anything. For a Block subscriber
// without a queue.
func (s *subscriber[T]) waitSend(v T, wake <-chan struct{}, stall time.Duration) sendOutcome {
	s.sendMu.Lock()
	defer s.sendMu.Unlock()
	s.mu.Lock()
	if s.dropped {
		s.mu.Unlock()
		return gone
	}
	end := s.goneLocked()
	s.mu.Unlock()
	return s.send(v, end, wake, stall)
}

// feed is the feeder: it moves queued values into the channel, oldest
// first, until the queue is empty or s is gone. A subscriber that takes
// nothing for StallTimeout is cut off and reported.
func (s *subscriber[T]) feed(b *Broadcaster[T]) {
	defer b.feeds.Done()
	s.sendMu.Lock()
	out := sent
	s.mu.Lock()
	for out == sent && !s.dropped && s.queue.len() > 0 {
		// The value stays queued until it is in the channel, so the queue
		// and the channel together never hold more than the buffer.
		v, end := s.queue.peek(), s.goneLocked()
		s.mu.Unlock()
		out = s.send(v, end, nil, b.opts.StallTimeout)
		s.mu.Lock()
		if out == sent && !s.dropped {
			s.queue.pop()
			select { // a publisher waiting for room may go on
			case s.room <- struct{}{}:
			default:
			}
		}
	}
	s.feeding = false
	s.queue.clear() // empty, or s is gone: release what the queue grew to
	if out == stalled {
		s.dropped = true // publishers stop queueing; drop below closes ch
	}
	s.mu.Unlock()
	s.sendMu.Unlock()
	if out == stalled {
		b.mu.Lock()
		cut := b.drop(s)
		b.mu.Unlock()
		if cut && b.opts.OnEvict != nil {
			b.opts.OnEvict(ErrSlowConsumer)
		}
	}
}

// send puts v in s's channel, waiting for room until end or wake closes or
// stall (if positive) passes without s taking anything. The caller holds
// sendMu.
func (s *subscriber[T]) send(v T, end, wake <-chan struct{}, stall time.Duration) sendOutcome {
	select {
	case s.ch <- v:
		return sent
	default:
	}
	var expired <-chan time.Time
	if stall > 0 {
		if s.stall == nil {
			s.stall = time.NewTimer(stall)
		} else {
			s.stall.Reset(stall)
		}
		defer s.stall.Stop()
		expired = s.stall.C
	}
	select {
	case s.ch <- v:
		return sent
	case <-end:
		return gone
	case <-wake:
		return woken
	case <-expired:
		return stalled
	}
}

// goneLocked returns the channel drop closes. The caller holds s.mu and
// has checked that s is not dropped.
func (s *subscriber[T]) goneLocked() <-chan struct{} {
	if s.gone == nil {
		s.gone = make(chan struct{})
	}
	return s.gone
}

// roomLocked returns the channel the feeder signals after taking a value
// from the queue. The caller holds s.mu.
func (s *subscriber[T]) roomLocked() <-chan struct{} {
	if s.room == nil {
		s.room = make(chan struct{}, 1)
	}
	return s.room
}
