package streams

import (
	"sync"

	"github.com/chatwire/chatwire/domain"
)

// history keeps the most recent typed events in a ring. Safe for
// concurrent use.
type history struct {
	mu     sync.Mutex
	events []domain.Event
	next   int
	full   bool
}

func newHistory(size int) *history { return &history{events: make([]domain.Event, size)} }

func (h *history) add(e domain.Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.events[h.next] = e
	h.next = (h.next + 1) % len(h.events)
	h.full = h.full || h.next == 0
}

// snapshot returns the events oldest first, in a new slice.
func (h *history) snapshot() []domain.Event {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.full {
		return append([]domain.Event(nil), h.events[:h.next]...)
	}
	out := make([]domain.Event, 0, len(h.events))
	out = append(out, h.events[h.next:]...)
	return append(out, h.events[:h.next]...)
}
