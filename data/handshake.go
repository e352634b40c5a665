package data

import (
	"context"
	"sync"
	"time"

	"github.com/chatwire/chatwire/core/network"
)

// handshake opens a session on a new connection, before the manager
// flushes its outbox:
//  1. wait for session.ready (the pump processes it too);
//  2. resend, oldest first, every message written on an earlier connection
//     and not yet acknowledged, so per-sender order survives a reconnect
//     (the server drops copies it already has, by client_id);
//  3. once the pump has processed session.ready in frame order, send the
//     sync it decided on.
func (s *ChatWebSocketDataSource) handshake(ctx context.Context, conn network.HandshakeConn) (network.HandshakeResult, error) {
	// Taken before session.ready is read, so that a decision made for an
	// earlier connection is never taken for this one, even from a server
	// that repeats session_id or leaves it out.
	after := s.session.made()
	ready, err := awaitSessionReady(ctx, s.codec, conn)
	if err != nil {
		return network.HandshakeResult{}, err
	}
	for _, f := range s.pending.newConnection() {
		if err := conn.Send(ctx, f); err != nil {
			return network.HandshakeResult{}, err
		}
	}
	since, err := s.session.await(ctx, after, ready.SessionID)
	if err != nil {
		return network.HandshakeResult{}, err
	}
	if since >= 0 {
		frame, err := s.encode(typeSync, wireSync{Since: since})
		if err != nil {
			return network.HandshakeResult{}, err
		}
		if err := conn.Send(ctx, frame); err != nil {
			return network.HandshakeResult{}, err
		}
	}
	return network.HandshakeResult{
		HeartbeatInterval: time.Duration(ready.HeartbeatIntervalMS) * time.Millisecond,
	}, nil
}

func awaitSessionReady(ctx context.Context, c Codec, conn network.HandshakeConn) (*wireSessionReady, error) {
	for {
		frame, err := conn.Read(ctx)
		if err != nil {
			return nil, err
		}
		// Anything else before session.ready is the pump's to report.
		if d, err := decodeFrame(c, frame); err == nil && d.ready != nil {
			return d.ready, nil
		}
	}
}

// sessionDecision passes the pump's catch-up decision for a session to the
// handshake waiting on it. Guarded by the data source's mu.
type sessionDecision struct {
	mu        *sync.Mutex
	n         uint64 // decisions made so far
	sessionID string
	since     int64 // -1: no sync
	changed   chan struct{}
}

// decide records the decision for sessionID. The caller holds mu.
func (d *sessionDecision) decide(sessionID string, since int64) {
	d.n++
	d.sessionID, d.since = sessionID, since
	close(d.changed)
	d.changed = make(chan struct{})
}

// made returns how many decisions the pump has made so far.
func (d *sessionDecision) made() uint64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.n
}

// await returns the decision for sessionID once the pump has made it, among
// the decisions made after the first after ones.
func (d *sessionDecision) await(ctx context.Context, after uint64, sessionID string) (int64, error) {
	for {
		d.mu.Lock()
		if d.n > after && d.sessionID == sessionID {
			since := d.since
			d.mu.Unlock()
			return since, nil
		}
		changed := d.changed
		d.mu.Unlock()
		select {
		case <-changed:
		case <-ctx.Done():
			return 0, context.Cause(ctx)
		}
	}
}
