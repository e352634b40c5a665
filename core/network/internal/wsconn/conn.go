package wsconn

import (
	"context"
	"sync"
	"time"
)

// Errors are the error values a Conn reports. A client package fills one
// in once (as a package-level value) and never changes it.
type Errors struct {
	// Closed is returned once the connection has ended (network.ErrClosed).
	Closed error
	// NotConnected is returned by Send and Ping before Connect succeeded.
	NotConnected error
	// ConnectTwice is returned by a second BeginDial.
	ConnectTwice error
	// CloseError builds the cause of the end of a connection: code and
	// reason of the close frame, local when this side closed, err the
	// underlying failure, if any (a *network.CloseError).
	CloseError func(code int, reason string, local bool, err error) error
}

// state is where a Conn is in its life.
type state int32

const (
	stateNew     state = iota // BeginDial not called yet
	stateDialing              // the client is dialling
	stateOpen                 // the reader and writer run (or ran)
	stateEnded                // the dial failed, or Close came before the socket opened
)

// Conn is the life of one connection, its write queue and its inbound
// frames. Keep it by value in the client's struct and call Init in the
// constructor; it must not be copied after that.
//
// Concurrency: BeginDial and EndDial are called once each, by Connect.
// WriteLoop runs on the writer goroutine; Deliver, SetCause and EndRead on
// the reader goroutine, EndRead last. Everything else is safe for
// concurrent use.
type Conn struct {
	errs       *Errors
	frames     chan []byte   // closed by EndRead (or by the end of an unstarted Conn)
	queue      chan *request // Send and Ping requests for the writer
	closing    chan struct{} // closed by the first Close
	readerDone chan struct{} // closed when the reader has stopped
	done       chan struct{} // closed when the connection ended and both goroutines stopped
	closeOnce  sync.Once     // guards closing

	mu          sync.Mutex
	state       state
	closeCode   int32
	cancelDial  context.CancelFunc
	err         error // the first cause, reported by Err once done is closed
	closeReason string
}

// Init prepares c for a connection whose write queue holds writeQueue
// requests. errs must stay valid and unchanged for c's life.
func (c *Conn) Init(errs *Errors, writeQueue int) {
	c.errs = errs
	c.frames = make(chan []byte, FrameBuffer)
	c.queue = make(chan *request, writeQueue)
	c.closing = make(chan struct{})
	c.readerDone = make(chan struct{})
	c.done = make(chan struct{})
}

// BeginDial marks the start of Connect. cancel, if not nil, is called when
// Close comes during the dial. It returns errs.Closed after Close and
// errs.ConnectTwice on a second call.
func (c *Conn) BeginDial(cancel context.CancelFunc) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch c.state {
	case stateNew:
	case stateEnded:
		return c.errs.Closed
	default:
		return c.errs.ConnectTwice
	}
	c.state = stateDialing
	c.cancelDial = cancel
	return nil
}

// EndDial records the dial's outcome. On nil the connection is open and
// the caller starts the reader and WriteLoop. If Close came during the
// dial it drops t (when the dial succeeded) and returns errs.Closed. A
// failed dial ends c with err as its cause and returns err. The caller
// sets whatever t reads before calling EndDial.
func (c *Conn) EndDial(t Transport, err error) error {
	c.mu.Lock()
	c.cancelDial = nil
	if c.state == stateEnded { // Close came first and ended c
		c.mu.Unlock()
		if err == nil {
			t.Drop()
		}
		return c.errs.Closed
	}
	if err != nil {
		c.state = stateEnded
		c.err = err
		c.mu.Unlock()
		c.endUnstarted()
		return err
	}
	c.state = stateOpen
	c.mu.Unlock()
	return nil
}

// Frames returns the inbound frames; the channel is closed before Done.
func (c *Conn) Frames() <-chan []byte { return c.frames }

// Done is closed when the connection has ended and both goroutines have
// stopped.
func (c *Conn) Done() <-chan struct{} { return c.done }

// ReaderDone is closed when the reader has stopped.
func (c *Conn) ReaderDone() <-chan struct{} { return c.readerDone }

// Err returns nil until Done is closed, then the first cause recorded.
func (c *Conn) Err() error {
	select {
	case <-c.done:
	default:
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// Close starts closing with code and reason, which the caller has already
// normalised. Before the connection opened it ends c at once (cancelling a
// dial in progress). Once open, the first call records code and reason for
// the writer's close frame and as the cause (unless the connection already
// ended), and wakes the writer; it reports true. Close never waits: call
// Wait after it.
func (c *Conn) Close(code int, reason string) (first bool) {
	c.mu.Lock()
	switch c.state {
	case stateNew, stateDialing:
		c.state = stateEnded
		c.err = c.errs.CloseError(code, reason, true, nil)
		if c.cancelDial != nil {
			c.cancelDial()
		}
		c.mu.Unlock()
		c.endUnstarted()
		return false
	case stateEnded:
		c.mu.Unlock()
		return false
	}
	c.closeOnce.Do(func() {
		first = true
		c.closeCode, c.closeReason = int32(code), reason
		if c.err == nil {
			c.err = c.errs.CloseError(code, reason, true, nil)
		}
		close(c.closing)
	})
	c.mu.Unlock()
	return first
}

// Wait waits for Done. The writer sends the close frame after any write in
// progress and the reader stops when the peer answers; if that takes
// longer than timeout, Wait drops t under them and waits on.
func (c *Conn) Wait(timeout time.Duration, t Transport) {
	c.mu.Lock()
	open := c.state == stateOpen
	c.mu.Unlock()
	if !open {
		<-c.done
		return
	}
	tm := time.NewTimer(timeout)
	defer tm.Stop()
	select {
	case <-c.done:
	case <-tm.C:
		t.Drop()
		<-c.done
	}
}

// endUnstarted ends a Conn whose goroutines never ran.
func (c *Conn) endUnstarted() {
	c.closeOnce.Do(func() { close(c.closing) })
	close(c.frames)
	close(c.readerDone)
	close(c.done)
}

// SetCause records why the connection ended, unless a cause is known.
func (c *Conn) SetCause(err error) {
	c.mu.Lock()
	if c.err == nil {
		c.err = err
	}
	c.mu.Unlock()
}

// closeFrame returns the code and reason the first Close recorded.
func (c *Conn) closeFrame() (int, string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return int(c.closeCode), c.closeReason
}
