package network

import (
	"errors"
	"io"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// readLoop is the reader goroutine: it delivers data frames on c.frames,
// lets gorilla answer pings and close frames, and records why the
// connection ended. It keeps its own frame small: an idle connection's
// reader sits at the bottom of this call chain, and a chain that fits the
// smallest goroutine stack keeps idle connections cheap.
func (c *GorillaClient) readLoop(conn *websocket.Conn) {
	c.readFailed(conn, c.readFrames(conn))
	close(c.frames)
	close(c.readerDone)
}

// readFrames reads and delivers frames until a read fails.
func (c *GorillaClient) readFrames(conn *websocket.Conn) error {
	for {
		_, r, err := conn.NextReader()
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
//
//go:noinline
func (c *GorillaClient) deliver(frame []byte) {
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
func (c *GorillaClient) readFailed(conn *websocket.Conn, err error) {
	var ce *websocket.CloseError
	switch {
	case errors.Is(err, websocket.ErrReadLimit):
		// gorilla has sent the 1009 close frame. Keep reading (and
		// discarding) until the peer answers, so that closing the socket
		// does not reset it before the peer has read our close frame.
		c.setCause(&CloseError{Code: CloseMessageTooBig, Local: true, Err: ErrFrameTooLarge})
		c.log.Debug("network: inbound frame over the read limit", "limit", c.opts.ReadLimit)
		nc := conn.NetConn()
		nc.SetReadDeadline(time.Now().Add(c.opts.CloseTimeout))
		io.Copy(io.Discard, nc)
	case errors.As(err, &ce) && ce.Code != websocket.CloseAbnormalClosure:
		c.setCause(&CloseError{Code: ce.Code, Reason: ce.Text})
		c.log.Debug("network: closed by peer", "code", ce.Code)
	default:
		// The socket dropped without a close frame (gorilla reports an
		// unexpected EOF as a 1006 CloseError), or we closed it.
		cause := err
		if errors.As(err, &ce) {
			cause = io.ErrUnexpectedEOF
		}
		c.setCause(&CloseError{Code: CloseAbnormal, Err: cause})
		c.log.Debug("network: connection lost")
	}
}

// readBufs lends scratch buffers for reading a message of unknown length.
var readBufs = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// maxPooledReadBuf keeps a rare huge message from pinning its buffer.
const maxPooledReadBuf = 64 << 10

// readMessage reads one message into a pooled scratch buffer and returns a
// right-sized copy: one allocation per frame, whatever its size.
//
//go:noinline
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
