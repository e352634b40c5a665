package memory

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/chatwire/chatwire/core/network"
)

var _ network.WebSocketClient = (*Client)(nil)

var errConnectTwice = errors.New("memory: connect called twice")

// Defaults of Options.
const (
	defaultReadLimit    = 1 << 20
	defaultWriteQueue   = 16
	defaultWriteTimeout = 10 * time.Second
	frameBuffer         = 8
)

// Options configure a Client. NewClient copies them; zero values mean the
// documented defaults.
type Options struct {
	// ReadLimit is the largest inbound frame in bytes; a larger one makes
	// the client close with 1009 and end with network.ErrFrameTooLarge.
	// Zero means 1 MiB; negative means no limit.
	ReadLimit int64
	// WriteQueue bounds the frames and pings waiting for the writer
	// goroutine. Zero means 16.
	WriteQueue int
	// WriteTimeout bounds how long one frame waits for the server to read
	// it; a write that times out ends the connection. Zero means 10s.
	WriteTimeout time.Duration
	// CloseTimeout bounds Close's wait for the server's answer. Zero means 5s.
	CloseTimeout time.Duration
}

func (o Options) withDefaults() Options {
	if o.ReadLimit == 0 {
		o.ReadLimit = defaultReadLimit
	}
	if o.WriteQueue <= 0 {
		o.WriteQueue = defaultWriteQueue
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = defaultWriteTimeout
	}
	if o.CloseTimeout <= 0 {
		o.CloseTimeout = defaultCloseTimeout
	}
	return o
}

type connState int

const (
	stateNew connState = iota
	stateDialing
	stateOpen
	stateEnded
)

// Client is a network.WebSocketClient connected to a Server in the same
// process: no sockets, the same contract as the gorilla client (bounded
// write queue, read limit with 1009, close codes, ping/pong, ErrClosed
// after Close). It runs one reader and one writer goroutine while
// connected.
//
// Concurrency: Connect once; then every method is safe for concurrent use.
// After Close returns, nothing more is sent on Frames and no goroutine of
// the client is left.
type Client struct {
	srv  *Server
	opts Options

	frames     chan []byte
	queue      chan *writeReq
	closing    chan struct{}
	readerDone chan struct{}
	done       chan struct{}
	closeOnce  sync.Once
	pongs      pongWaiters

	mu          sync.Mutex
	state       connState
	ep          *endpoint
	err         error
	closeCode   int
	closeReason string
}

// NewClient returns an unconnected client that dials srv.
func NewClient(srv *Server, opts Options) *Client {
	opts = opts.withDefaults()
	return &Client{
		srv:        srv,
		opts:       opts,
		frames:     make(chan []byte, frameBuffer),
		queue:      make(chan *writeReq, opts.WriteQueue),
		closing:    make(chan struct{}),
		readerDone: make(chan struct{}),
		done:       make(chan struct{}),
	}
}

// Connect dials the client's Server; url and header reach the server's
// Request. A refused dial is a *network.DialError with the HTTP status.
// A failed Connect ends the client. Calling it twice is an error.
func (c *Client) Connect(ctx context.Context, url string, header http.Header) error {
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
	c.state = stateDialing
	c.mu.Unlock()

	ep, err := c.srv.dial(ctx, url, header)

	c.mu.Lock()
	if c.state == stateEnded { // Close came first
		c.mu.Unlock()
		if ep != nil {
			ep.link.teardown()
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
	c.ep = ep
	c.state = stateOpen
	c.mu.Unlock()
	go c.readLoop(ep)
	go c.writeLoop(ep)
	return nil
}

// Frames returns the inbound text frames in arrival order; it is closed
// when the connection ends, before Done.
func (c *Client) Frames() <-chan []byte { return c.frames }

// Done is closed when the connection has ended and both goroutines stopped.
func (c *Client) Done() <-chan struct{} { return c.done }

// Err returns nil until Done is closed, then why the connection ended.
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

// Close sends a close frame with code (0 means 1000) and reason, waits up
// to CloseTimeout for the server's answer, ends the connection and waits
// for both goroutines. Idempotent; it always returns nil.
func (c *Client) Close(code int, reason string) error {
	if code == 0 {
		code = network.CloseNormal
	}
	c.mu.Lock()
	switch c.state {
	case stateNew, stateDialing:
		c.state = stateEnded
		c.err = &network.CloseError{Code: code, Reason: reason, Local: true}
		c.mu.Unlock()
		c.endUnstarted()
		return nil
	case stateEnded:
		c.mu.Unlock()
		<-c.done
		return nil
	}
	ep := c.ep
	c.closeOnce.Do(func() {
		c.closeCode, c.closeReason = code, reason
		if c.err == nil {
			c.err = &network.CloseError{Code: code, Reason: reason, Local: true}
		}
		close(c.closing)
	})
	c.mu.Unlock()
	t := time.NewTimer(c.opts.CloseTimeout)
	defer t.Stop()
	select {
	case <-c.done:
	case <-t.C:
		ep.link.teardown()
		<-c.done
	}
	return nil
}

func (c *Client) endUnstarted() {
	c.closeOnce.Do(func() { close(c.closing) })
	close(c.frames)
	close(c.readerDone)
	close(c.done)
}

func (c *Client) setCause(err error) {
	c.mu.Lock()
	if c.err == nil {
		c.err = err
	}
	c.mu.Unlock()
}
