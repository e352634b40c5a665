package coderws

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/chatwire/chatwire/core/network"
)

// readLoop is the reader goroutine: it delivers data frames on c.frames,
// lets coder/websocket answer pings and close frames, and records why the
// connection ended.
func (c *Client) readLoop(conn *websocket.Conn, sock net.Conn) {
	c.readFailed(sock, c.readFrames(conn))
	close(c.frames)
	close(c.readerDone)
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
		frame, err := readMessage(r)
		if err != nil {
			return err
		}
		c.deliver(frame)
	}
}

// deliver hands frame to the receiver. Once Close was called frames are
// dropped, so the reader keeps reading until the peer answers our close.
func (c *Client) deliver(frame []byte) {
	select {
	case <-c.closing:
		return
	default:
	}
	select {
	case c.frames <- frame:
	case <-c.closing:
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
		c.setCause(&network.CloseError{Code: network.CloseMessageTooBig, Local: true, Err: network.ErrFrameTooLarge})
		c.log.Debug("coderws: inbound frame over the read limit", "limit", c.opts.ReadLimit)
		sock.SetReadDeadline(time.Now().Add(c.opts.CloseTimeout))
		io.Copy(io.Discard, sock)
		sock.Close()
	case errors.As(err, &ce):
		c.setCause(&network.CloseError{Code: int(ce.Code), Reason: ce.Reason})
		c.log.Debug("coderws: closed by peer", "code", int(ce.Code))
	default:
		// The socket dropped without a close frame, or we closed it.
		cause := err
		if errors.Is(err, io.EOF) {
			cause = io.ErrUnexpectedEOF
		}
		c.setCause(&network.CloseError{Code: network.CloseAbnormal, Err: cause})
		c.log.Debug("coderws: connection lost")
	}
}

// readBufs lends scratch buffers for reading a message of unknown length.
var readBufs = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// maxPooledReadBuf keeps a rare huge message from pinning its buffer.
const maxPooledReadBuf = 64 << 10

// readMessage reads one message into a pooled scratch buffer and returns a
// right-sized copy: one allocation per frame, whatever its size.
func readMessage(r io.Reader) ([]byte, error) {
	bp := readBufs.Get().(*[]byte)
	buf := (*bp)[:0]
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			putReadBuf(bp, buf)
			return nil, err
		}
	}
	frame := make([]byte, len(buf))
	copy(frame, buf)
	putReadBuf(bp, buf)
	return frame, nil
}

func putReadBuf(bp *[]byte, buf []byte) {
	if cap(buf) > maxPooledReadBuf {
		return
	}
	*bp = buf[:0]
	readBufs.Put(bp)
}
