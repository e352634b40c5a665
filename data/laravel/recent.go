package laravel

import (
	"slices"
	"sync"

	"github.com/chatwire/chatwire/domain"
)

// recentSet remembers the last n keys it was given. Not safe for
// concurrent use: the data source guards it.
type recentSet struct {
	keys map[string]struct{}
	ring []string
	next int
}

func newRecentSet(n int) *recentSet {
	return &recentSet{keys: make(map[string]struct{}, n), ring: make([]string, n)}
}

func (r *recentSet) has(k string) bool {
	_, ok := r.keys[k]
	return ok
}

// add records k and reports whether it was new.
func (r *recentSet) add(k string) bool {
	if _, ok := r.keys[k]; ok {
		return false
	}
	if old := r.ring[r.next]; old != "" {
		delete(r.keys, old)
	}
	r.ring[r.next] = k
	r.next = (r.next + 1) % len(r.ring)
	r.keys[k] = struct{}{}
	return true
}

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

// snapshot returns the events oldest first.
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

// sortedCopy returns ids sorted, in a new slice.
func sortedCopy(ids []string) []string {
	out := append([]string(nil), ids...)
	slices.Sort(out)
	return out
}
