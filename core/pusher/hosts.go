package pusher

import (
	"errors"
	"math/rand/v2"
	"strings"
	"sync"
)

// hosts is the nodes of one cluster and the one the next attempt dials.
// Each Client walks them in an order of its own, shuffled at New: clients
// spread over the nodes from the start, and the clients of a node that
// fails or drains move on to different next nodes instead of all to the
// same one. Safe for concurrent use.
type hosts struct {
	mu    sync.Mutex
	order []string
	at    int
}

// newHosts shuffles the nodes host and more, without duplicates.
func newHosts(host string, more []string) (*hosts, error) {
	seen := map[string]bool{}
	var order []string
	for _, h := range append([]string{host}, more...) {
		h = strings.TrimSpace(h)
		if h == "" || seen[h] {
			continue
		}
		if strings.Contains(h, "/") {
			return nil, errors.New("pusher: options: host " + h + " is not host:port")
		}
		seen[h] = true
		order = append(order, h)
	}
	if len(order) == 0 {
		return nil, errors.New("pusher: options: no host")
	}
	rand.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
	return &hosts{order: order}, nil
}

// current is the host the next attempt dials.
func (h *hosts) current() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.order[h.at]
}

// next moves to the following host: the current one failed or was lost.
func (h *hosts) next() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.at = (h.at + 1) % len(h.order)
}
