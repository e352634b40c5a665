package coderws

import (
	"context"
	"errors"
	"io"
	"net"
	"time"

	"github.com/coder/websocket"

	"github.com/chatwire/chatwire/core/network"
	"github.com/chatwire/chatwire/core/network/internal/wsconn"
)

// readLoop is the reader goroutine: it delivers data frames on Frames,
// lets coder/websocket answer pings and close frames, and records why the
// connection ended.
func (c *Client) readLoop(conn *websocket.Conn, sock net.Conn) {
	c.readFailed(sock, c.readFrames(conn))
	c.core.EndRead()
}

// readFrames reads and delivers frames until a read fails. Reads use a
// context without a Done channel: coder/websocket then arms no timer per
// read, and Close ends a read by closing the socket.
func (c *Client) readFrames(conn *websocket.Conn) error {
	ctx := context.Background()
	for {
		_, r, err := conn.Reader(ctx)
		if err != nil {
			return err
		}
		frame, err := wsconn.ReadMessage(r)
		if err != nil {
			return err
		}
		c.core.Deliver(frame)
	}
}

// readFailed records why reading stopped.
func (c *Client) readFailed(sock net.Conn, err error) {
	var ce websocket.CloseError
	switch {
	case errors.Is(err, websocket.ErrMessageTooBig):
		// coder/websocket has sent the 1009 close frame. Keep reading (and
		// discarding) until the peer answers, so that closing the socket
		// does not reset it before the peer has read our close frame.
		c.core.SetCause(&network.CloseError{Code: network.CloseMessageTooBig, Local: true, Err: network.ErrFrameTooLarge})
		c.log.Debug("coderws: inbound frame over the read limit", "limit", c.opts.ReadLimit)
		sock.SetReadDeadline(time.Now().Add(c.opts.CloseTimeout))
		io.Copy(io.Discard, sock)
		sock.Close()
	case errors.As(err, &ce):
		c.core.SetCause(&network.CloseError{Code: int(ce.Code), Reason: ce.Reason})
		c.log.Debug("coderws: closed by peer", "code", int(ce.Code))
	default:
		// The socket dropped without a close frame, or we closed it.
		cause := err
		if errors.Is(err, io.EOF) {
			cause = io.ErrUnexpectedEOF
		}
		c.core.SetCause(&network.CloseError{Code: network.CloseAbnormal, Err: cause})
		c.log.Debug("coderws: connection lost")
	}
}
