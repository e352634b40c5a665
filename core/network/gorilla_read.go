package network

import (
	"errors"
	"io"
	"time"

	"github.com/gorilla/websocket"

	"github.com/chatwire/chatwire/core/network/internal/wsconn"
)

// readLoop is the reader goroutine: it delivers data frames on Frames,
// lets gorilla answer pings and close frames, and records why the
// connection ended. It keeps its own frame small: an idle connection's
// reader sits at the bottom of this call chain, and a chain that fits the
// smallest goroutine stack keeps idle connections cheap.
func (c *GorillaClient) readLoop(conn *websocket.Conn) {
	c.readFailed(conn, c.readFrames(conn))
	c.core.EndRead()
}

// readFrames reads and delivers frames until a read fails.
func (c *GorillaClient) readFrames(conn *websocket.Conn) error {
	for {
		_, r, err := conn.NextReader()
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
func (c *GorillaClient) readFailed(conn *websocket.Conn, err error) {
	var ce *websocket.CloseError
	switch {
	case errors.Is(err, websocket.ErrReadLimit):
		// gorilla has sent the 1009 close frame. Keep reading (and
		// discarding) until the peer answers, so that closing the socket
		// does not reset it before the peer has read our close frame.
		c.core.SetCause(&CloseError{Code: CloseMessageTooBig, Local: true, Err: ErrFrameTooLarge})
		c.log.Debug("network: inbound frame over the read limit", "limit", c.opts.ReadLimit)
		nc := conn.NetConn()
		nc.SetReadDeadline(time.Now().Add(c.opts.CloseTimeout))
		io.Copy(io.Discard, nc)
	case errors.As(err, &ce) && ce.Code != websocket.CloseAbnormalClosure:
		c.core.SetCause(&CloseError{Code: ce.Code, Reason: ce.Text})
		c.log.Debug("network: closed by peer", "code", ce.Code)
	default:
		// The socket dropped without a close frame (gorilla reports an
		// unexpected EOF as a 1006 CloseError), or we closed it.
		cause := err
		if errors.As(err, &ce) {
			cause = io.ErrUnexpectedEOF
		}
		c.core.SetCause(&CloseError{Code: CloseAbnormal, Err: cause})
		c.log.Debug("network: connection lost")
	}
}
