package network

import "time"

// maxImmediate is how many reconnects in a row may skip the backoff delay
// (ReconnectNow, Reauthorize) before a connection has stayed up for
// StablePeriod; after that they back off like any other failure.
const maxImmediate = 3

// backoff computes reconnect delays. The first delay after a reset is base
// plus up to 25% jitter; the n-th after it is drawn uniformly from
// [base, min(max, base·2ⁿ)] (full jitter that never goes below base).
//
// A backoff is owned by the loop goroutine; it is not safe for concurrent use.
type backoff struct {
	base, max time.Duration
	rand      func() float64
	n         int // delays handed out since the last reset
}

// next returns the delay before the next attempt and advances the schedule.
func (b *backoff) next() time.Duration {
	r := b.rand()
	if r < 0 || r >= 1 {
		r = 0
	}
	var d time.Duration
	if b.n == 0 {
		d = b.base + time.Duration(float64(b.base)*0.25*r)
	} else {
		ceiling := b.max
		if b.n < 62 && b.base<<b.n > 0 && b.base<<b.n < b.max {
			ceiling = b.base << b.n
		}
		d = b.base + time.Duration(float64(ceiling-b.base)*r)
	}
	b.n++
	return min(d, b.max)
}

// reset makes the next delay the first one again.
func (b *backoff) reset() { b.n = 0 }

// policy turns a Decision into a delay, enforcing the guards: at most
// maxImmediate immediate reconnects without a stable connection, and one
// Reauthorize in a row. Owned by the loop goroutine.
type policy struct {
	backoff   backoff
	immediate int  // immediate reconnects since the last stable connection
	reauthed  bool // the previous failure was answered with Reauthorize
}

// decide returns the delay before the next attempt, or stop.
func (p *policy) decide(d Decision) (delay time.Duration, stop bool) {
	switch d {
	case Stop:
		return 0, true
	case Reauthorize:
		if p.reauthed {
			return 0, true
		}
		p.reauthed = true
		if p.immediate < maxImmediate {
			p.immediate++
			return 0, false
		}
	case ReconnectNow:
		p.reauthed = false
		if p.immediate < maxImmediate {
			p.immediate++
			return 0, false
		}
	default:
		p.reauthed = false
	}
	return p.backoff.next(), false
}

// connected records a successful connect: a later unauthorized is a new
// first one.
func (p *policy) connected() { p.reauthed = false }

// stable records a connection that stayed up for StablePeriod: the backoff
// and the immediate-reconnect guard start over.
func (p *policy) stable() {
	p.backoff.reset()
	p.immediate = 0
}
