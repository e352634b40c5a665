package network

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"time"
)

// outFrame is one Send waiting for a connection. Its fields other than
// ctx, data and done are guarded by ConnectionManager.mu.
type outFrame struct {
	// ctx is the caller's context for this one send; the flusher writes
	// with it so that cancelling the send also aborts its write.
	ctx      context.Context
	data     []byte
	done     chan error // buffered; receives the one result
	deadline time.Time  // the end of the TTL
	id       uint64     // identifies the current TTL timer
	elem     *list.Element
	stopTTL  func() bool
	finished bool
}

// Send writes a text frame. While the manager is not connected the frame
// waits in the outbox and goes out in order after the next connect. It
// returns nil once the frame was written to a socket; ErrOutboxFull,
// ErrExpired, ErrClosed, the failure cause, or ctx's error otherwise. A
// frame whose ctx ends while it waits in the outbox is removed unsent.
//
// Frames queued before a reconnect are all written before any frame sent
// after it. A frame whose write fails because the connection just dropped
// goes back to the front of the outbox. Frames from one goroutine keep
// their order.
func (m *ConnectionManager) Send(ctx context.Context, data []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	for {
		m.mu.Lock()
		if err := m.sendErrLocked(); err != nil {
			m.mu.Unlock()
			return err
		}
		if m.client == nil || m.outbox.Len() > 0 {
			// Not connected, or frames from before a drop still wait:
			// queue behind them.
			if m.outbox.Len() >= m.opts.OutboxSize {
				m.mu.Unlock()
				return ErrOutboxFull
			}
			f := m.enqueueLocked(ctx, data, m.opts.Clock.Now().Add(m.opts.OutboxTTL), false)
			m.mu.Unlock()
			return m.wait(f)
		}
		c, maxFrame := m.client, m.maxFrame
		m.mu.Unlock()

		if err := tooLarge(data, maxFrame); err != nil {
			return err
		}
		err := c.Send(ctx, data)
		if err == nil || ctx.Err() != nil || !dropped(c, err) {
			return err
		}
		// The connection just dropped under the write.
		m.mu.Lock()
		if m.client == c || m.client == nil {
			// The loop has not reconnected yet: wait at the front of the
			// outbox for the next connection.
			if err := m.sendErrLocked(); err != nil {
				m.mu.Unlock()
				return err
			}
			f := m.enqueueLocked(ctx, data, m.opts.Clock.Now().Add(m.opts.OutboxTTL), true)
			m.mu.Unlock()
			return m.wait(f)
		}
		m.mu.Unlock()
		// Already reconnected: try the new connection.
	}
}

// SendVolatile writes a frame only if connected now (typing, heartbeats):
// it is never queued and fails with ErrNotConnected otherwise, including
// when the connection drops under the write. After Close it fails with
// ErrClosed.
func (m *ConnectionManager) SendVolatile(ctx context.Context, data []byte) error {
	m.mu.Lock()
	c, closing := m.client, m.closing
	m.mu.Unlock()
	if closing {
		return ErrClosed
	}
	if c == nil {
		return ErrNotConnected
	}
	err := c.Send(ctx, data)
	if err != nil && ctx.Err() == nil && dropped(c, err) {
		return ErrNotConnected
	}
	return err
}

// dropped reports whether err from c.Send means the connection has ended.
func dropped(c WebSocketClient, err error) bool {
	if errors.Is(err, ErrClosed) {
		return true
	}
	select {
	case <-c.Done():
		return true
	default:
		return false
	}
}

// sendErrLocked returns why a frame cannot be queued now, or nil.
func (m *ConnectionManager) sendErrLocked() error {
	if m.closing {
		return ErrClosed
	}
	if m.state.State == StateFailed {
		return m.state.Err
	}
	return nil
}

// wait blocks until f has a result or its ctx ends. A frame still in the
// outbox when ctx ends is removed and guaranteed unsent; one being written
// gets the write's result (the write itself honours ctx).
func (m *ConnectionManager) wait(f *outFrame) error {
	select {
	case err := <-f.done:
		return err
	case <-f.ctx.Done():
	}
	m.mu.Lock()
	if f.elem != nil {
		m.finishLocked(f, f.ctx.Err())
	}
	m.mu.Unlock()
	return <-f.done
}

