package wsconn

import (
	"context"
	"fmt"
	"sync/atomic"
)

// Transport writes on one socket for WriteLoop. Write, Shutdown and
// Release are called from the writer goroutine only; Drop may be called
// from any goroutine, more than once.
type Transport interface {
	// Write writes one text frame, or a ping control frame with data as
	// its payload when ping is set, within the client's write timeout.
	Write(data []byte, ping bool) error
	// Shutdown sends our close frame with code and reason; the reader then
	// sees the peer's answer and stops. If the frame cannot be sent,
	// Shutdown drops the socket so that the reader stops.
	Shutdown(code int, reason string)
	// Drop closes the socket at once, ending a stuck read or write.
	Drop()
	// Release frees the socket once the reader has stopped.
	Release()
}

// A request moves from pending to either writing (the writer took it) or
// cancelled (its sender gave up, or the connection ended) exactly once, by
// compare-and-swap: a cancelled request is never written.
const (
	reqPending int32 = iota
	reqWriting
	reqCancelled
)

// request is one frame (or ping) waiting for the writer goroutine.
type request struct {
	data  []byte
	ping  bool
	state atomic.Int32
	done  chan error // buffered: the writer never waits on it
}

// Send queues one text frame for the writer and returns once it was
// written: nil, the write's error (which matches errs.Closed; it ended the
// connection), errs.NotConnected before the connection opened, errs.Closed
// once it is closing or ended, or ctx's error if ctx ended before the
// writer took the frame, which is then never written. Safe for concurrent
// use; frames from one goroutine keep their order.
func (c *Conn) Send(ctx context.Context, data []byte) error {
	return c.submit(ctx, &request{data: data, done: make(chan error, 1)})
}

// Usable returns the error Send would return at once: ctx's, errs.Closed
// or errs.NotConnected; nil while the connection is open and not closing.
func (c *Conn) Usable(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	st := c.state
	c.mu.Unlock()
	switch st {
	case stateNew, stateDialing:
		return c.errs.NotConnected
	case stateEnded:
		return c.errs.Closed
	}
	select {
	case <-c.closing:
		return c.errs.Closed
	case <-c.done:
		return c.errs.Closed
	default:
		return nil
	}
}

// submit queues req for the writer and waits for the outcome.
func (c *Conn) submit(ctx context.Context, req *request) error {
	if err := c.Usable(ctx); err != nil {
		return err
	}
	select {
	case c.queue <- req:
	case <-ctx.Done():
		return ctx.Err()
	case <-c.closing:
		return c.errs.Closed
	case <-c.done:
		return c.errs.Closed
	}
	select {
	case err := <-req.done:
		return err
	case <-ctx.Done():
		// A ping in flight does not need its outcome.
		if req.state.CompareAndSwap(reqPending, reqCancelled) || req.ping {
			return ctx.Err()
		}
	case <-c.done:
		if req.state.CompareAndSwap(reqPending, reqCancelled) {
			return c.errs.Closed
		}
	}
	// The writer took the request before ctx ended or before it stopped:
	// it always answers.
	return <-req.done
}

// WriteLoop is the writer goroutine: it writes queued frames and pings in
// order through t until Close (then it runs t.Shutdown), a failed write
// (then it drops t) or the end of the reader; it waits for the reader,
// releases t, fails what is still queued and closes Done last.
func (c *Conn) WriteLoop(t Transport) {
	defer close(c.done)
	defer c.failQueued()
	for {
		select {
		case req := <-c.queue:
			if !req.state.CompareAndSwap(reqPending, reqWriting) {
				continue // cancelled while queued: never written
			}
			err := t.Write(req.data, req.ping)
			if err != nil {
				err = fmt.Errorf("%w: write: %w", c.errs.Closed, err)
			}
			req.done <- err
			if err != nil {
				c.SetCause(c.errs.CloseError(closeAbnormal, "", false, err))
				t.Drop()
				<-c.readerDone
				t.Release()
				return
			}
		case <-c.closing:
			t.Shutdown(c.closeFrame())
			<-c.readerDone
			t.Release()
			return
		case <-c.readerDone:
			t.Release()
			return
		}
	}
}

// failQueued fails every request still queued when the writer stops.
func (c *Conn) failQueued() {
	for {
		select {
		case req := <-c.queue:
			if req.state.CompareAndSwap(reqPending, reqCancelled) {
				req.done <- c.errs.Closed
			}
		default:
			return
		}
	}
}
