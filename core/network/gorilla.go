package network

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/chatwire/chatwire/core/network/internal/wsconn"
)

var _ WebSocketClient = (*GorillaClient)(nil)

var (
	errConnectTwice = errors.New("network: connect called twice")
	errMalformedURL = errors.New("network: malformed url: want ws:// or wss://")
)

// gorillaErrors are the errors the shared connection machinery reports.
var gorillaErrors = &wsconn.Errors{
	Closed:       ErrClosed,
	NotConnected: ErrNotConnected,
	ConnectTwice: errConnectTwice,
	CloseError: func(code int, reason string, local bool, err error) error {
		return &CloseError{Code: code, Reason: reason, Local: local, Err: err}
	},
}

// GorillaClient is a WebSocketClient over github.com/gorilla/websocket.
//
// It runs exactly one reader and one writer goroutine per connection. Data
// frames, pings and our close frame are written by the writer goroutine
// only; the reader answers pings and echoes the peer's close frame with
// gorilla's WriteControl, which is safe to call concurrently with the
// writer.
//
// Concurrency: Connect once; then every method is safe for concurrent use
// (see WebSocketClient). After Close returns, nothing more is sent on
// Frames and no goroutine of the client is left.
type GorillaClient struct {
	opts  GorillaOptions
	log   *slog.Logger
	core  wsconn.Conn     // life, write queue and inbound frames
	pongs wsconn.Pongs    // Ping waiters by payload
	conn  *websocket.Conn // set by Connect before core opens; read once it has
}

// NewGorillaClient returns an unconnected client. It starts no goroutine
// until Connect succeeds.
func NewGorillaClient(opts GorillaOptions) *GorillaClient {
	opts = opts.withDefaults()
	c := &GorillaClient{opts: opts, log: opts.Logger}
	c.core.Init(gorillaErrors, opts.WriteQueue)
	return c
}

// Connect dials rawURL (ws:// or wss://) with header and completes the
// handshake, bounded by ctx and HandshakeTimeout. A refused upgrade is a
// *DialError with the HTTP status; a failed Connect ends the client (Done is
// closed, Err returns the error). A Close during Connect aborts the dial and
// Connect returns ErrClosed. Calling Connect twice is an error.
func (c *GorillaClient) Connect(ctx context.Context, rawURL string, header http.Header) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if err := c.core.BeginDial(cancel); err != nil {
		return err
	}
	conn, err := c.dial(ctx, rawURL, header)
	if err == nil {
		c.conn = conn
	}
	if err := c.core.EndDial(gorillaSocket{c}, err); err != nil {
		return err
	}
	conn.SetReadLimit(c.opts.ReadLimit)
	conn.SetPongHandler(c.pongs.Resolve)
	go c.readLoop(conn)
	go c.core.WriteLoop(gorillaSocket{c})
	return nil
}

// dial runs the handshake. Its errors never carry the URL: the query may
// hold a token.
func (c *GorillaClient) dial(ctx context.Context, rawURL string, header http.Header) (*websocket.Conn, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "ws" && u.Scheme != "wss") || u.Host == "" {
		return nil, &DialError{Err: errMalformedURL}
	}
	ctx, cancel := context.WithTimeout(ctx, c.opts.HandshakeTimeout)
	defer cancel()

	// gorilla applies ctx's deadline to the handshake but not its
	// cancellation: a cancelled ctx (or Close) must interrupt the
	// handshake too, so the socket's deadline is moved when ctx ends.
	var (
		mu     sync.Mutex
		socket net.Conn
	)
	stop := context.AfterFunc(ctx, func() {
		mu.Lock()
		defer mu.Unlock()
		if socket != nil {
			socket.SetDeadline(time.Unix(1, 0))
		}
	})
	defer stop()
	var nd net.Dialer
	d := websocket.Dialer{
		NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			conn, err := nd.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			mu.Lock()
			defer mu.Unlock()
			if err := ctx.Err(); err != nil { // ended before socket was set
				conn.Close()
				return nil, err
			}
			socket = conn
			return conn, nil
		},
		Proxy:             c.opts.Proxy,
		TLSClientConfig:   c.opts.TLSConfig,
		ReadBufferSize:    c.opts.ReadBufferSize,
		WriteBufferSize:   c.opts.WriteBufferSize,
		WriteBufferPool:   c.opts.WriteBufferPool,
		EnableCompression: c.opts.EnableCompression,
	}
	conn, resp, err := d.DialContext(ctx, u.String(), header)
	if err != nil {
		status := 0
		if resp != nil && resp.StatusCode != http.StatusSwitchingProtocols {
			status = resp.StatusCode
		}
		if ctxErr := ctx.Err(); ctxErr != nil && status == 0 {
			err = ctxErr // the handshake timed out or was cancelled
		}
		c.log.Debug("network: dial failed", "host", u.Host, "path", u.Path, "status", status)
		return nil, &DialError{StatusCode: status, Err: err}
	}
	if !stop() {
		// ctx ended just as the handshake completed: the deadline may be
		// moved under the new connection, so it cannot be used.
		conn.Close()
		return nil, &DialError{Err: ctx.Err()}
	}
	conn.NetConn().SetDeadline(time.Time{}) // the handshake's deadline must not outlive it
	c.log.Debug("network: connected", "host", u.Host, "path", u.Path)
	return conn, nil
}

// Frames returns the inbound data frames (text and binary) in arrival
// order. The channel is closed when the connection ends, before Done.
func (c *GorillaClient) Frames() <-chan []byte { return c.core.Frames() }

// Done is closed when the connection has ended and both goroutines have
// stopped.
func (c *GorillaClient) Done() <-chan struct{} { return c.core.Done() }

// Err returns nil until Done is closed, then why the connection ended (see
// WebSocketClient.Err).
func (c *GorillaClient) Err() error { return c.core.Err() }

// Close sends a close frame with code and reason (reason is cut to 123
// bytes), waits up to CloseTimeout for the peer's answer, closes the socket
// and waits for the reader and writer. A code of 0 means 1000. Idempotent;
// later calls wait like the first and change nothing. It always returns nil.
func (c *GorillaClient) Close(code int, reason string) error {
	if code == 0 {
		code = CloseNormal
	}
	if c.core.Close(code, wsconn.TruncateReason(reason)) {
		c.log.Debug("network: closing", "code", code)
	}
	c.core.Wait(c.opts.CloseTimeout, gorillaSocket{c})
	return nil
}

// rawSocket returns the TCP connection under conn. Closing it (rather than
// a TLS connection, whose Close writes an alert under the lock a stuck
// writer holds) ends a stuck read or write at once.
func rawSocket(conn *websocket.Conn) net.Conn {
	nc := conn.NetConn()
	if tc, ok := nc.(interface{ NetConn() net.Conn }); ok {
		return tc.NetConn()
	}
	return nc
}