// enqueueLocked queues a new frame at the back (or front) of the outbox
// and arms its TTL timer.
func (m *ConnectionManager) enqueueLocked(ctx context.Context, data []byte, deadline time.Time, front bool) *outFrame {
	f := &outFrame{ctx: ctx, data: data, done: make(chan error, 1), deadline: deadline}
	m.requeueLocked(f, front)
	return f
}

// requeueLocked puts f into the outbox and arms its TTL timer for what is
// left of its deadline; an already expired frame fails at once.
func (m *ConnectionManager) requeueLocked(f *outFrame, front bool) {
	left := f.deadline.Sub(m.opts.Clock.Now())
	if left <= 0 {
		m.deliver(f, ErrExpired)
		return
	}
	if front {
		f.elem = m.outbox.PushFront(f)
	} else {
		f.elem = m.outbox.PushBack(f)
	}
	m.frameSeq++
	id := m.frameSeq
	f.id = id
	f.stopTTL = m.opts.Clock.AfterFunc(left, func() {
		m.mu.Lock()
		defer m.mu.Unlock()
		if f.elem != nil && f.id == id {
			m.finishLocked(f, ErrExpired)
		}
	})
}

// takeLocked removes the oldest frame from the outbox for writing, or
// returns nil when it is empty.
func (m *ConnectionManager) takeLocked() *outFrame {
	e := m.outbox.Front()
	if e == nil {
		return nil
	}
	f := e.Value.(*outFrame)
	m.outbox.Remove(e)
	f.elem = nil
	f.stopTTL()
	return f
}

// finishLocked removes f from the outbox (if queued) and delivers err.
func (m *ConnectionManager) finishLocked(f *outFrame, err error) {
	if f.elem != nil {
		m.outbox.Remove(f.elem)
		f.elem = nil
		f.stopTTL()
	}
	m.deliver(f, err)
}

// deliver hands f its one result.
func (m *ConnectionManager) deliver(f *outFrame, err error) {
	if f.finished {
		return
	}
	f.finished = true
	f.done <- err
}

// failOutboxLocked fails every queued frame with err.
func (m *ConnectionManager) failOutboxLocked(err error) {
	for m.outbox.Len() > 0 {
		m.finishLocked(m.outbox.Front().Value.(*outFrame), err)
	}
}

// flush writes the outbox in order on c and reports StateConnected once it
// is empty, atomically, so that no new Send overtakes a queued frame.
// Frames over maxFrame (if positive) fail instead. It returns the write
// error that ended the connection, or ctx's error.
func (m *ConnectionManager) flush(ctx context.Context, c WebSocketClient, maxFrame int64) error {
	m.mu.Lock()
	m.maxFrame = maxFrame
	m.mu.Unlock()
	for {
		m.mu.Lock()
		f := m.takeLocked()
		if f == nil {
			m.client = c
			sc := m.setStateLocked(StateChange{State: StateConnected})
			m.mu.Unlock()
			m.notify(sc)
			return nil
		}
		if err := tooLarge(f.data, maxFrame); err != nil {
			m.deliver(f, err)
			m.mu.Unlock()
			continue
		}
		m.mu.Unlock()

		err := m.write(ctx, c, f)
		if err == nil {
			continue
		}
		return err
	}
}

// write sends one outbox frame on c. A frame that could not be written for
// a reason other than its own ctx goes back to the front of the outbox, and
// the error is returned.
func (m *ConnectionManager) write(ctx context.Context, c WebSocketClient, f *outFrame) error {
	wctx, cancel := context.WithCancel(f.ctx)
	stop := context.AfterFunc(ctx, cancel)
	err := c.Send(wctx, f.data)
	stop()
	cancel()

	m.mu.Lock()
	defer m.mu.Unlock()
	switch {
	case err == nil:
		m.deliver(f, nil)
		return nil
	case f.ctx.Err() != nil:
		m.deliver(f, f.ctx.Err())
		return nil
	}
	m.requeueLocked(f, true)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

// tooLarge fails a frame over the connection's limit (0: none).
func tooLarge(data []byte, maxFrame int64) error {
	if maxFrame > 0 && int64(len(data)) > maxFrame {
		return fmt.Errorf("%w: %d bytes, the server accepts %d", ErrFrameTooLarge, len(data), maxFrame)
	}
	return nil
}
