package data

import (
	"math/rand/v2"
	"sync"
)

// nodes is the base URLs of one service, and the one the next attempt
// dials. Each data source walks the nodes in an order of its own (a
// shuffle made at New), so clients start spread and the clients of a node
// that fails spread over all the others rather than all moving to one.
// Safe for concurrent use.
type nodes struct {
	mu   sync.Mutex
	urls []string // in this data source's order
	at   int
}

func newNodes(urls []string) *nodes {
	order := make([]string, len(urls))
	for i, j := range rand.Perm(len(urls)) {
		order[i] = urls[j]
	}
	return &nodes{urls: order}
}

// current is the base URL the next attempt dials.
func (n *nodes) current() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.urls[n.at]
}

// next moves to the following node.
func (n *nodes) next() {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.at = (n.at + 1) % len(n.urls)
}

// len is how many nodes there are.
func (n *nodes) len() int { return len(n.urls) }
