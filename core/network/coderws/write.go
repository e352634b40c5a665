package coderws

import (
	"context"
	"fmt"

	"github.com/coder/websocket"

	"github.com/chatwire/chatwire/core/network"
)

// Send writes one text frame and returns once it was written to the socket.
//
// It returns ctx's error if ctx ends before the writer took the frame (the
// frame is then never written); once the writer has taken the frame, Send
// reports the outcome of that write, which WriteTimeout bounds. It returns
// network.ErrClosed if the connection has ended or ends before the frame
// was written; a failed write ends the connection and its error matches
// network.ErrClosed too. Safe for concurrent use; frames from one goroutine
// keep their order.
func (c *Client) Send(ctx context.Context, data []byte) error {
	return c.core.Send(ctx, data)
}

// Ping writes a ping control frame and waits for its pong, ctx or the end
// of the connection (network.ErrClosed). The pong is read by the reader
// goroutine, so a receiver that stops draining Frames also stalls Ping.
//
// The ping frame is written from the caller's goroutine (coder/websocket
// serialises it with the writer's frames). Unlike GorillaClient, if ctx ends
// while that small frame is stuck behind a full socket buffer,
// coder/websocket closes the connection rather than waiting for
// WriteTimeout; a ctx that ends while waiting for the pong leaves the
// connection open.
func (c *Client) Ping(ctx context.Context) error {
	if err := c.core.Usable(ctx); err != nil {
		return err
	}
	err := c.conn.Ping(ctx)
	if err == nil {
		return nil
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		return ctxErr
	}
	return fmt.Errorf("%w: ping: %w", network.ErrClosed, err)
}

// socket is the wsconn.Transport of a Client: the writer goroutine writes
// through it. It holds only the client, so it fits in an interface without
// an allocation; c.conn and c.sock are set before the client opens.
type socket struct{ c *Client }

// Write writes one text frame within WriteTimeout (the client queues no
// pings). When the timeout ends the write, coder/websocket closes the
// connection.
func (s socket) Write(data []byte, _ bool) error {
	ctx, cancel := context.WithTimeout(context.Background(), s.c.opts.WriteTimeout)
	defer cancel()
	return s.c.conn.Write(ctx, websocket.MessageText, data)
}

// Shutdown sends our close frame and waits for the peer's answer (the
// reader sees it) through coder/websocket's Close, then closes the socket;
// Client.Close drops the socket under it after CloseTimeout.
func (s socket) Shutdown(code int, reason string) {
	s.c.conn.Close(websocket.StatusCode(code), reason)
	s.c.sock.Close()
}

// Drop closes the TCP socket under a stuck read or write.
func (s socket) Drop() { s.c.sock.Close() }

// Release frees coder/websocket's state once the reader has stopped (and
// wakes a Ping).
func (s socket) Release() { s.c.conn.CloseNow() }
