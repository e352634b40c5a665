package coderws

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/chatwire/chatwire/core/network"
)

var _ network.WebSocketClient = (*Client)(nil)

var errConnectTwice = errors.New("coderws: connect called twice")

// connState is where a Client is in its life.
type connState int

const (
	stateNew     connState = iota // Connect not called yet
	stateDialing                  // Connect is dialling
	stateOpen                     // the reader and writer run (or ran)
	stateEnded                    // the dial failed, or Close came before the socket opened
)

// Client is a network.WebSocketClient over github.com/coder/websocket.
//
// It runs exactly one reader and one writer goroutine per connection. Data
// frames and our close frame are written by the writer goroutine; the
// reader goroutine answers pings and echoes the peer's close frame, and
// Ping writes its ping frame from the caller's goroutine. coder/websocket
// serialises those writes, so frames never interleave.
//
// Concurrency: Connect once; then every method is safe for concurrent use
// (see network.WebSocketClient). After Close returns, nothing more is sent
// on Frames and no goroutine of the client is left.
type Client struct {
	opts Options
	log  *slog.Logger

	frames     chan []byte    // closed by the reader (or by endUnstarted if it never ran)
	queue      chan *writeReq // Send requests for the writer
	closing    chan struct{}  // closed by the first Close
	readerDone chan struct{}  // closed when the reader has stopped
	done       chan struct{}  // closed when the connection ended and both goroutines stopped
	closeOnce  sync.Once      // guards closing

	mu          sync.Mutex
	state       connState
	cancelDial  context.CancelFunc
	conn        *websocket.Conn
	sock        net.Conn // the TCP connection under conn
	err         error    // the first cause, reported by Err once done is closed
	closeCode   int
	closeReason string
}

// NewClient returns an unconnected client. It starts no goroutine until
// Connect succeeds.
func NewClient(opts Options) *Client {
	opts = opts.withDefaults()
	return &Client{
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
// handshake, bounded by ctx and DialTimeout. A refused upgrade is a
// *network.DialError with the HTTP status (401 matches
// network.ErrUnauthorized); a failed Connect ends the client (Done is
// closed, Err returns the error). A Close during Connect aborts the dial and
// Connect returns network.ErrClosed. Calling Connect twice is an error.
func (c *Client) Connect(ctx context.Context, rawURL string, header http.Header) error {
	c.mu.Lock()
	switch c.state {
	case stateNew:
	case stateEnded:
		c.mu.Unlock()
		return network.ErrClosed
	default:
		c.mu.Unlock()
		return errConnectTwice
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	c.state = stateDialing
	c.cancelDial = cancel
	c.mu.Unlock()

	conn, sock, err := c.dial(ctx, rawURL, header)

	c.mu.Lock()
	c.cancelDial = nil
	if c.state == stateEnded { // Close came first and ended the client
		c.mu.Unlock()
		if sock != nil {
			sock.Close()
		}
		return network.ErrClosed
	}
	if err != nil {
		c.state = stateEnded
		c.err = err
		c.mu.Unlock()
		c.endUnstarted()
		return err
	}
	c.conn, c.sock = conn, sock
	c.state = stateOpen
	c.mu.Unlock()

	conn.SetReadLimit(c.opts.ReadLimit)
	go c.readLoop(conn, sock)
	go c.writeLoop(conn, sock)
	return nil
}

// Frames returns the inbound data frames (text and binary) in arrival
// order. The channel is closed when the connection ends, before Done.
func (c *Client) Frames() <-chan []byte { return c.frames }

// Done is closed when the connection has ended and both goroutines have
// stopped.
func (c *Client) Done() <-chan struct{} { return c.done }

// Err returns nil until Done is closed, then why the connection ended (see
// network.WebSocketClient.Err).
func (c *Client) Err() error {
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
func (c *Client) Close(code int, reason string) error {
	if code == 0 {
		code = network.CloseNormal
	}
	reason = truncateReason(reason)
	c.mu.Lock()
	switch c.state {
	case stateNew, stateDialing:
		c.state = stateEnded
		c.err = &network.CloseError{Code: code, Reason: reason, Local: true}
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
	// already ended) and tells the writer to run the close handshake.
	sock := c.sock
	first := false
	c.closeOnce.Do(func() {
		first = true
		c.closeCode, c.closeReason = code, reason
		if c.err == nil {
			c.err = &network.CloseError{Code: code, Reason: reason, Local: true}
		}
		close(c.closing)
	})
	c.mu.Unlock()
	if first {
		c.log.Debug("coderws: closing", "code", code)
	}

	// The writer sends the close frame after any write in progress and the
	// reader stops when the peer answers. Neither may take longer than
	// CloseTimeout: then the socket is closed under them.
	t := time.NewTimer(c.opts.CloseTimeout)
	defer t.Stop()
	select {
	case <-c.done:
	case <-t.C:
		sock.Close()
		<-c.done
	}
	return nil
}

// endUnstarted ends a client whose goroutines never ran.
func (c *Client) endUnstarted() {
	c.closeOnce.Do(func() { close(c.closing) })
	close(c.frames)
	close(c.readerDone)
	close(c.done)
}

// setCause records why the connection ended, unless a cause is known.
func (c *Client) setCause(err error) {
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
	for cut > 0 && reason[cut]&0xC0 == 0x80 {
		cut--
	}
	return reason[:cut]
}
