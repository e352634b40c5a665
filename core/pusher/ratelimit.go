package pusher

import (
	"sync"
	"time"

	"github.com/chatwire/chatwire/core/clock"
)

// rateLimiter allows at most n events in any window (a sliding window). It
// never queues: Allow answers at once. Safe for concurrent use.
type rateLimiter struct {
	clock  clock.Clock
	n      int
	window time.Duration

	mu   sync.Mutex
	sent []time.Time // times of the last (up to) n allowed events, oldest first
}

func newRateLimiter(c clock.Clock, n int, window time.Duration) *rateLimiter {
	return &rateLimiter{clock: c, n: n, window: window, sent: make([]time.Time, 0, n)}
}

// Allow records an event and reports true if fewer than n events were
// allowed in the window before now; otherwise it records nothing.
func (r *rateLimiter) Allow() bool {
	now := r.clock.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.sent) == r.n {
		if now.Sub(r.sent[0]) < r.window {
			return false
		}
		copy(r.sent, r.sent[1:])
		r.sent = r.sent[:r.n-1]
	}
	r.sent = append(r.sent, now)
	return true
}

// reset forgets every recorded event (a new connection).
func (r *rateLimiter) reset() {
	r.mu.Lock()
	r.sent = r.sent[:0]
	r.mu.Unlock()
}
