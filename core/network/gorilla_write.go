package network

import (
	"context"
	"time"

	"github.com/gorilla/websocket"
)

// Send writes one text frame and returns once it was written to the socket.
//
// It returns ctx's error if ctx ends before the writer took the frame (the
// frame is then never written); once the writer has taken the frame, Send
// reports the outcome of that write, which WriteTimeout bounds. It returns
// ErrClosed if the connection has ended or ends before the frame was
// written; a failed write ends the connection and its error matches
// ErrClosed too. Safe for concurrent use; frames from one goroutine keep
// their order.
func (c *GorillaClient) Send(ctx context.Context, data []byte) error {
	return c.core.Send(ctx, data)
}

// Ping writes a ping control frame and waits for the matching pong, ctx or
// the end of the connection (ErrClosed). The pong is read by the reader
// goroutine, so a receiver that stops draining Frames also stalls Ping.
func (c *GorillaClient) Ping(ctx context.Context) error {
	return c.core.Ping(ctx, &c.pongs)
}

// gorillaSocket is the wsconn.Transport of a GorillaClient: the writer
// goroutine writes through it. It holds only the client, so it fits in an
// interface without an allocation; c.conn is set before the client opens.
type gorillaSocket struct{ c *GorillaClient }

func (s gorillaSocket) Write(data []byte, ping bool) error {
	conn := s.c.conn
	deadline := time.Now().Add(s.c.opts.WriteTimeout)
	if ping {
		return conn.WriteControl(websocket.PingMessage, data, deadline)
	}
	if err := conn.SetWriteDeadline(deadline); err != nil {
		return err
	}
	return conn.WriteMessage(websocket.TextMessage, data)
}

// Shutdown sends our close frame; the reader stops when the peer answers
// or drops the socket (Close drops it after CloseTimeout).
func (s gorillaSocket) Shutdown(code int, reason string) {
	conn := s.c.conn
	msg := websocket.FormatCloseMessage(code, reason)
	err := conn.WriteControl(websocket.CloseMessage, msg, time.Now().Add(s.c.opts.CloseTimeout))
	if err != nil && err != websocket.ErrCloseSent {
		conn.NetConn().Close() // the socket is gone: nobody will answer
	}
}

// Drop closes the TCP socket under a stuck read or write.
func (s gorillaSocket) Drop() { rawSocket(s.c.conn).Close() }

// Release closes the socket once the reader has stopped.
func (s gorillaSocket) Release() { s.c.conn.NetConn().Close() }
