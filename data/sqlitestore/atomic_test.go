package sqlitestore_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/chatwire/chatwire/data"
)

// positionCheck is a store that checks, at every commit, that the position
// is never ahead of the events committed with it or before: the data
// source hands an event and the position it leads to over together.
type positionCheck struct {
	data.Store
	mu        sync.Mutex
	committed map[int64]bool
	err       error
}

func (p *positionCheck) Commit(ctx context.Context, b data.Batch) error {
	p.mu.Lock()
	for _, m := range b.Messages {
		p.committed[m.Seq] = true
	}
	if b.Position != nil && p.err == nil {
		for seq := int64(1); seq <= b.Position.Seq; seq++ {
			if !p.committed[seq] {
				p.err = fmt.Errorf("a batch stored position %d before message %d", b.Position.Seq, seq)
				break
			}
		}
	}
	p.mu.Unlock()
	return p.Store.Commit(ctx, b)
}

// A flood of messages, each with its seq: no commit stores a position
// whose events it has not stored too (a crash right after it would lose
// them from the cache while the next start syncs past them).
func TestPositionNeverAheadOfItsEvents(t *testing.T) {
	const n = 20000
	check := &positionCheck{Store: data.NewMemoryStore(0), committed: map[int64]bool{}}
	s := newFloodServer(t)
	src, err := data.New(data.Options{BaseURL: s.url(), Store: check, StreamBuffer: 8192})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	msgs := src.Messages(ctx)
	if err := src.Connect(ctx, "token"); err != nil {
		t.Fatal(err)
	}
	conn := <-s.conns
	defer conn.Close()
	wrote := flood(conn, n)
	for i := range n {
		if m := recv(t, msgs); m.Seq != int64(i+1) {
			t.Fatalf("message %d has seq %d", i+1, m.Seq)
		}
	}
	if err := <-wrote; err != nil {
		t.Fatal(err)
	}
	_ = src.Close() // commits what is pending
	check.mu.Lock()
	defer check.mu.Unlock()
	if check.err != nil {
		t.Fatal(check.err)
	}
	if len(check.committed) != n {
		t.Fatalf("%d of %d messages committed", len(check.committed), n)
	}
}
