package wsconn_test

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chatwire/chatwire/core/network/internal/wsconn"
)

var (
	errClosed       = errors.New("test: closed")
	errNotConnected = errors.New("test: not connected")
	errTwice        = errors.New("test: connect called twice")
	errLost         = errors.New("test: connection lost")
)

// closeErr is the test's *network.CloseError.
type closeErr struct {
	code   int
	reason string
	local  bool
	err    error
}

func (e *closeErr) Error() string {
	return fmt.Sprintf("closed: %d %q local=%v: %v", e.code, e.reason, e.local, e.err)
}
func (e *closeErr) Unwrap() error { return e.err }

var testErrors = &wsconn.Errors{
	Closed:       errClosed,
	NotConnected: errNotConnected,
	ConnectTwice: errTwice,
	CloseError: func(code int, reason string, local bool, err error) error {
		return &closeErr{code: code, reason: reason, local: local, err: err}
	},
}

type frame struct {
	code   int
	reason string
}

// fakeSocket is a wsconn.Transport with a scripted peer. Its reader
// goroutine (runReader) delivers what the test puts on inbound and stops
// when the peer answers our close frame, the peer hangs up, or the socket
// is dropped.
type fakeSocket struct {
	answerClose bool          // the peer answers our close frame
	gate        chan struct{} // if set, each Write waits for a value or its close
	entered     chan []byte   // if set, Write reports its frame here first
	pings       chan []byte   // if set, ping payloads go here once written
	failWith    error         // if set, every Write fails with it

	inbound  chan []byte
	answered chan struct{} // closed when the peer answers our close
	hangUp   chan struct{} // closed by the test: the peer drops the socket
	dropped  chan struct{} // closed by the first Drop
	dropOnce sync.Once

	mu        sync.Mutex
	written   [][]byte
	shutdowns []frame
	drops     atomic.Int32
	releases  atomic.Int32
}

func newFakeSocket() *fakeSocket {
	return &fakeSocket{
		inbound:  make(chan []byte),
		answered: make(chan struct{}),
		hangUp:   make(chan struct{}),
		dropped:  make(chan struct{}),
	}
}

func (s *fakeSocket) Write(data []byte, ping bool) error {
	if s.entered != nil {
		s.entered <- data
	}
	if s.gate != nil {
		<-s.gate
	}
	if s.failWith != nil {
		return s.failWith
	}
	if ping {
		if s.pings != nil {
			s.pings <- data
		}
		return nil
	}
	s.mu.Lock()
	s.written = append(s.written, data)
	s.mu.Unlock()
	return nil
}

func (s *fakeSocket) Shutdown(code int, reason string) {
	s.mu.Lock()
	s.shutdowns = append(s.shutdowns, frame{code, reason})
	s.mu.Unlock()
	if s.answerClose {
		close(s.answered)
	}
}

func (s *fakeSocket) Drop() {
	s.drops.Add(1)
	s.dropOnce.Do(func() { close(s.dropped) })
}

func (s *fakeSocket) Release() { s.releases.Add(1) }

func (s *fakeSocket) writtenFrames() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, len(s.written))
	for i, w := range s.written {
		out[i] = string(w)
	}
	return out
}

// runReader is the reader goroutine of a Conn over s.
func (s *fakeSocket) runReader(c *wsconn.Conn) {
	defer c.EndRead()
	for {
		select {
		case f := <-s.inbound:
			c.Deliver(f)
		case <-s.answered:
			c.SetCause(&closeErr{code: 1000})
			return
		case <-s.hangUp:
			c.SetCause(&closeErr{code: 1006, err: errLost})
			return
		case <-s.dropped:
			c.SetCause(&closeErr{code: 1006, err: errLost})
			return
		}
	}
}

// closeTimeout bounds Wait in the tests whose peer answers; it only
// matters when something is broken.
const closeTimeout = 10 * time.Second

// openConn returns an open Conn over s with its reader and writer running;
// t.Cleanup closes it and waits for both.
func openConn(t *testing.T, queue int, s *fakeSocket) *wsconn.Conn {
	t.Helper()
	c := new(wsconn.Conn)
	c.Init(testErrors, queue)
	if err := c.BeginDial(nil); err != nil {
		t.Fatalf("BeginDial: %v", err)
	}
	if err := c.EndDial(s, nil); err != nil {
		t.Fatalf("EndDial: %v", err)
	}
	go s.runReader(c)
	go c.WriteLoop(s)
	t.Cleanup(func() {
		if s.gate != nil {
			close(s.gate)
		}
		c.Close(1000, "")
		c.Wait(time.Millisecond, s) // the peer may not answer: drop it
	})
	return c
}

func waitDone(t *testing.T, c *wsconn.Conn) {
	t.Helper()
	select {
	case <-c.Done():
	case <-time.After(closeTimeout):
		t.Fatal("Done was not closed")
	}
}
