package network

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"
)

// run is the loop goroutine: attempt, serve, decide, wait, again, until
// ctx ends (Close) or the manager fails.
func (m *ConnectionManager) run(ctx context.Context) {
	defer m.wg.Done()
	p := policy{backoff: backoff{
		base: m.opts.ReconnectDelay,
		max:  m.opts.MaxReconnectDelay,
		rand: m.opts.Rand,
	}}
	attempt, failures := 1, 0
	for {
		log := m.opts.Logger.With(slog.Int("attempt", attempt))
		log.Debug("network: connecting")
		s, err := m.dialApart(ctx)
		if ctx.Err() != nil {
			if s != nil {
				closeClient(s.c, CloseNormal, "")
			}
			return
		}
		var cause error
		if err == nil {
			failures, attempt = 0, 1
			p.connected()
			upAt := m.opts.Clock.Now()
			log.Debug("network: connected")
			cause = m.serve(ctx, s)
			if ctx.Err() != nil {
				return
			}
			up := m.opts.Clock.Now().Sub(upAt)
			if up >= m.opts.StablePeriod {
				p.stable()
			}
			log.Debug("network: connection lost", slog.Duration("up", up), slog.Any("err", cause))
		} else {
			failures++
			cause = err
			log.Debug("network: attempt failed", slog.Any("err", cause))
		}
		m.report(cause)

		if err != nil && m.opts.MaxAttempts > 0 && failures >= m.opts.MaxAttempts {
			m.fail(fmt.Errorf("network: gave up after %d failed attempts: %w", failures, cause))
			return
		}
		delay, stop := p.decide(m.opts.Classify(cause))
		if stop {
			m.fail(cause)
			return
		}
		if err != nil {
			attempt++
		}
		m.opts.Logger.Debug("network: reconnecting", slog.Int("attempt", attempt), slog.Duration("delay", delay))
		m.setState(StateChange{State: StateReconnecting, Attempt: attempt, Delay: delay, Err: cause})
		if !m.sleep(ctx, delay) {
			return
		}
	}
}

// fail moves the manager to StateFailed with cause, fails the outbox with
// it and marks the loop as stopped, so that Connect starts a new one.
func (m *ConnectionManager) fail(cause error) {
	m.opts.Logger.Debug("network: giving up", slog.Any("err", cause))
	m.mu.Lock()
	defer m.mu.Unlock()
	m.running = false
	m.failOutboxLocked(cause)
	m.setStateLocked(StateChange{State: StateFailed, Err: cause})
}

// sleep waits d on the manager's clock and reports whether ctx is still live.
func (m *ConnectionManager) sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	fired := make(chan struct{})
	stop := m.opts.Clock.AfterFunc(d, func() { close(fired) })
	select {
	case <-fired:
		return true
	case <-ctx.Done():
		stop()
		return false
	}
}

// dialApart runs dial on a goroutine of its own and waits for it: the
// dial and the handshake grow a stack of several KiB, which the loop
// goroutine, alive as long as the connection, would keep.
func (m *ConnectionManager) dialApart(ctx context.Context) (*session, error) {
	type result struct {
		s   *session
		err error
	}
	done := make(chan result, 1)
	go func() {
		s, err := m.dial(ctx)
		done <- result{s, err}
	}()
	r := <-done
	return r.s, r.err
}

// session is one open connection.
type session struct {
	c        WebSocketClient
	id       uint64        // Frame.Conn of its frames
	interval time.Duration // heartbeat interval for this connection
	maxFrame int64         // the server's frame limit; 0: unknown
}

// dial runs one attempt: Endpoint, NewClient, Connect and the Handshake,
// all within HandshakeTimeout. Frames the handshake reads are published.
func (m *ConnectionManager) dial(ctx context.Context) (*session, error) {
	actx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	timeout := fmt.Errorf("network: dial and handshake took longer than %v: %w",
		m.opts.HandshakeTimeout, context.DeadlineExceeded)
	stop := m.opts.Clock.AfterFunc(m.opts.HandshakeTimeout, func() { cancel(timeout) })
	defer stop()
	failed := func(err error) error {
		if context.Cause(actx) == timeout && ctx.Err() == nil {
			return timeout
		}
		return err
	}

	rawURL, header, err := m.opts.Endpoint(actx)
	if err != nil {
		return nil, failed(fmt.Errorf("network: endpoint: %w", err))
	}
	c := m.opts.NewClient()
	if err := c.Connect(actx, rawURL, header); err != nil {
		return nil, failed(redact(err, rawURL))
	}
	m.mu.Lock()
	m.conns++
	s := &session{c: c, id: m.conns, interval: m.opts.HeartbeatInterval}
	m.mu.Unlock()
	if m.opts.Handshake == nil {
		return s, nil
	}
	res, err := m.opts.Handshake(actx, handshakeConn{m: m, c: c, id: s.id, attempt: actx})
	if err != nil {
		// A handshake that timed out has an unresponsive peer: its close
		// handshake must not hold up the next attempt either.
		m.closeInBackground(c, CloseNormal, "handshake failed")
		return nil, failed(fmt.Errorf("network: handshake: %w", err))
	}
	if res.HeartbeatInterval > 0 && res.HeartbeatInterval < s.interval {
		s.interval = res.HeartbeatInterval
	}
	s.maxFrame = res.MaxFrameBytes
	return s, nil
}

