package data

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/chatwire/chatwire/core/network"
	"github.com/chatwire/chatwire/data/internal/streams"
	"github.com/chatwire/chatwire/domain"
)

// startPump subscribes to the manager and starts the goroutine that
// decodes and routes everything it delivers. The caller holds s.mu.
//
// The manager's Errors stream is not read: every failure it carries comes
// with a state change too, and handleState reports each one once.
func (s *ChatWebSocketDataSource) startPump() {
	ctx, cancel := context.WithCancel(context.Background())
	s.stopPump = cancel
	// Lossless: the pump never stalls, so it may hold back the connection.
	frames := s.mgr.Frames(ctx)
	states := s.mgr.States(ctx)
	go s.pump(frames, states)
}

func (s *ChatWebSocketDataSource) pump(frames <-chan network.Frame, states <-chan network.StateChange) {
	defer close(s.pumpStopped)
	for frames != nil || states != nil {
		select {
		case f, ok := <-frames:
			if !ok {
				frames = nil
				continue
			}
			s.handleFrame(f.Data)
		case st, ok := <-states:
			if !ok {
				states = nil
				continue
			}
			s.handleState(st)
		case round := <-s.syncExpired:
			s.onSyncTimeout(round)
		}
	}
}

// handleFrame decodes one frame and routes it. It runs on the pump only.
func (s *ChatWebSocketDataSource) handleFrame(frame []byte) {
	now := s.clock.Now()
	d, err := decodeFrame(s.codec, frame)
	s.hub.PublishRaw(domain.RawFrame{Type: d.typ, Seq: d.seq, Data: frame, ReceivedAt: now})
	if err != nil {
		s.log.Debug("chatwire: undecodable frame", "type", d.typ, "err", err)
		s.hub.Report(domain.ClassDecode, false, err)
		return
	}
	switch {
	case d.ready != nil:
		s.onSessionReady(d.ready)
	case d.syncDone != nil:
		s.onSyncDone(d.syncDone)
	case d.srvErr != nil:
		if d.srvErr.Ref == "" || !s.pending.complete(d.srvErr.Ref, sendResult{err: d.srvErr}) {
			s.hub.Report(domain.ClassSend, false, d.srvErr)
		}
	case d.event != nil:
		s.route(d.seq, d.event, now)
	}
}

// route publishes a typed event once, dropping replays already processed.
// During a sync, replayable events are held and released in seq order at
// sync.done, so a replay merged with live frames reaches consumers in the
// order the server issued them.
func (s *ChatWebSocketDataSource) route(seq int64, ev domain.Event, now time.Time) {
	m, isMessage := ev.(domain.Message)
	if isMessage && m.ClientID != "" {
		// Any copy acknowledges a send, even one already delivered (the
		// server re-echoes a repeated client_id without a seq).
		s.pending.complete(m.ClientID, sendResult{msg: m})
	}
	if t, ok := ev.(domain.TypingIndicator); ok {
		t.ReceivedAt = now
		ev = t
	}
	s.mu.Lock()
	if isMessage && m.ClientID != "" && seq == 0 && s.seqs.syncing {
		// A seq-less copy of a sent message during a sync is the server's
		// re-echo of a resend; the stored copy, with its seq, comes in the
		// replay.
		s.mu.Unlock()
		return
	}
	if !s.seqs.plausible(seq) {
		high := s.seqs.high
		s.mu.Unlock()
		s.hub.Report(domain.ClassDecode, false, &domain.DecodeError{
			Type: ev.EventType(),
			Err:  fmt.Errorf("seq %d jumps more than %d past the highest processed, %d", seq, maxSeqJump, high),
		})
		return
	}
	fresh := s.seqs.accept(seq)
	if isMessage && fresh {
		fresh = s.seqs.ids.add(m.ID)
	}
	hold := fresh && seq > 0 && s.seqs.syncing
	if hold {
		s.held = append(s.held, heldEvent{seq: seq, ev: ev})
	}
	s.mu.Unlock()
	if fresh && !hold {
		s.hub.Publish(ev)
	}
}

type heldEvent struct {
	seq int64
	ev  domain.Event
}

