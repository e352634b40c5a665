package data

import (
	"errors"
	"fmt"
	"time"

	"github.com/chatwire/chatwire/core/network"
	"github.com/chatwire/chatwire/data/internal/connstate"
	"github.com/chatwire/chatwire/domain"
)

// owner is the data source as the manager's network.Receiver: the
// manager's loop goroutine owns the session. It decodes and routes every
// frame, folds state changes into the connection state, runs the
// handshake (which reads the frames it waits for) and, through
// ConnectionManager.Post, the sync timeouts. No other goroutine touches
// the session, and no goroutine of the data source's own does this work.
//
// The manager's Errors stream is not read: every failure it carries comes
// with a state change too, and handleState reports each one once.
type owner struct{ s *ChatWebSocketDataSource }

func (o owner) Frame(f network.Frame) {
	o.s.handleFrame(f)
	o.s.rec.handOver()
}

func (o owner) State(sc network.StateChange) {
	if sc.State == network.StateFailed {
		// No connection will answer the sync, and no loop runs to take
		// its timeout: the held events go now, before the state says
		// Failed. The next Connect's session.ready decides again.
		o.s.giveUpSync()
		o.s.rec.handOver()
	}
	o.s.handleState(sc)
}

// handleFrame decodes one frame and routes it.
func (s *ChatWebSocketDataSource) handleFrame(f network.Frame) {
	now := s.clock.Now()
	d, err := decodeFrame(s.codec, f.Data)
	s.hub.PublishRaw(domain.RawFrame{Type: d.typ, Seq: d.seq, Data: f.Data, ReceivedAt: now})
	if err != nil {
		s.log.Debug("chatwire: undecodable frame", "type", d.typ, "err", err)
		s.hub.Report(domain.ClassDecode, false, err)
		return
	}
	switch {
	case d.ready != nil:
		s.onSessionReady(f.Conn, d.ready)
	case d.syncDone != nil:
		s.onSyncDone(f.Conn, d.syncDone)
	case d.srvErr != nil:
		if d.srvErr.Ref == "" || !s.ledger.fail(d.srvErr.Ref, d.srvErr) {
			s.hub.Report(domain.ClassSend, false, d.srvErr)
		}
	case d.event != nil:
		s.route(d.seq, d.event, now)
	}
}

// route publishes a typed event once. Replayable events (those with a seq)
// already processed are dropped; during a sync they are held and released
// in seq order at sync.done.
func (s *ChatWebSocketDataSource) route(seq int64, ev domain.Event, now time.Time) {
	ss := &s.sess
	if seq > 0 && !ss.plausible(seq) {
		// Corrupt: it neither counts nor acknowledges anything.
		s.hub.Report(domain.ClassDecode, false, &domain.DecodeError{
			Type: ev.EventType(),
			Err:  fmt.Errorf("seq %d jumps more than %d past the highest known, %d", seq, maxSeqJump, max(ss.high, ss.announced)),
		})
		return
	}
	m, isMessage := ev.(domain.Message)
	if isMessage && m.ClientID != "" && m.SenderID == ss.userID {
		// Any copy of our own message acknowledges its send. Client ids
		// belong to their sender: another user's never does.
		s.ledger.confirm(m.ClientID, m)
	}
	if t, ok := ev.(domain.TypingIndicator); ok {
		t.ReceivedAt = now
		ev = t
	}
	holding := ss.sync != nil && ss.sync.holding
	switch {
	case seq > 0:
		if !ss.accept(seq) || (isMessage && !ss.ids.Add(m.ID)) {
			return
		}
		s.setPosition()
	case isMessage && holding:
		// A copy without seq during a sync (a re-echo): the stored copy may
		// come in the replay, with its seq. Decide at release.
	case isMessage:
		if !ss.ids.Add(m.ID) {
			return
		}
	}
	if holding && (seq > 0 || isMessage) {
		ss.sync.held = append(ss.sync.held, heldEvent{seq: seq, ev: ev})
		return
	}
	s.publish(ev)
	if c := ss.sync; c != nil && c.abandoned() {
		ss.sync = nil
	}
}

// release publishes held events in order; a seq-less message only if its
// id was not delivered meanwhile.
func (s *ChatWebSocketDataSource) release(held []heldEvent) {
	for _, h := range held {
		if m, ok := h.ev.(domain.Message); ok && h.seq <= 0 && !s.sess.ids.Add(m.ID) {
			continue
		}
		s.publish(h.ev)
	}
}

