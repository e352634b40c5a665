package memory

import (
	"context"
)

// Send writes one text frame and returns once it is buffered for the server.
// It returns ctx's error if ctx ends before the writer took the frame (it
// is then never written); once taken, Send reports that write's outcome.
// After the connection ended it returns network.ErrClosed. Safe for
// concurrent use; frames from one goroutine keep their order.
func (c *Client) Send(ctx context.Context, data []byte) error {
	return c.core.Send(ctx, data)
}

// Ping sends a ping frame and waits for the pong, ctx or the end of the
// connection (network.ErrClosed). The server answers only while it reads.
func (c *Client) Ping(ctx context.Context) error {
	return c.core.Ping(ctx, &c.pongs)
}

// socket is the wsconn.Transport of a Client: the writer goroutine writes
// through it. It holds only the client, so it fits in an interface without
// an allocation; c.ep is set before the client opens.
type socket struct{ c *Client }

// Write buffers one text frame (a copy: the caller keeps data) or a ping
// for the server, waiting up to WriteTimeout for room.
func (s socket) Write(data []byte, ping bool) error {
	p := packet{op: opText, data: clone(data)}
	if ping {
		p = packet{op: opPing, data: data}
	}
	return s.c.ep.send(p, nil, s.c.opts.WriteTimeout)
}

// Shutdown sends our close frame; the reader stops when the server
// answers. If the frame cannot be sent, the link is torn down.
func (s socket) Shutdown(code int, reason string) {
	err := s.c.ep.send(packet{op: opClose, code: code, reason: reason}, nil, s.c.opts.CloseTimeout)
	if err != nil && err != errCloseSent {
		s.c.ep.link.teardown()
	}
}

// Drop tears the link down at once.
func (s socket) Drop() { s.c.ep.link.teardown() }

// Release tears the link down once the reader has stopped.
func (s socket) Release() { s.c.ep.link.teardown() }
