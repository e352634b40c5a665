package memory

import (
	"errors"
	"sync"
	"time"
)

var (
	// errReset is what a read or write sees once the link is torn down:
	// the in-memory "TCP connection" is gone.
	errReset        = errors.New("memory: connection reset")
	errCloseSent    = errors.New("memory: close frame already sent")
	errWriteTimeout = errors.New("memory: write timeout")
	errStopped      = errors.New("memory: stopped")
)

type opcode uint8

const (
	opText opcode = iota + 1
	opPing
	opPong
	opClose
)

// packet is one WebSocket frame on a link.
type packet struct {
	op     opcode
	data   []byte // opText: owned by the receiver; opPing/opPong: payload
	code   int    // opClose
	reason string // opClose
}

// bufferSize is how many bytes of frames one direction of a link holds
// before a writer waits for the reader, like a socket buffer. A larger
// frame is accepted only into an empty buffer.
const bufferSize = 64 << 10

// pipe is one direction of a link: a byte-bounded queue of frames.
type pipe struct {
	mu      sync.Mutex
	q       []packet
	size    int
	changed chan struct{} // closed and replaced on every put and get
}

func newPipe() *pipe { return &pipe{changed: make(chan struct{})} }

// notify wakes every waiter. The caller holds p.mu.
func (p *pipe) notify() {
	close(p.changed)
	p.changed = make(chan struct{})
}

func (p *pipe) put(pk packet, down, stop <-chan struct{}, expired <-chan time.Time) error {
	for {
		p.mu.Lock()
		if p.size == 0 || p.size+len(pk.data) <= bufferSize {
			p.q = append(p.q, pk)
			p.size += len(pk.data)
			p.notify()
			p.mu.Unlock()
			return nil
		}
		changed := p.changed
		p.mu.Unlock()
		select {
		case <-changed:
		case <-down:
			return errReset
		case <-stop:
			return errStopped
		case <-expired:
			return errWriteTimeout
		}
	}
}

// get returns the next frame. Frames already buffered are read before the
// end of the link is, as with a socket closed after its last write.
func (p *pipe) get(down, stop <-chan struct{}, expired <-chan time.Time) (packet, error) {
	for {
		p.mu.Lock()
		if len(p.q) > 0 {
			pk := p.q[0]
			p.q[0] = packet{}
			p.q = p.q[1:]
			p.size -= len(pk.data)
			p.notify()
			p.mu.Unlock()
			return pk, nil
		}
		changed := p.changed
		p.mu.Unlock()
		select {
		case <-changed:
		case <-down:
			p.mu.Lock()
			empty := len(p.q) == 0
			p.mu.Unlock()
			if empty {
				return packet{}, errReset
			}
		case <-stop:
			return packet{}, errStopped
		case <-expired:
			return packet{}, errWriteTimeout
		}
	}
}

// link is an in-memory connection: a pipe each way and a down signal.
type link struct {
	c2s, s2c *pipe
	down     chan struct{} // closed when the connection is torn down
	downOnce sync.Once
	onDown   func()
}

func newLink(onDown func()) *link {
	return &link{
		c2s:    newPipe(),
		s2c:    newPipe(),
		down:   make(chan struct{}),
		onDown: onDown,
	}
}

// teardown closes the connection at once, like closing a socket.
func (l *link) teardown() {
	l.downOnce.Do(func() {
		close(l.down)
		if l.onDown != nil {
			l.onDown()
		}
	})
}

// endpoint is one side of a link. send is safe for concurrent use; recv
// may be called concurrently too (a ServerConn's ReadFrame and Close share
// what they read).
type endpoint struct {
	link *link
	in   *pipe
	out  *pipe

	mu        sync.Mutex
	closeSent bool
}

func (l *link) clientEnd() *endpoint { return &endpoint{link: l, in: l.s2c, out: l.c2s} }
func (l *link) serverEnd() *endpoint { return &endpoint{link: l, in: l.c2s, out: l.s2c} }

// send queues p for the peer, waiting while the buffer is full. It fails
// once a close frame was sent on this side, when the link is down, when
// stop is closed, or after timeout (zero means none).
func (e *endpoint) send(p packet, stop <-chan struct{}, timeout time.Duration) error {
	e.mu.Lock()
	if e.closeSent {
		e.mu.Unlock()
		return errCloseSent
	}
	if p.op == opClose {
		e.closeSent = true
	}
	e.mu.Unlock()
	var expired <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		expired = t.C
	}
	return e.out.put(p, e.link.down, stop, expired)
}

// recv returns the next packet from the peer, errReset once the link is
// down and drained, or errStopped when stop is closed.
func (e *endpoint) recv(stop <-chan struct{}) (packet, error) {
	return e.in.get(e.link.down, stop, nil)
}

// awaitClose reads and discards until the peer's close frame, the end of
// the link or timeout, and returns the close frame if it came.
func (e *endpoint) awaitClose(timeout time.Duration) (packet, bool) {
	t := time.NewTimer(timeout)
	defer t.Stop()
	for {
		p, err := e.in.get(e.link.down, nil, t.C)
		if err != nil {
			return packet{}, false
		}
		if p.op == opClose {
			return p, true
		}
	}
}

func clone(b []byte) []byte {
	c := make([]byte, len(b))
	copy(c, b)
	return c
}