// onSessionReady starts a session and answers the handshake waiting for it.
// A session.ready no handshake waits for (its connection's handshake gave
// up) is stale: nothing would send the sync it decides on.
func (s *ChatWebSocketDataSource) onSessionReady(conn uint64, r *wireSessionReady) {
	ss := &s.sess
	w := ss.waiter
	switch {
	case conn == ss.readyConn:
		// A second session.ready on one connection: no new catch-up.
		ss.userID, ss.sessionID = r.UserID, r.SessionID
		s.ledger.setMaxFrame(r.MaxFrameBytes)
		s.setState(func(st *domain.ConnectionState) { st.UserID, st.SessionID = r.UserID, r.SessionID })
		return
	case w == nil || w.conn != conn:
		s.log.Debug("chatwire: stale session.ready ignored", "conn", conn)
		return
	}
	ss.waiter = nil
	s.checkStoreAccount(r.UserID)
	s.ledger.setMaxFrame(r.MaxFrameBytes)
	d, status, release := ss.begin(conn, r)
	if d.sync {
		s.armSyncTimeout()
	}
	s.release(release)
	s.setPosition()
	s.setState(func(st *domain.ConnectionState) {
		st.UserID, st.SessionID, st.Sync = r.UserID, r.SessionID, status
	})
	w.decision, w.decided = d, true
}

// onSyncDone ends the catch-up whose sync went out on conn; a sync.done
// from an earlier round, or with no sync outstanding, is stale.
func (s *ChatWebSocketDataSource) onSyncDone(conn uint64, d *wireSyncDone) {
	ss := &s.sess
	c := ss.sync
	if c == nil || c.conn != conn {
		s.log.Debug("chatwire: stale sync.done ignored", "conn", conn)
		return
	}
	status := c.outcome(d.Complete)
	s.release(ss.endSync())
	s.setPosition()
	s.setState(func(st *domain.ConnectionState) { st.Sync = status })
}

// armSyncTimeout starts the wait for the current round's sync.done: a
// server that never answers must not hold events back forever. The timeout
// runs on the loop; when no loop runs any more, StateFailed has given the
// round up already.
func (s *ChatWebSocketDataSource) armSyncTimeout() {
	c, round := s.sess.sync, s.sess.rounds
	c.stopTimer = s.clock.AfterFunc(s.syncTimeout, func() {
		s.mgr.Post(func() {
			s.onSyncTimeout(round)
			s.rec.handOver()
		})
	})
}

// onSyncTimeout gives up holding for round, and says so on Errors.
func (s *ChatWebSocketDataSource) onSyncTimeout(round uint64) {
	c := s.sess.sync
	if c == nil || c.round != round || !c.holding {
		return
	}
	s.giveUpSync()
	s.hub.Report(domain.ClassConnection, false, fmt.Errorf("%w after %v", ErrSyncTimeout, s.syncTimeout))
}

// giveUpSync stops holding for the outstanding sync, if it holds: the held
// events go out in seq order, the status becomes SyncIncomplete, and a
// late replay is still merged.
func (s *ChatWebSocketDataSource) giveUpSync() {
	c := s.sess.sync
	if c == nil || !c.holding {
		return
	}
	c.stop()
	c.holding, c.timedOut = false, true
	s.release(c.takeHeld())
	s.setState(func(st *domain.ConnectionState) { st.Sync = domain.SyncIncomplete })
}

// handleState folds a manager transition into the connection state.
//
// A failed manager fails every send, and later ones until Connect starts
// it again, before the state says Failed.
func (s *ChatWebSocketDataSource) handleState(sc network.StateChange) {
	err := toDomainError(sc.Err)
	switch sc.State {
	case network.StateReconnecting:
		s.ledger.disconnect(sc.Conn)
	case network.StateFailed:
		s.ledger.disconnect(sc.Conn)
		s.ledger.stop(err, sc.Seq)
	}
	var st domain.ConnectionState
	s.pub.update(func(p *publishedState) {
		connstate.Apply(&p.state, sc)
		p.applied = max(p.applied, sc.Seq)
		st = p.state
	})
	s.hub.PublishState(st)
	switch {
	case sc.State == network.StateFailed:
		s.hub.Report(domain.ClassConnection, true, st.Err)
	case sc.State == network.StateReconnecting && sc.Err != nil && !normalClose(sc.Err):
		s.hub.Report(domain.ClassConnection, false, st.Err)
	}
}

// normalClose reports whether err is the server closing with 1000 or 1001:
// a reconnect, not an error.
func normalClose(err error) bool {
	var ce *network.CloseError
	return errors.As(err, &ce) && !ce.Local && (ce.Code == network.CloseNormal || ce.Code == network.CloseGoingAway)
}

// setState changes the published connection state and publishes it.
func (s *ChatWebSocketDataSource) setState(change func(*domain.ConnectionState)) {
	var st domain.ConnectionState
	s.pub.update(func(p *publishedState) {
		change(&p.state)
		st = p.state
	})
	s.hub.PublishState(st)
}

// setPosition publishes the session's position, and records in the store
// what the app has received (with the frame's events: see recorder).
func (s *ChatWebSocketDataSource) setPosition() {
	s.pub.setPosition(s.sess.position())
	s.rec.position(s.sess.durablePosition())
}

// publish sends ev on its stream and records it in the store's cache.
func (s *ChatWebSocketDataSource) publish(ev domain.Event) {
	s.hub.Publish(ev)
	s.rec.record(ev, s.sess.userID)
}
