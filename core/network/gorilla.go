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
)

var _ WebSocketClient = (*GorillaClient)(nil)

var (
	errConnectTwice = errors.New("network: connect called twice")
	errMalformedURL = errors.New("network: malformed url: want ws:// or wss://")
)

// connState is where a GorillaClient is in its life.
type connState int

const (
	stateNew     connState = iota // Connect not called yet
	stateDialing                  // Connect is dialling
	stateOpen                     // the reader and writer run (or ran)
	stateEnded                    // the dial failed, or Close came before the socket opened
)

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
	opts GorillaOptions
	log  *slog.Logger

	frames     chan []byte    // closed by the reader (or by end if it never ran)
	queue      chan *writeReq // Send and Ping requests for the writer
	closing    chan struct{}  // closed by the first Close
	readerDone chan struct{}  // closed when the reader has stopped
	done       chan struct{}  // closed when the connection ended and both goroutines stopped
	closeOnce  sync.Once      // guards closing
	pongs      pongWaiters    // Ping waiters by payload

	mu          sync.Mutex
	state       connState
	cancelDial  context.CancelFunc
	conn        *websocket.Conn
	err         error // the first cause, reported by Err once done is closed
	closeCode   int
	closeReason string
}

// NewGorillaClient returns an unconnected client. It starts no goroutine
// until Connect succeeds.
func NewGorillaClient(opts GorillaOptions) *GorillaClient {
	opts = opts.withDefaults()
	return &GorillaClient{
		opts:       opts,
		log:        opts.Logger,
		frames:     make(chan []byte, frameBuffer),
		queue:      make(chan *writeReq, opts.WriteQueue),
		closing:    make(chan struct{}),
		readerDone: make(chan struct{}),
		done:       make(chan struct{}),
	}
}

// Connect dials rawURL (ws:// or wss://) with header and completes the
// handshake, bounded by ctx and HandshakeTimeout. A refused upgrade is a
// *DialError with the HTTP status; a failed Connect ends the client (Done is
// closed, Err returns the error). A Close during Connect aborts the dial and
// Connect returns ErrClosed. Calling Connect twice is an error.
func (c *GorillaClient) Connect(ctx context.Context, rawURL string, header http.Header) error {
	c.mu.Lock()
	switch c.state {
	case stateNew:
	case stateEnded:
		c.mu.Unlock()
		return ErrClosed
	default:
		c.mu.Unlock()
		return errConnectTwice
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	c.state = stateDialing
	c.cancelDial = cancel
	c.mu.Unlock()

	conn, err := c.dial(ctx, rawURL, header)

	c.mu.Lock()
	c.cancelDial = nil
	if c.state == stateEnded { // Close came first and ended the client
		c.mu.Unlock()
		if conn != nil {
			conn.Close()
		}
		return ErrClosed
	}
	if err != nil {
		c.state = stateEnded
		c.err = err
		c.mu.Unlock()
		c.endUnstarted()
		return err
	}
	c.conn = conn
	c.state = stateOpen
	c.mu.Unlock()

	conn.SetReadLimit(c.opts.ReadLimit)
	conn.SetPongHandler(c.pongs.resolve)
	go c.readLoop(conn)
	go c.writeLoop(conn)
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
func (c *GorillaClient) Frames() <-chan []byte { return c.frames }

// Done is closed when the connection has ended and both goroutines have
// stopped.
func (c *GorillaClient) Done() <-chan struct{} { return c.done }

// Err returns nil until Done is closed, then why the connection ended (see
// WebSocketClient.Err).
func (c *GorillaClient) Err() error {
	select {
	case <-c.done:
	default:
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// Close sends a close frame with code and reason (reason is cut to 123
// bytes), waits up to CloseTimeout for the peer's answer, closes the socket
// and waits for the reader and writer. A code of 0 means 1000. Idempotent;
// later calls wait like the first and change nothing. It always returns nil.
func (c *GorillaClient) Close(code int, reason string) error {
	if code == 0 {
		code = CloseNormal
	}
	reason = truncateReason(reason)
	c.mu.Lock()
	switch c.state {
	case stateNew, stateDialing:
		c.state = stateEnded
		c.err = &CloseError{Code: code, Reason: reason, Local: true}
		if c.cancelDial != nil {
			c.cancelDial()
		}
		c.mu.Unlock()
		c.endUnstarted()
		return nil
	case stateEnded:
		c.mu.Unlock()
		<-c.done
		return nil
	}
	// stateOpen: the first Close records the cause (unless the connection
	// already ended) and tells the writer to send the close frame.
	conn := c.conn
	first := false
	c.closeOnce.Do(func() {
		first = true
		c.closeCode, c.closeReason = code, reason
		if c.err == nil {
			c.err = &CloseError{Code: code, Reason: reason, Local: true}
		}
		close(c.closing)
	})
	c.mu.Unlock()
	if first {
		c.log.Debug("network: closing", "code", code)
	}

	// The writer sends the close frame after any write in progress and the
	// reader stops when the peer answers. Neither may take longer than
	// CloseTimeout: then the socket is closed under them.
	t := time.NewTimer(c.opts.CloseTimeout)
	defer t.Stop()
	select {
	case <-c.done:
	case <-t.C:
		rawSocket(conn).Close()
		<-c.done
	}
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

// endUnstarted ends a client whose goroutines never ran.
func (c *GorillaClient) endUnstarted() {
	c.closeOnce.Do(func() { close(c.closing) })
	close(c.frames)
	close(c.readerDone)
	close(c.done)
}

// setCause records why the connection ended, unless a cause is known.
func (c *GorillaClient) setCause(err error) {
	c.mu.Lock()
	if c.err == nil {
		c.err = err
	}
	c.mu.Unlock()
}

// truncateReason cuts reason to what a close frame can carry, on a rune
// boundary.
func truncateReason(reason string) string {
	if len(reason) <= maxCloseReason {
		return reason
	}
	cut := maxCloseReason
	for cut > 0 && !utf8RuneStart(reason[cut]) {
		cut--
	}
	return reason[:cut]
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }
