package data

import (
	"time"

	"github.com/chatwire/chatwire/domain"
	"github.com/chatwire/chatwire/internal/recent"
)

// session is the chat session's state: who the server says we are, the
// position (epoch and highest seq processed), the outstanding catch-up and
// the message ids recently delivered. It belongs to the manager's loop
// goroutine alone (see owner), on which the handshake runs too: it leaves
// a readyWaiter and reads frames until the decision is in it.
type session struct {
	userID    string
	sessionID string

	known     bool               // a position is known: a session.ready was processed, or Options.Resume
	epoch     string             // the numbering high belongs to; "" for a server that sends none
	high      int64              // the highest seq processed
	announced int64              // last_seq of the latest session.ready
	gaps      map[int64]struct{} // seqs below high not yet processed (bounded)

	sync      *catchup     // the outstanding sync; nil when none
	rounds    uint64       // syncs sent so far; tags their timeouts
	readyConn uint64       // the connection whose session.ready was answered last
	waiter    *readyWaiter // the handshake waiting for a decision, if any
	ids       *recent.Set  // ids of messages recently processed
	storeUser string       // the user the store belongs to; "" for none yet
}

// readyWaiter is a handshake waiting for the decision on its connection's
// session.ready; onSessionReady decides once. The handshake removes it
// when it stops waiting.
type readyWaiter struct {
	conn     uint64
	decided  bool
	decision sessionDecision
}

// sessionDecision is what the handshake does on a new connection.
type sessionDecision struct {
	sync      bool // send sync{since, epoch}
	since     int64
	epoch     string
	heartbeat time.Duration // announced by the server; 0: none
}

func newSession(resume domain.Position) session {
	ss := session{ids: recent.New(recentMessageIDs)}
	if resume.Seq > 0 {
		ss.known, ss.epoch, ss.high = true, resume.Epoch, resume.Seq
	}
	return ss
}

// recentMessageIDs is how many message ids are remembered for
// de-duplication of copies without seq.
const recentMessageIDs = 4096

// begin starts the session a session.ready announces. It decides whether
// to catch up, and returns the decision, the sync status it implies, and
// the held events to release at once (they belong to a numbering the
// server no longer uses).
func (ss *session) begin(conn uint64, r *wireSessionReady) (d sessionDecision, status domain.SyncStatus, release []heldEvent) {
	ss.userID, ss.sessionID, ss.announced = r.UserID, r.SessionID, r.LastSeq
	ss.readyConn = conn
	d = sessionDecision{heartbeat: time.Duration(r.HeartbeatIntervalMS) * time.Millisecond}
	switch {
	case !ss.known:
		// A fresh client: nothing to catch up on, follow the server.
		ss.known = true
		ss.resetPosition(r.Epoch, r.LastSeq)
		return d, domain.SyncNone, nil
	case r.Epoch != "" && ss.epoch != "" && r.Epoch != ss.epoch:
		// Positions from the old epoch mean nothing now: take everything
		// the new history holds. Its old tail may be gone for good.
		release = ss.endSync()
		ss.resetPosition(r.Epoch, 0)
		ss.forgetMessageIDs()
		ss.sync = newCatchup(0)
		ss.sync.incomplete = true
	case r.LastSeq < ss.high:
		// A server without epochs whose numbering went backwards lost its
		// history: follow its numbering from here.
		release = ss.endSync()
		epoch := ss.epoch
		if r.Epoch != "" {
			epoch = r.Epoch
		}
		ss.resetPosition(epoch, r.LastSeq)
		ss.forgetMessageIDs()
		return d, domain.SyncIncomplete, release
	default:
		if ss.epoch == "" {
			ss.epoch = r.Epoch
		}
		if ss.sync == nil {
			ss.sync = ss.catchupFromGaps()
		}
	}
	ss.rounds++
	ss.sync.startRound(conn, ss.rounds)
	d.sync, d.since, d.epoch = true, ss.sync.since, ss.epoch
	return d, domain.Syncing, release
}

// endSync closes the outstanding catch-up, if any, and returns its held
// events, sorted for release.
func (ss *session) endSync() []heldEvent {
	c := ss.sync
	if c == nil {
		return nil
	}
	ss.sync = nil
	c.stop()
	return c.takeHeld()
}

// accept reports whether the replayable event seq is new, and records it.
// Outside a sync, a seq at or below the highest processed is a repeat,
// unless it fills a gap: an event a server sent out of order still
// arrives once.
func (ss *session) accept(seq int64) bool {
	switch {
	case ss.sync != nil:
		if !ss.sync.accept(seq) {
			return false
		}
	case seq <= ss.high:
		if _, missing := ss.gaps[seq]; !missing {
			return false
		}
		delete(ss.gaps, seq)
		return true
	default:
		ss.noteGap(seq)
	}
	ss.high = max(ss.high, seq)
	return true
}

// maxGaps bounds the seqs remembered as missing below the highest
// processed, and how far below it the oldest may be.
const maxGaps = 1024

// noteGap remembers the seqs skipped when seq jumps past high+1. Gaps too
// many or too old are forgotten: a sync could not fill them cheaply.
func (ss *session) noteGap(seq int64) {
	for g := range ss.gaps {
		if seq-g > maxGaps {
			delete(ss.gaps, g)
		}
	}
	if seq <= ss.high+1 || seq-ss.high-1 > maxGaps-int64(len(ss.gaps)) {
		return
	}
	if ss.gaps == nil {
		ss.gaps = make(map[int64]struct{})
	}
	for g := ss.high + 1; g < seq; g++ {
		ss.gaps[g] = struct{}{}
	}
}

// catchupFromGaps starts a catch-up from the highest seq processed or, when
// events below it are missing, from just before the oldest of them, with
// the seqs processed since then marked seen so they are not delivered again.
func (ss *session) catchupFromGaps() *catchup {
	since := ss.high
	for g := range ss.gaps {
		since = min(since, g-1)
	}
	c := newCatchup(since)
	for seq := since + 1; seq <= ss.high; seq++ {
		if _, missing := ss.gaps[seq]; !missing {
			c.seen[seq] = struct{}{}
		}
	}
	ss.gaps = nil
	return c
}

// resetPosition starts the position over at high in epoch: what was known
// as missing means nothing now.
func (ss *session) resetPosition(epoch string, high int64) {
	ss.epoch, ss.high, ss.gaps = epoch, high, nil
}

// forgetMessageIDs starts the message ids over: the server's history was
// lost, and a server whose store was reset may hand out ids again that
// meant other messages before (ids restarting at 1). Every message the new
// history holds is delivered, once.
func (ss *session) forgetMessageIDs() {
	ss.ids = recent.New(recentMessageIDs)
}

// plausible reports whether seq may be recorded: not absurdly far ahead of
// what was processed or announced. A frame far beyond is corrupt, and
// recording it would make every later event look like a replay.
func (ss *session) plausible(seq int64) bool {
	return seq-max(ss.high, ss.announced) <= maxSeqJump
}

// maxSeqJump bounds how far past the highest seq known a frame may be.
const maxSeqJump = 1 << 20

// position is where the session stands, for Position and a later Resume.
func (ss *session) position() domain.Position {
	return domain.Position{Epoch: ss.epoch, Seq: ss.high}
}
