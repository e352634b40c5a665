package wsconn

import (
	"io"
	"sync"
)

// Deliver hands frame to the receiver of Frames, waiting for room. Once
// Close was called frames are dropped, so the reader keeps reading until
// the peer answers our close frame. Reader goroutine only.
//
//go:noinline
func (c *Conn) Deliver(frame []byte) {
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

// EndRead closes Frames, then ReaderDone. The reader calls it last, after
// SetCause.
func (c *Conn) EndRead() {
	close(c.frames)
	close(c.readerDone)
}

// readBufs lends scratch buffers for reading a message of unknown length.
var readBufs = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// maxPooledReadBuf keeps a rare huge message from pinning its buffer.
const maxPooledReadBuf = 64 << 10

// ReadMessage reads r to its end into a pooled scratch buffer and returns a
// right-sized copy the caller owns: one allocation per frame, whatever its
// size. Safe for concurrent use.
//
//go:noinline
func ReadMessage(r io.Reader) ([]byte, error) {
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
