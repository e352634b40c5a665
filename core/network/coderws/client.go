package coderws

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"

	"github.com/coder/websocket"

	"github.com/chatwire/chatwire/core/network"
	"github.com/chatwire/chatwire/core/network/internal/wsconn"
)

var _ network.WebSocketClient = (*Client)(nil)

var errConnectTwice = errors.New("coderws: connect called twice")

// clientErrors are the errors the shared connection machinery reports.
var clientErrors = &wsconn.Errors{
	Closed:       network.ErrClosed,
	NotConnected: network.ErrNotConnected,
	ConnectTwice: errConnectTwice,
	CloseError: func(code int, reason string, local bool, err error) error {
		return &network.CloseError{Code: code, Reason: reason, Local: local, Err: err}
	},
}

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
	core wsconn.Conn // life, write queue and inbound frames

	// Set by Connect before core opens; read once it has.
	conn *websocket.Conn
	sock net.Conn // the TCP connection under conn
}

// NewClient returns an unconnected client. It starts no goroutine until
// Connect succeeds.
func NewClient(opts Options) *Client {
	opts = opts.withDefaults()
	c := &Client{opts: opts, log: opts.Logger}
	c.core.Init(clientErrors, opts.WriteQueue)
	return c
}

// Connect dials rawURL (ws:// or wss://) with header and completes the
// handshake, bounded by ctx and DialTimeout. A refused upgrade is a
// *network.DialError with the HTTP status (401 matches
// network.ErrUnauthorized); a failed Connect ends the client (Done is
// closed, Err returns the error). A Close during Connect aborts the dial and
// Connect returns network.ErrClosed. Calling Connect twice is an error.
func (c *Client) Connect(ctx context.Context, rawURL string, header http.Header) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if err := c.core.BeginDial(cancel); err != nil {
		return err
	}
	conn, sock, err := c.dial(ctx, rawURL, header)
	if err == nil {
		c.conn, c.sock = conn, sock
	}
	if err := c.core.EndDial(socket{c}, err); err != nil {
		return err
	}
	conn.SetReadLimit(c.opts.ReadLimit)
	go c.readLoop(conn, sock)
	go c.core.WriteLoop(socket{c})
	return nil
}

// Frames returns the inbound data frames (text and binary) in arrival
// order. The channel is closed when the connection ends, before Done.
func (c *Client) Frames() <-chan []byte { return c.core.Frames() }

// Done is closed when the connection has ended and both goroutines have
// stopped.
func (c *Client) Done() <-chan struct{} { return c.core.Done() }

// Err returns nil until Done is closed, then why the connection ended (see
// network.WebSocketClient.Err).
func (c *Client) Err() error { return c.core.Err() }

// Close sends a close frame with code and reason (reason is cut to 123
// bytes), waits up to CloseTimeout for the peer's answer, closes the socket
// and waits for the reader and writer. A code of 0 means 1000. Idempotent;
// later calls wait like the first and change nothing. It always returns nil.
func (c *Client) Close(code int, reason string) error {
	if code == 0 {
		code = network.CloseNormal
	}
	if c.core.Close(code, wsconn.TruncateReason(reason)) {
		c.log.Debug("coderws: closing", "code", code)
	}
	c.core.Wait(c.opts.CloseTimeout, socket{c})
	return nil
}
