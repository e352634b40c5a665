package data

import (
	"cmp"
	"math"
	"slices"

	"github.com/chatwire/chatwire/domain"
)

// catchup is an outstanding sync: from since until a sync.done answers it
// on the connection its latest round went out on. A drop does not end it:
// the next connection asks again from the same since, so nothing between
// since and the live frames processed meanwhile is skipped.
//
// While a round holds, replayable events are held and released in seq
// order at sync.done, so a replay merged with live frames reaches
// consumers in the order the server issued them. A round that times out
// releases what it held and stops holding, but the catch-up stays open:
// a late replay is still merged and de-duplicated, and the status stays
// SyncIncomplete for that round whatever the late sync.done says.
//
// Only the session's owner, the manager's loop goroutine, uses it.
type catchup struct {
	since      int64
	seen       map[int64]struct{} // seqs above since processed while open
	held       []heldEvent
	conn       uint64 // the connection of the current round's sync
	round      uint64
	holding    bool
	timedOut   bool        // the current round timed out
	incomplete bool        // the outcome is SyncIncomplete whatever sync.done says
	stopTimer  func() bool // the current round's timeout
}

// heldEvent is an event held during a sync. seq is 0 for a message that
// came without one (a re-echo): it is released after the others, and only
// if its id was not delivered meanwhile.
type heldEvent struct {
	seq int64
	ev  domain.Event
}

// maxSeenAfterTimeout bounds the seqs remembered for a late replay after a
// round timed out; past it the catch-up is given up (it was reported
// incomplete already).
const maxSeenAfterTimeout = 4096

func newCatchup(since int64) *catchup {
	return &catchup{since: since, seen: make(map[int64]struct{})}
}

// startRound begins a round: a sync sent on conn.
func (c *catchup) startRound(conn, round uint64) {
	c.stop()
	c.conn, c.round = conn, round
	c.holding, c.timedOut = true, false
}

// accept reports whether seq is new to the catch-up, and records it.
func (c *catchup) accept(seq int64) bool {
	if seq <= c.since {
		return false
	}
	if _, dup := c.seen[seq]; dup {
		return false
	}
	c.seen[seq] = struct{}{}
	return true
}

// abandoned reports whether a timed-out catch-up has waited for its late
// replay long enough.
func (c *catchup) abandoned() bool {
	return c.timedOut && len(c.seen) > maxSeenAfterTimeout
}

// stop cancels the current round's timeout.
func (c *catchup) stop() {
	if c.stopTimer != nil {
		c.stopTimer()
		c.stopTimer = nil
	}
}

// takeHeld returns the held events in release order: by seq, then the
// seq-less ones in arrival order.
func (c *catchup) takeHeld() []heldEvent {
	held := c.held
	c.held = nil
	slices.SortStableFunc(held, func(a, b heldEvent) int { return cmp.Compare(sortKey(a.seq), sortKey(b.seq)) })
	return held
}

func sortKey(seq int64) int64 {
	if seq <= 0 {
		return math.MaxInt64
	}
	return seq
}

// outcome is the sync status a sync.done saying complete ends the
// catch-up with.
func (c *catchup) outcome(complete bool) domain.SyncStatus {
	if complete && !c.incomplete && !c.timedOut {
		return domain.SyncComplete
	}
	return domain.SyncIncomplete
}
