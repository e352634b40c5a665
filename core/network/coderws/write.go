package coderws

import (
	"context"
	"fmt"
	"net"
	"sync/atomic"

	"github.com/coder/websocket"

	"github.com/chatwire/chatwire/core/network"
)

// A writeReq moves from pending to either writing (the writer took it) or
// cancelled (its sender gave up, or the connection ended) exactly once, by
// compare-and-swap: a cancelled request is never written.
const (
	reqPending int32 = iota
	reqWriting
	reqCancelled
)

// writeReq is one frame waiting for the writer goroutine.
type writeReq struct {
	data  []byte
	state atomic.Int32
	done  chan error // buffered: the writer never waits on it
}

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
	if err := c.usable(ctx); err != nil {
		return err
	}
	req := &writeReq{data: data, done: make(chan error, 1)}
	select {
	case c.queue <- req:
	case <-ctx.Done():
		return ctx.Err()
	case <-c.closing:
		return network.ErrClosed
	case <-c.done:
		return network.ErrClosed
	}
	select {
	case err := <-req.done:
		return err
	case <-ctx.Done():
		if req.state.CompareAndSwap(reqPending, reqCancelled) {
			return ctx.Err()
		}
	case <-c.done:
		if req.state.CompareAndSwap(reqPending, reqCancelled) {
			return network.ErrClosed
		}
	}
	// The writer took the request before ctx ended or before it stopped:
	// it always answers.
	return <-req.done
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
	if err := c.usable(ctx); err != nil {
		return err
	}
	c.mu.Lock()
	conn := c.conn
	c.mu.Unlock()
	err := conn.Ping(ctx)
	if err == nil {
		return nil
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		return ctxErr
	}
	return fmt.Errorf("%w: ping: %w", network.ErrClosed, err)
}

// usable reports whether Send and Ping may proceed.
func (c *Client) usable(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	state := c.state
	c.mu.Unlock()
	if state == stateNew || state == stateDialing {
		return network.ErrNotConnected
	}
	select {
	case <-c.closing:
		return network.ErrClosed
	case <-c.done:
		return network.ErrClosed
	default:
		return nil
	}
}

// writeLoop is the writer goroutine: it writes queued frames in order, then
// runs the close handshake, and closes done last.
func (c *Client) writeLoop(conn *websocket.Conn, sock net.Conn) {
	defer close(c.done)
	defer c.failQueued()
	for {
		select {
		case req := <-c.queue:
			if !req.state.CompareAndSwap(reqPending, reqWriting) {
				continue // cancelled while queued: never written
			}
			err := c.write(conn, req.data)
			if err != nil {
				err = fmt.Errorf("%w: write: %w", network.ErrClosed, err)
			}
			req.done <- err
			if err != nil {
				c.setCause(&network.CloseError{Code: network.CloseAbnormal, Err: err})
				sock.Close()
				<-c.readerDone
				conn.CloseNow()
				return
			}
		case <-c.closing:
			c.closeHandshake(conn, sock)
			return
		case <-c.readerDone:
			// The peer closed, the socket dropped or a frame was over the
			// limit: release coder/websocket's state (and wake Ping).
			conn.CloseNow()
			return
		}
	}
}

// write writes one text frame within WriteTimeout. When the timeout ends
// the write, coder/websocket closes the connection.
func (c *Client) write(conn *websocket.Conn, data []byte) error {
	ctx, cancel := context.WithTimeout(context.Background(), c.opts.WriteTimeout)
	defer cancel()
	return conn.Write(ctx, websocket.MessageText, data)
}

// closeHandshake sends our close frame and waits for the peer's answer (the
// reader sees it) through coder/websocket's Close; Client.Close closes the
// socket under it after CloseTimeout.
func (c *Client) closeHandshake(conn *websocket.Conn, sock net.Conn) {
	c.mu.Lock()
	code, reason := c.closeCode, c.closeReason
	c.mu.Unlock()
	conn.Close(websocket.StatusCode(code), reason)
	sock.Close()
	<-c.readerDone
}

// failQueued fails every request still queued when the writer stops.
func (c *Client) failQueued() {
	for {
		select {
		case req := <-c.queue:
			if req.state.CompareAndSwap(reqPending, reqCancelled) {
				req.done <- network.ErrClosed
			}
		default:
			return
		}
	}
}
