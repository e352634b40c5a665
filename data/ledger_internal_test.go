package data

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chatwire/chatwire/core/clock"
	"github.com/chatwire/chatwire/domain"
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
			_ = l.connect(context.Background(), 1, send)
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

// A session.ready that no handshake waits for any more (its handshake gave
// up, or a later connection's handshake waits) starts nothing: a sync round
// nobody would send would hold events back until its timeout.
func TestStaleSessionReadyStartsNoCatchUp(t *testing.T) {
	s, err := New(Options{BaseURL: "ws://127.0.0.1:1", Resume: domain.Position{Seq: 5}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ready := &wireSessionReady{UserID: "alice", SessionID: "s", LastSeq: 9}

	s.onSessionReady(1, ready) // its handshake gave up and took its waiter away
	if s.sess.sync != nil {
		t.Fatal("a session.ready whose handshake gave up started a catch-up")
	}

	live := &readyWaiter{conn: 3}
	s.sess.waiter = live
	s.onSessionReady(2, ready) // late, from a connection before the live one
	if s.sess.sync != nil || live.decided || s.sess.waiter != live {
		t.Fatal("an earlier connection's session.ready was taken for the waiting handshake's")
	}
	s.onSessionReady(3, ready)
	if d := live.decision; !live.decided || !d.sync || d.since != 5 {
		t.Fatalf("decision %+v, want a sync since 5", d)
	}
	s.sess.sync.stop()
}

// A sync.done from an earlier connection (its frames still queued when the
// next connection's round began) leaves the outstanding round open: only
// the answer on the connection whose sync is outstanding ends it.
func TestAnEarlierConnectionsSyncDoneLeavesTheRoundOpen(t *testing.T) {
	s, err := New(Options{BaseURL: "ws://127.0.0.1:1", Resume: domain.Position{Seq: 5}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	waiter := &readyWaiter{conn: 2}
	s.sess.waiter = waiter
	s.onSessionReady(2, &wireSessionReady{UserID: "alice", SessionID: "s", LastSeq: 9})
	if d := waiter.decision; !waiter.decided || !d.sync {
		t.Fatalf("decision %+v, want a sync", d)
	}
	s.onSyncDone(1, &wireSyncDone{Complete: true})
	if s.sess.sync == nil || s.ConnectionState().Sync == domain.SyncComplete {
		t.Fatal("an earlier connection's sync.done ended the outstanding round")
	}
	s.onSyncDone(2, &wireSyncDone{Complete: true})
	if s.sess.sync != nil || s.ConnectionState().Sync != domain.SyncComplete {
		t.Fatalf("the round's own sync.done left it open (sync state %v)", s.ConnectionState().Sync)
	}
}

// Sends recovered beyond the ledger's size wait in order; new sends are
// refused while they do; each ended send makes room for the next, written
// on the open connection in order; dropping the recovered sends drops the
// waiting ones too, each reported once.
func TestLedgerBacklog(t *testing.T) {
	l := newLedger(clock.Real(), 2, time.Hour)
	var mu sync.Mutex
	var reported, written []string
	l.hooks = ledgerHooks{recovered: func(r domain.SendResult) {
		mu.Lock()
		reported = append(reported, r.ClientID)
		mu.Unlock()
	}}
	for _, id := range []string{"a", "b", "c", "d", "e"} {
		if err := l.recover(domain.MessageDraft{ClientID: id, ConversationID: "c1", Content: id}, []byte(id)); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(l.pendingDrafts()); n != 5 {
		t.Fatalf("%d pending, want 5", n)
	}
	if _, err := l.add("new", []byte("new")); err == nil {
		t.Fatal("a new send went ahead of the stored ones")
	}
	if _, err := l.add("d", []byte("d")); err == nil {
		t.Fatal("a client id waiting in the backlog was accepted again")
	}
	send := func(_ context.Context, f []byte) error {
		mu.Lock()
		written = append(written, string(f))
		mu.Unlock()
		return nil
	}
	if err := l.connect(context.Background(), 1, send); err != nil {
		t.Fatal(err)
	}
	l.confirm("a", domain.Message{ID: "1", ClientID: "a"}) // c takes its place
	l.confirm("b", domain.Message{ID: "2", ClientID: "b"}) // d
	waitUntil := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		n := len(written)
		mu.Unlock()
		if n == 4 || time.Now().After(waitUntil) {
			break
		}
		time.Sleep(time.Millisecond)
	}
	l.dropRecovered(domain.ErrUnauthorized) // c, d in the ledger; e waiting
	l.close(domain.ErrClosed)
	mu.Lock()
	defer mu.Unlock()
	if want := []string{"a", "b", "c", "d"}; !slices.Equal(written, want) {
		t.Fatalf("written %v, want %v", written, want)
	}
	if len(reported) != 5 {
		t.Fatalf("reported %v, want each of the five once", reported)
	}
	if n := len(l.pendingDrafts()); n != 0 {
		t.Fatalf("%d still pending", n)
	}
}

// A stop ends every send in the ledger, with none left to make room for
// the backlog: a restart takes the backlog into the room, so it is sent on
// the next connection and new sends are not refused behind it forever.
func TestLedgerBacklogAfterAStop(t *testing.T) {
	l := newLedger(clock.Real(), 1, time.Hour)
	for _, id := range []string{"a", "b", "c"} {
		if err := l.recover(domain.MessageDraft{ClientID: id, ConversationID: "c1", Content: id}, []byte(id)); err != nil {
			t.Fatal(err)
		}
	}
	l.stop(domain.ErrUnauthorized, 1) // ends a; b and c wait
	l.restart(2)
	var mu sync.Mutex
	var written []string
	send := func(_ context.Context, f []byte) error {
		mu.Lock()
		defer mu.Unlock()
		written = append(written, string(f))
		return nil
	}
	if err := l.connect(context.Background(), 1, send); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	if !slices.Equal(written, []string{"b"}) {
		t.Fatalf("written %v after the restart, want b", written)
	}
	mu.Unlock()
	l.confirm("b", domain.Message{ID: "2", ClientID: "b"}) // c takes its place
	l.writer.Wait()                                        // the backlog writer wrote c
	mu.Lock()
	if !slices.Equal(written, []string{"b", "c"}) {
		t.Fatalf("written %v, want b then c", written)
	}
	mu.Unlock()
	l.confirm("c", domain.Message{ID: "3", ClientID: "c"})
	if _, err := l.add("new", []byte("new")); err != nil {
		t.Fatalf("a new send after the backlog: %v", err)
	}
	l.close(domain.ErrClosed)
}
