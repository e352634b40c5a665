package data

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chatwire/chatwire/core/clock"
)

// A cancelled send that was written, or was being written, says it may
// have been sent: the check and the end are one step, so a connection
// taking the send at the same moment is never hidden. Played many times,
// with a connection racing each cancel.
func TestLedgerCancelNeverHidesAWrite(t *testing.T) {
	for i := range 2000 {
		l := newLedger(clock.Real(), 8, time.Hour)
		e, err := l.add("c", []byte("frame"))
		if err != nil {
			t.Fatal(err)
		}
		var wrote atomic.Bool
		send := func(context.Context, []byte) error { wrote.Store(true); return nil }
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = l.connect(context.Background(), 1, 0, send)
		}()
		_, ended, maybeSent := l.cancel(e)
		wg.Wait()
		if ended {
			t.Fatalf("round %d: a send nothing ended reported ended", i)
		}
		if wrote.Load() && !maybeSent {
			t.Fatalf("round %d: the frame was written, but cancel said it was not sent", i)
		}
	}
}
