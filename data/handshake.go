package data

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net/http"

	"github.com/chatwire/chatwire/core/network"
)

// handshake opens the session on a new connection, before the manager
// flushes its outbox and reports it connected. It runs on the manager's
// loop goroutine, which owns the session (see owner):
//  1. it reads frames until this connection's session.ready has been
//     decided on (each frame reaches handleFrame before Read returns), so
//     no chat frame is written before session.ready;
//  2. it sends the sync decided on, if any;
//  3. it hands the connection to the send ledger, which fails sends over
//     the announced max_frame_bytes and writes the others, oldest first,
//     then writes new sends directly; the manager checks the frames in its
//     outbox against the same limit.
func (s *ChatWebSocketDataSource) handshake(ctx context.Context, conn network.HandshakeConn) (network.HandshakeResult, error) {
	d, err := s.awaitSession(ctx, conn)
	if err != nil {
		return network.HandshakeResult{}, err
	}
	if d.sync {
		frame, err := s.encode(typeSync, wireSync{Since: d.since, Epoch: d.epoch})
		if err != nil {
			return network.HandshakeResult{}, err
		}
		if err := conn.Send(ctx, frame); err != nil {
			return network.HandshakeResult{}, err
		}
	}
	if err := s.ledger.connect(ctx, conn.Conn(), conn.Send); err != nil {
		return network.HandshakeResult{}, err
	}
	s.everConnected.Store(true)
	// message.read and call.* frames queued in the manager's outbox
	// before the limit was known are checked against it there.
	res := network.HandshakeResult{MaxFrameBytes: s.ledger.maxFrameBytes()}
	if d.heartbeat > 0 {
		res.HeartbeatInterval = max(d.heartbeat, minHeartbeat)
	}
	return res, nil
}

// awaitSession reads conn's frames until its session.ready has been
// decided on: onSessionReady answers the waiter it finds in the session.
func (s *ChatWebSocketDataSource) awaitSession(ctx context.Context, conn network.HandshakeConn) (sessionDecision, error) {
	w := &readyWaiter{conn: conn.Conn()}
	s.sess.waiter = w
	defer func() {
		if s.sess.waiter == w {
			s.sess.waiter = nil
		}
	}()
	for {
		_, err := conn.Read(ctx)
		if w.decided {
			return w.decision, nil
		}
		if err != nil {
			if ctx.Err() != nil {
				return sessionDecision{}, context.Cause(ctx)
			}
			return sessionDecision{}, err
		}
	}
}

// classify decides what the manager does after a connection ended or an
// attempt failed, on top of network.DefaultClassify:
//   - a close 4009 (or 1009) from a server that hid its limit fails the
//     biggest unacknowledged message written on that connection, which is
//     then never resent, so it cannot loop;
//   - with more than one node, anything but a refused token moves the
//     next attempt to the next node;
//   - until a first connection has succeeded, an answer that can never
//     change (an HTTP status other than 401, 408, 425, 429 and 5xx; a
//     refused TLS handshake) from every node in a row stops, so Connect
//     returns it.
func (s *ChatWebSocketDataSource) classify(err error) network.Decision {
	if !errors.Is(err, network.ErrUnauthorized) {
		s.nodes.next() // a failed or lost node: the next attempt tries another
	}
	var ce *network.CloseError
	if errors.As(err, &ce) && !ce.Local && (ce.Code == network.CloseFrameTooLarge || ce.Code == network.CloseMessageTooBig) {
		s.ledger.failFrameTooLarge(err)
		return network.Backoff
	}
	if !s.everConnected.Load() && permanent(err) {
		// Every node must have said so: one node's answer is not the
		// service's.
		s.permanentInARow++
		if s.permanentInARow >= s.nodes.len() {
			return network.Stop
		}
		return network.ReconnectNow
	}
	s.permanentInARow = 0
	return network.DefaultClassify(err)
}

// permanent reports whether a failed attempt would fail the same way again.
func permanent(err error) bool {
	var de *network.DialError
	if errors.As(err, &de) && de.StatusCode != 0 {
		switch c := de.StatusCode; {
		case c == http.StatusUnauthorized, c == http.StatusRequestTimeout,
			c == http.StatusTooEarly, c == http.StatusTooManyRequests, c >= 500:
			return false
		}
		return true
	}
	var (
		verify    *tls.CertificateVerificationError
		authority x509.UnknownAuthorityError
		hostname  x509.HostnameError
		invalid   x509.CertificateInvalidError
		header    tls.RecordHeaderError
		alert     tls.AlertError
	)
	return errors.As(err, &verify) || errors.As(err, &authority) || errors.As(err, &hostname) ||
		errors.As(err, &invalid) || errors.As(err, &header) || errors.As(err, &alert)
}
