package streams

import (
	"sync"

	"github.com/chatwire/chatwire/domain"
)

// history keeps the most recent typed events, up to size, in a ring that
// grows as events come: an idle connection holds none. Safe for
// concurrent use.
type history struct {
	size int // the bound; set once by New

	mu     sync.Mutex
	events []domain.Event
	next   int // where the next event goes once the ring is full
}

func (h *history) add(e domain.Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if n := len(h.events); n < h.size {
		if n == cap(h.events) { // grow, but never past the bound
			grown := make([]domain.Event, n, min(max(2*n, 8), h.size))
			copy(grown, h.events)
			h.events = grown
		}
		h.events = append(h.events, e)
		return
	}
	h.events[h.next] = e
	h.next = (h.next + 1) % h.size
}

// snapshot returns the events oldest first, in a new slice.
func (h *history) snapshot() []domain.Event {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.events) == 0 {
		return nil
	}
	out := make([]domain.Event, 0, len(h.events))
	out = append(out, h.events[h.next:]...)
	return append(out, h.events[:h.next]...)
}
