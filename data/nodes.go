package data

import (
	"math/rand/v2"
	"sync"
)

// nodes is the base URLs of one service, and the one the next attempt
// dials. Each data source starts at a random node, so clients spread, and
// walks the list in order from there. Safe for concurrent use.
type nodes struct {
	mu   sync.Mutex
	urls []string
	at   int
}

func newNodes(urls []string) *nodes {
	return &nodes{urls: urls, at: rand.IntN(len(urls))}
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
