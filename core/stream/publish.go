package stream

// Publish delivers v to every current subscriber. It never waits on an
// Evict subscriber. It waits on a Block subscriber whose buffer is full
// until it has room (then v goes in), its context ends, the broadcaster
// stops waiting, or it is cut off for taking nothing for StallTimeout.
// The subscribers with room get v first, so one waited on holds the others
// up only from the next value on.
func (b *Broadcaster[T]) Publish(v T) {
	var waitBuf [4]*subscriber[T]
	wait := waitBuf[:0]
	var wake <-chan struct{}
	evicted := 0

	b.mu.Lock()
	for i := 0; i < len(b.subs); {
		s := b.subs[i]
		if s.offer(v, b) {
			i++
			continue
		}
		switch {
		case s.policy == Block && !b.stopWait:
			wait = append(wait, s)
			i++
			continue
		case s.policy == Evict:
			evicted++
		}
		b.drop(s) // removes b.subs[i]
	}
	if len(wait) > 0 {
		wake = b.wakeLocked()
	}
	b.mu.Unlock()

	for _, s := range wait {
		var out sendOutcome
		if s.queueMax > 0 {
			out = s.waitRoom(v, b, wake)
		} else {
			out = s.waitSend(v, wake, b.opts.StallTimeout)
		}
		if out == stalled || out == woken {
			b.mu.Lock()
			if b.drop(s) && out == stalled {
				evicted++
			}
			b.mu.Unlock()
		}
	}
	if b.opts.OnEvict != nil {
		for range evicted {
			b.opts.OnEvict(ErrSlowConsumer)
		}
	}
}
