package data

import (
	"time"

	"github.com/chatwire/chatwire/domain"
)

// session is the chat session's state: who the server says we are, the
// position (epoch and highest seq processed), the outstanding catch-up and
// the message ids recently delivered. It belongs to the pump goroutine
// alone; the handshake asks the pump for a decision (readyWaiter) and
// waits for the answer.
type session struct {
	userID    string
	sessionID string
	maxFrame  int64

	known     bool   // a position is known: a session.ready was processed, or Options.Resume
	epoch     string // the numbering high belongs to; "" for a server that sends none
	high      int64  // the highest seq processed
	announced int64  // last_seq of the latest session.ready

	sync      *catchup     // the outstanding sync; nil when none
	rounds    uint64       // syncs sent so far; tags their timeouts
	readyConn uint64       // the connection whose session.ready was answered last
	waiter    *readyWaiter // the handshake waiting for a decision, if any
	ids       recentSet    // ids of messages recently processed
}

// readyWaiter is a handshake waiting for the decision on its connection's
// session.ready. The pump answers once, on reply, then calls wake.
type readyWaiter struct {
	conn  uint64
	reply chan sessionDecision // buffered
	wake  func()
}

// sessionDecision is what the handshake does on a new connection.
type sessionDecision struct {
	sync      bool // send sync{since, epoch}
	since     int64
	epoch     string
	maxFrame  int64
	heartbeat time.Duration // announced by the server; 0: none
}

func newSession(resume domain.Position) session {
	if resume.Seq <= 0 {
		return session{}
	}
	return session{known: true, epoch: resume.Epoch, high: resume.Seq}
}

// begin starts the session a session.ready announces. It decides whether
// to catch up, and returns the decision, the sync status it implies, and
// the held events to release at once (they belong to a numbering the
// server no longer uses).
func (ss *session) begin(conn uint64, r *wireSessionReady) (d sessionDecision, status domain.SyncStatus, release []heldEvent) {
	ss.userID, ss.sessionID, ss.maxFrame, ss.announced = r.UserID, r.SessionID, r.MaxFrameBytes, r.LastSeq
	ss.readyConn = conn
	d = sessionDecision{maxFrame: r.MaxFrameBytes, heartbeat: time.Duration(r.HeartbeatIntervalMS) * time.Millisecond}
	switch {
	case !ss.known:
		// A fresh client: nothing to catch up on, follow the server.
		ss.known, ss.epoch, ss.high = true, r.Epoch, r.LastSeq
		return d, domain.SyncNone, nil
	case r.Epoch != "" && ss.epoch != "" && r.Epoch != ss.epoch:
		// Positions from the old epoch mean nothing now: take everything
		// the new history holds. Its old tail may be gone for good.
		release = ss.endSync()
		ss.epoch, ss.high = r.Epoch, 0
		ss.sync = newCatchup(0)
		ss.sync.incomplete = true
	case r.LastSeq < ss.high:
		// A server without epochs whose numbering went backwards lost its
		// history: follow its numbering from here.
		release = ss.endSync()
		ss.high = r.LastSeq
		if r.Epoch != "" {
			ss.epoch = r.Epoch
		}
		return d, domain.SyncIncomplete, release
	default:
		if ss.epoch == "" {
			ss.epoch = r.Epoch
		}
		if ss.sync == nil {
			ss.sync = newCatchup(ss.high)
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
func (ss *session) accept(seq int64) bool {
	if c := ss.sync; c != nil {
		if !c.accept(seq) {
			return false
		}
	} else if seq <= ss.high {
		return false
	}
	ss.high = max(ss.high, seq)
	return true
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
