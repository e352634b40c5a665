package memory

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/chatwire/chatwire/core/network"
	"github.com/chatwire/chatwire/core/network/internal/wsconn"
)

var _ network.WebSocketClient = (*Client)(nil)

var errConnectTwice = errors.New("memory: connect called twice")

// clientErrors are the errors the shared connection machinery reports.
var clientErrors = &wsconn.Errors{
	Closed:       network.ErrClosed,
	NotConnected: network.ErrNotConnected,
	ConnectTwice: errConnectTwice,
	CloseError: func(code int, reason string, local bool, err error) error {
		return &network.CloseError{Code: code, Reason: reason, Local: local, Err: err}
	},
}

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
	wsconn.ApplyDefaults(&o.ReadLimit, &o.WriteQueue, &o.WriteTimeout, &o.CloseTimeout)
	return o
}

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
	srv   *Server
	opts  Options
	core  wsconn.Conn  // life, write queue and inbound frames
	pongs wsconn.Pongs // Ping waiters by payload
	ep    *endpoint    // set by Connect before core opens; read once it has
}

// NewClient returns an unconnected client that dials srv.
func NewClient(srv *Server, opts Options) *Client {
	opts = opts.withDefaults()
	c := &Client{srv: srv, opts: opts}
	c.core.Init(clientErrors, opts.WriteQueue)
	return c
}

// Connect dials the client's Server; url and header reach the server's
// Request. A refused dial is a *network.DialError with the HTTP status.
// A failed Connect ends the client. A Close during Connect aborts the dial
// (one waiting for the server to accept) and Connect returns
// network.ErrClosed. Calling it twice is an error.
func (c *Client) Connect(ctx context.Context, url string, header http.Header) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if err := c.core.BeginDial(cancel); err != nil {
		return err
	}
	ep, err := c.srv.dial(ctx, url, header)
	if err == nil {
		c.ep = ep
	}
	if err := c.core.EndDial(socket{c}, err); err != nil {
		return err
	}
	go c.readLoop(ep)
	go c.core.WriteLoop(socket{c})
	return nil
}

// Frames returns the inbound text frames in arrival order; it is closed
// when the connection ends, before Done.
func (c *Client) Frames() <-chan []byte { return c.core.Frames() }

// Done is closed when the connection has ended and both goroutines stopped.
func (c *Client) Done() <-chan struct{} { return c.core.Done() }

// Err returns nil until Done is closed, then why the connection ended.
func (c *Client) Err() error { return c.core.Err() }

// Close sends a close frame with code (0 means 1000) and reason (cut to
// 123 bytes, as on a socket), waits up to CloseTimeout for the server's
// answer, ends the connection and waits for both goroutines. Idempotent;
// it always returns nil.
func (c *Client) Close(code int, reason string) error {
	if code == 0 {
		code = network.CloseNormal
	}
	c.core.Close(code, wsconn.TruncateReason(reason))
	c.core.Wait(c.opts.CloseTimeout, socket{c})
	return nil
}
