package network

import (
	"context"
	"encoding/binary"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// A writeReq moves from pending to either writing (the writer took it) or
// cancelled (its sender gave up, or the connection ended) exactly once, by
// compare-and-swap: a cancelled request is never written.
const (
	reqPending int32 = iota
	reqWriting
	reqCancelled
)

// writeReq is one frame (or ping) waiting for the writer goroutine.
type writeReq struct {
	data  []byte
	ping  bool
	state atomic.Int32
	done  chan error // buffered: the writer never waits on it
}

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
	return c.submit(ctx, &writeReq{data: data, done: make(chan error, 1)})
}

// Ping writes a ping control frame and waits for the matching pong, ctx or
// the end of the connection (ErrClosed). The pong is read by the reader
// goroutine, so a receiver that stops draining Frames also stalls Ping.
func (c *GorillaClient) Ping(ctx context.Context) error {
	id, pong := c.pongs.add()
	defer c.pongs.remove(id)
	payload := make([]byte, 8)
	binary.BigEndian.PutUint64(payload, id)
	if err := c.submit(ctx, &writeReq{data: payload, ping: true, done: make(chan error, 1)}); err != nil {
		return err
	}
	select {
	case <-pong:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-c.readerDone:
		return ErrClosed
	}
}

// submit queues req for the writer and waits for the outcome.
func (c *GorillaClient) submit(ctx context.Context, req *writeReq) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	state := c.state
	c.mu.Unlock()
	if state == stateNew || state == stateDialing {
		return ErrNotConnected
	}
	select {
	case <-c.closing:
		return ErrClosed
	case <-c.done:
		return ErrClosed
	default:
	}
	select {
	case c.queue <- req:
	case <-ctx.Done():
		return ctx.Err()
	case <-c.closing:
		return ErrClosed
	case <-c.done:
		return ErrClosed
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
			return ErrClosed
		}
	}
	// The writer took the request before ctx ended or before it stopped:
	// it always answers.
	return <-req.done
}

// writeLoop is the writer goroutine: it writes queued frames and pings in
// order, then the close frame, and closes done last.
func (c *GorillaClient) writeLoop(conn *websocket.Conn) {
	defer close(c.done)
	defer c.failQueued()
	for {
		select {
		case req := <-c.queue:
			if !req.state.CompareAndSwap(reqPending, reqWriting) {
				continue // cancelled while queued: never written
			}
			err := c.write(conn, req)
			if err != nil {
				err = fmt.Errorf("%w: write: %w", ErrClosed, err)
			}
			req.done <- err
			if err != nil {
				c.setCause(&CloseError{Code: CloseAbnormal, Err: err})
				rawSocket(conn).Close()
				<-c.readerDone
				return
			}
		case <-c.closing:
			c.closeHandshake(conn)
			return
		case <-c.readerDone:
			conn.NetConn().Close()
			return
		}
	}
}

func (c *GorillaClient) write(conn *websocket.Conn, req *writeReq) error {
	deadline := time.Now().Add(c.opts.WriteTimeout)
	if req.ping {
		return conn.WriteControl(websocket.PingMessage, req.data, deadline)
	}
	if err := conn.SetWriteDeadline(deadline); err != nil {
		return err
	}
	return conn.WriteMessage(websocket.TextMessage, req.data)
}

// closeHandshake sends our close frame, waits for the reader to stop (the
// peer answers with its close frame or drops the socket; Close closes the
// socket after CloseTimeout) and closes the socket.
func (c *GorillaClient) closeHandshake(conn *websocket.Conn) {
	c.mu.Lock()
	code, reason := c.closeCode, c.closeReason
	c.mu.Unlock()
	msg := websocket.FormatCloseMessage(code, reason)
	err := conn.WriteControl(websocket.CloseMessage, msg, time.Now().Add(c.opts.CloseTimeout))
	if err != nil && err != websocket.ErrCloseSent {
		conn.NetConn().Close() // the socket is gone: nobody will answer
	}
	<-c.readerDone
	conn.NetConn().Close()
}

// failQueued fails every request still queued when the writer stops.
func (c *GorillaClient) failQueued() {
	for {
		select {
		case req := <-c.queue:
			if req.state.CompareAndSwap(reqPending, reqCancelled) {
				req.done <- ErrClosed
			}
		default:
			return
		}
	}
}

// pongWaiters matches pongs to pings by their 8-byte payload.
type pongWaiters struct {
	mu      sync.Mutex
	next    uint64
	waiters map[uint64]chan struct{}
}

func (p *pongWaiters) add() (uint64, <-chan struct{}) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.waiters == nil {
		p.waiters = make(map[uint64]chan struct{})
	}
	p.next++
	ch := make(chan struct{})
	p.waiters[p.next] = ch
	return p.next, ch
}

func (p *pongWaiters) remove(id uint64) {
	p.mu.Lock()
	delete(p.waiters, id)
	p.mu.Unlock()
}

// resolve is the pong handler; it runs on the reader goroutine.
func (p *pongWaiters) resolve(payload string) error {
	if len(payload) != 8 {
		return nil
	}
	id := binary.BigEndian.Uint64([]byte(payload))
	p.mu.Lock()
	if ch, ok := p.waiters[id]; ok {
		close(ch)
		delete(p.waiters, id)
	}
	p.mu.Unlock()
	return nil
}
