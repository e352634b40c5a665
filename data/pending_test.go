package data

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/chatwire/chatwire/domain"
)

// A caller that gives up on a send already resolved learns it was resolved:
// its result is on the channel, not lost.
func TestPendingRemoveAfterResolution(t *testing.T) {
	ps := newPendingSends()
	p, _, _ := ps.add("c1", []byte("f1"))
	q, _, _ := ps.add("c2", []byte("f2"))
	if !ps.complete("c1", sendResult{msg: domain.Message{ID: "m1"}}) {
		t.Fatal("complete(c1) = false")
	}
	if ps.remove(p) {
		t.Error("remove of a completed send = true")
	}
	if r := <-p.done; r.msg.ID != "m1" {
		t.Errorf("result = %+v", r)
	}
	ps.failAll(domain.ErrClosed)
	if ps.remove(q) {
		t.Error("remove of a failed send = true")
	}
	if r := <-q.done; !errors.Is(r.err, domain.ErrClosed) {
		t.Errorf("result = %+v", r)
	}
	if r, _, _ := ps.add("c3", nil); !ps.remove(r) {
		t.Error("remove of a pending send = false")
	}
}

// A decision made before the handshake read its session.ready is never
// taken for it, even under the same session id.
func TestSessionDecisionIgnoresEarlierDecisions(t *testing.T) {
	var mu sync.Mutex
	d := sessionDecision{mu: &mu, since: -1, changed: make(chan struct{})}
	mu.Lock()
	d.decide("", -1) // the previous connection's
	mu.Unlock()
	after := d.made()

	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	if _, err := d.await(ctx, after, ""); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("await took an earlier decision: err = %v", err)
	}
	go func() {
		mu.Lock()
		d.decide("", 7)
		mu.Unlock()
	}()
	since, err := d.await(t.Context(), after, "")
	if err != nil || since != 7 {
		t.Errorf("await = %d, %v; want 7", since, err)
	}
}