// serve flushes the outbox, reports StateConnected, then reads frames and
// keeps the heartbeat until the connection ends or ctx does. It returns why
// the connection ended and always leaves the client closed.
func (m *ConnectionManager) serve(ctx context.Context, s *session) error {
	c := s.c
	connCtx, cancel := context.WithCancel(ctx)
	p := &pinger{c: c, frame: m.opts.HeartbeatFrame, result: make(chan error, 1)}
	defer func() {
		cancel()
		p.wg.Wait()
	}()

	// Armed before StateConnected is reported, so the heartbeat runs from
	// the moment the connection counts as up.
	hb := newHeartbeat(m.opts.Clock, s.interval, m.opts.PongTimeout)
	defer hb.close()
	if err := m.flush(ctx, c, s.maxFrame); err != nil {
		if ctx.Err() != nil {
			closeClient(c, CloseNormal, "")
			return ctx.Err()
		}
		closeClient(c, CloseGoingAway, "write failed")
		return err
	}

	for {
		select {
		case <-ctx.Done():
			m.disconnect(c)
			closeClient(c, CloseNormal, "")
			return ctx.Err()
		case f, ok := <-c.Frames():
			if !ok {
				m.disconnect(c)
				<-c.Done()
				return endErr(c)
			}
			hb.alive()
			m.frames.Publish(Frame{Conn: s.id, Data: f})
		case <-hb.tick:
			send, dead := hb.due()
			if dead {
				m.disconnect(c)
				m.closeInBackground(c, CloseGoingAway, "heartbeat timeout")
				return fmt.Errorf("%w within %v after a heartbeat (%v of silence)",
					ErrHeartbeatTimeout, m.opts.PongTimeout, m.opts.Clock.Now().Sub(hb.lastIn))
			}
			if send {
				p.send(connCtx)
			}
		case err := <-p.result:
			if p.done(err) {
				hb.alive()
			}
		}
	}
}

// disconnect stops direct sends on c: later Sends queue in the outbox.
func (m *ConnectionManager) disconnect(c WebSocketClient) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.client == c {
		m.client = nil
	}
}

// endErr is why c ended, once Done is closed.
func endErr(c WebSocketClient) error {
	if err := c.Err(); err != nil {
		return err
	}
	return &CloseError{Code: CloseAbnormal, Err: errors.New("network: connection ended without a cause")}
}

// closeInBackground closes a dead connection without holding up the
// reconnect: its peer will not answer the close handshake, and waiting for
// it (up to the client's close timeout) would delay the next attempt far
// past heartbeat + pong timeout (or handshake timeout). It runs only while
// the loop goroutine lives (on it, or on the dial goroutine it waits for):
// m.wg is then above zero, so Add cannot race Close's Wait; Close waits for
// the closing goroutine through m.wg.
func (m *ConnectionManager) closeInBackground(c WebSocketClient, code int, reason string) {
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		closeClient(c, code, reason)
	}()
}

// closeClient closes c and waits for it, reading and discarding inbound
// frames meanwhile so that a reader blocked on the Frames channel cannot
// hold up Close.
func closeClient(c WebSocketClient, code int, reason string) {
	closed := make(chan struct{})
	go func() {
		defer close(closed)
		_ = c.Close(code, reason)
	}()
	frames := c.Frames()
	for {
		select {
		case _, ok := <-frames:
			if !ok {
				frames = nil
			}
		case <-closed:
			return
		}
	}
}

// redact hides the query of rawURL (where a token may travel) in the text
// of err; errors.Is and errors.As still see the original error.
func redact(err error, rawURL string) error {
	u, perr := url.Parse(rawURL)
	if perr != nil || u.RawQuery == "" || !strings.Contains(err.Error(), u.RawQuery) {
		return err
	}
	return &redactedError{msg: strings.ReplaceAll(err.Error(), u.RawQuery, "REDACTED"), err: err}
}

type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// handshakeConn gives a Handshake the connection being opened.
type handshakeConn struct {
	m       *ConnectionManager
	c       WebSocketClient
	id      uint64
	attempt context.Context // ends with the attempt (timeout, Close)
}

func (h handshakeConn) Read(ctx context.Context) ([]byte, error) {
	select {
	case f, ok := <-h.c.Frames():
		if !ok {
			<-h.c.Done()
			return nil, endErr(h.c)
		}
		h.m.frames.Publish(Frame{Conn: h.id, Data: f})
		return append([]byte(nil), f...), nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-h.attempt.Done():
		return nil, context.Cause(h.attempt)
	}
}

func (h handshakeConn) Send(ctx context.Context, data []byte) error {
	return h.c.Send(ctx, data)
}

func (h handshakeConn) Conn() uint64 { return h.id }
