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
// ctx ends (Close) or the manager fails. first is the StateConnecting that
// started it; done closes when it returns. It begins once the loop before
// it (prev, nil for the first) has returned: a failed loop may still be
// passing StateFailed on while Connect starts the next one, and the two
// must not overlap for the Receiver.
func (m *ConnectionManager) run(ctx context.Context, first StateChange, prev <-chan struct{}, done chan struct{}) {
	defer m.wg.Done()
	defer close(done)
	if prev != nil {
		<-prev
	}
	m.notify(first)
	p := policy{backoff: backoff{
		base: m.opts.ReconnectDelay,
		max:  m.opts.MaxReconnectDelay,
		rand: m.opts.Rand,
	}}
	attempt, failures := 1, 0
	for {
		log := m.opts.Logger.With(slog.Int("attempt", attempt))
		log.Debug("network: connecting")
		s, err := m.dial(ctx)
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
		m.notify(m.setState(StateChange{State: StateReconnecting, Attempt: attempt, Delay: delay, Err: cause}))
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
	m.running = false
	m.failOutboxLocked(cause)
	sc := m.setStateLocked(StateChange{State: StateFailed, Err: cause})
	m.mu.Unlock()
	m.notify(sc)
}

// sleep waits d on the manager's clock, running posted calls meanwhile,
// and reports whether ctx is still live.
func (m *ConnectionManager) sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	fired := make(chan struct{})
	stop := m.opts.Clock.AfterFunc(d, func() { close(fired) })
	for {
		select {
		case <-fired:
			return true
		case call := <-m.posts:
			call()
		case <-ctx.Done():
			stop()
			return false
		}
	}
}

// apart runs f on a goroutine of its own and waits for it, running posted
// calls meanwhile: a TCP, TLS and HTTP dial (and a handshake that asks an
// authorization endpoint) grows a stack of several KiB, which the loop
// goroutine, alive as long as the connection, would keep.
func apart[T any](m *ConnectionManager, f func() (T, error)) (T, error) {
	type result struct {
		v   T
		err error
	}
	done := make(chan result, 1)
	go func() {
		v, err := f()
		done <- result{v, err}
	}()
	for {
		select {
		case r := <-done:
			return r.v, r.err
		case call := <-m.posts:
			call()
		}
	}
}

// open asks the Endpoint for this attempt's URL and opens a new client on it.
func (m *ConnectionManager) open(ctx context.Context) (WebSocketClient, error) {
	rawURL, header, err := m.opts.Endpoint(ctx)
	if err != nil {
		return nil, fmt.Errorf("network: endpoint: %w", err)
	}
	c := m.opts.NewClient()
	if err := c.Connect(ctx, rawURL, header); err != nil {
		return nil, redact(err, rawURL)
	}
	return c, nil
}

// session is one open connection.
type session struct {
	c        WebSocketClient
	id       uint64        // Frame.Conn of its frames
	interval time.Duration // heartbeat interval for this connection
	maxFrame int64         // the server's frame limit; 0: unknown
}

// dial runs one attempt, all within HandshakeTimeout: Endpoint, NewClient
// and Connect apart from the loop; the Handshake on the loop when there
// is a Receiver (the two share its state), apart too otherwise. Frames
// the handshake reads are delivered.
func (m *ConnectionManager) dial(ctx context.Context) (*session, error) {
	actx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	timeout := fmt.Errorf("network: dial and handshake took longer than %v: %w",
		m.opts.HandshakeTimeout, context.DeadlineExceeded)
	stop := m.opts.Clock.AfterFunc(m.opts.HandshakeTimeout, func() { cancel(timeout) })
	defer stop()

	var s *session
	var err error
	if m.opts.Receiver != nil {
		var c WebSocketClient
		if c, err = apart(m, func() (WebSocketClient, error) { return m.open(actx) }); err == nil {
			s, err = m.greet(actx, c, true)
		}
	} else {
		s, err = apart(m, func() (*session, error) {
			c, err := m.open(actx)
			if err != nil {
				return nil, err
			}
			return m.greet(actx, c, false)
		})
	}
	if err != nil && context.Cause(actx) == timeout && ctx.Err() == nil {
		return nil, timeout
	}
	return s, err
}

// greet numbers the new connection c and runs the Handshake on it, on the
// loop goroutine or not (onLoop).
func (m *ConnectionManager) greet(ctx context.Context, c WebSocketClient, onLoop bool) (*session, error) {
	m.mu.Lock()
	m.conns++
	s := &session{c: c, id: m.conns, interval: m.opts.HeartbeatInterval}
	m.mu.Unlock()
	if m.opts.Handshake == nil {
		return s, nil
	}
	res, err := m.opts.Handshake(ctx, handshakeConn{m: m, c: c, id: s.id, attempt: ctx, onLoop: onLoop})
	if err != nil {
		// A handshake that timed out has an unresponsive peer: its close
		// handshake must not hold up the next attempt either.
		m.closeInBackground(c, CloseNormal, "handshake failed")
		return nil, fmt.Errorf("network: handshake: %w", err)
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
			m.receive(Frame{Conn: s.id, Data: f})
		case call := <-m.posts:
			call()
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
// the loop goroutine lives (on it, or on a goroutine it waits for):
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
	onLoop  bool            // the Handshake runs on the loop goroutine
}

// Read runs posted calls while it waits, if it runs on the loop.
func (h handshakeConn) Read(ctx context.Context) ([]byte, error) {
	var posts chan func()
	if h.onLoop {
		posts = h.m.posts
	}
	for {
		select {
		case f, ok := <-h.c.Frames():
			if !ok {
				<-h.c.Done()
				return nil, endErr(h.c)
			}
			h.m.receive(Frame{Conn: h.id, Data: f})
			return append([]byte(nil), f...), nil
		case call := <-posts:
			call()
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-h.attempt.Done():
			return nil, context.Cause(h.attempt)
		}
	}
}

func (h handshakeConn) Send(ctx context.Context, data []byte) error {
	return h.c.Send(ctx, data)
}

func (h handshakeConn) Conn() uint64 { return h.id }