// onSessionReady starts a session: it decides, in frame order, whether to
// catch up and from which seq, and hands the decision to the handshake,
// which sends the sync on the new connection.
func (s *ChatWebSocketDataSource) onSessionReady(r *wireSessionReady) {
	s.mu.Lock()
	first := s.session.n == 0
	var released []heldEvent
	s.maxFrame = r.MaxFrameBytes
	s.state.UserID, s.state.SessionID = r.UserID, r.SessionID
	s.seqs.announce(r.LastSeq)
	since := int64(-1)
	switch {
	case first && s.opts.ResumeFromSeq <= 0:
		s.seqs.reset(r.LastSeq)
		s.state.Sync = domain.SyncNone
	case first:
		// A persisted seq beyond the server's last_seq means the server
		// lost its history. The sync still asks from it (the server answers
		// complete:false), but the tracker follows the server's sequence,
		// or its new events would all look like replays and be dropped.
		s.seqs.reset(min(s.opts.ResumeFromSeq, r.LastSeq))
		s.seqs.beginSync()
		since = s.opts.ResumeFromSeq
	case r.LastSeq < s.seqs.high:
		// The server's sequence went backwards: it lost its history.
		s.seqs.reset(r.LastSeq)
		released = s.held
		s.held = nil
		s.state.Sync = domain.SyncIncomplete
	default:
		since = s.seqs.beginSync()
	}
	if since >= 0 {
		s.state.Sync = domain.Syncing
		s.armSyncTimeoutLocked()
	}
	s.session.decide(r.SessionID, since)
	state := s.state
	s.mu.Unlock()
	publishHeld(s.hub, released)
	s.hub.PublishState(state)
}

// publishHeld publishes events held during a sync, in seq order.
func publishHeld(hub *streams.Hub, held []heldEvent) {
	slices.SortFunc(held, func(a, b heldEvent) int { return cmp.Compare(a.seq, b.seq) })
	for _, h := range held {
		hub.Publish(h.ev)
	}
}

// onSyncDone ends the catch-up: the held events go out in seq order.
func (s *ChatWebSocketDataSource) onSyncDone(d *wireSyncDone) {
	s.mu.Lock()
	s.stopSyncTimeoutLocked()
	s.seqs.endSync()
	held := s.held
	s.held = nil
	s.state.Sync = domain.SyncComplete
	if !d.Complete {
		s.state.Sync = domain.SyncIncomplete
	}
	state := s.state
	s.mu.Unlock()
	publishHeld(s.hub, held)
	s.hub.PublishState(state)
}

// armSyncTimeoutLocked starts the wait for sync.done: a server that never
// answers must not hold replayable events back forever. The caller holds mu.
func (s *ChatWebSocketDataSource) armSyncTimeoutLocked() {
	s.stopSyncTimeoutLocked()
	s.syncRound++
	round := s.syncRound
	s.stopSync = s.clock.AfterFunc(s.syncTimeout, func() {
		select {
		case s.syncExpired <- round:
		default: // a stale round is still queued; the pump drops both
		}
	})
}

// stopSyncTimeoutLocked cancels the wait for sync.done. The caller holds mu.
func (s *ChatWebSocketDataSource) stopSyncTimeoutLocked() {
	if s.stopSync != nil {
		s.stopSync()
		s.stopSync = nil
	}
}

// onSyncTimeout gives up on the sync of round: the held events go out in
// seq order and the history is reported incomplete.
func (s *ChatWebSocketDataSource) onSyncTimeout(round uint64) {
	s.mu.Lock()
	if round != s.syncRound || !s.seqs.syncing {
		s.mu.Unlock()
		return
	}
	s.stopSync = nil
	s.seqs.endSync()
	held := s.held
	s.held = nil
	s.state.Sync = domain.SyncIncomplete
	state := s.state
	s.mu.Unlock()
	publishHeld(s.hub, held)
	s.hub.PublishState(state)
	s.hub.Report(domain.ClassConnection, false, fmt.Errorf("%w after %v", ErrSyncTimeout, s.syncTimeout))
}

// handleState folds a manager transition into the connection state.
func (s *ChatWebSocketDataSource) handleState(st network.StateChange) {
	s.mu.Lock()
	streams.ApplyStateChange(&s.state, st)
	state := s.state
	s.mu.Unlock()
	s.hub.PublishState(state)

	switch st.State {
	case network.StateFailed:
		s.pending.failAll(state.Err)
		s.hub.Report(domain.ClassConnection, true, state.Err)
	case network.StateReconnecting:
		if st.Err != nil {
			s.hub.Report(domain.ClassConnection, false, state.Err)
		}
	}
}
