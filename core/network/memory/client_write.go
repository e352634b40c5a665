package memory

import (
	"context"
	"encoding/binary"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/chatwire/chatwire/core/network"
)

// A writeReq moves from pending to writing or cancelled exactly once; a
// cancelled request is never written.
const (
	reqPending int32 = iota
	reqWriting
	reqCancelled
)

type writeReq struct {
	data  []byte
	ping  bool
	state atomic.Int32
	done  chan error // buffered
}

// Send writes one text frame and returns once it is buffered for the server.
// It returns ctx's error if ctx ends before the writer took the frame (it
// is then never written); once taken, Send reports that write's outcome.
// After the connection ended it returns network.ErrClosed. Safe for
// concurrent use; frames from one goroutine keep their order.
func (c *Client) Send(ctx context.Context, data []byte) error {
	return c.submit(ctx, &writeReq{data: data, done: make(chan error, 1)})
}

// Ping sends a ping frame and waits for the pong, ctx or the end of the
// connection (network.ErrClosed). The server answers only while it reads.
func (c *Client) Ping(ctx context.Context) error {
	id, pong := c.pongs.add()
	defer c.pongs.remove(id)
	payload := binary.BigEndian.AppendUint64(nil, id)
	if err := c.submit(ctx, &writeReq{data: payload, ping: true, done: make(chan error, 1)}); err != nil {
		return err
	}
	select {
	case <-pong:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-c.readerDone:
		return network.ErrClosed
	}
}

func (c *Client) submit(ctx context.Context, req *writeReq) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	state := c.state
	c.mu.Unlock()
	if state == stateNew || state == stateDialing {
		return network.ErrNotConnected
	}
	select {
	case <-c.closing:
		return network.ErrClosed
	case <-c.done:
		return network.ErrClosed
	default:
	}
	select {
	case c.queue <- req:
	case <-ctx.Done():
		return ctx.Err()
	case <-c.closing:
		return network.ErrClosed
	case <-c.done:
		return network.ErrClosed
	}
	select {
	case err := <-req.done:
		return err
	case <-ctx.Done():
		if req.state.CompareAndSwap(reqPending, reqCancelled) || req.ping {
			return ctx.Err()
		}
	case <-c.done:
		if req.state.CompareAndSwap(reqPending, reqCancelled) {
			return network.ErrClosed
		}
	}
	return <-req.done
}

// writeLoop is the writer goroutine.
func (c *Client) writeLoop(ep *endpoint) {
	defer close(c.done)
	defer c.failQueued()
	for {
		select {
		case req := <-c.queue:
			if !req.state.CompareAndSwap(reqPending, reqWriting) {
				continue
			}
			p := packet{op: opText, data: clone(req.data)}
			if req.ping {
				p = packet{op: opPing, data: req.data}
			}
			err := ep.send(p, nil, c.opts.WriteTimeout)
			if err != nil {
				err = fmt.Errorf("%w: write: %w", network.ErrClosed, err)
			}
			req.done <- err
			if err != nil {
				c.setCause(&network.CloseError{Code: network.CloseAbnormal, Err: err})
				ep.link.teardown()
				<-c.readerDone
				return
			}
		case <-c.closing:
			c.mu.Lock()
			code, reason := c.closeCode, c.closeReason
			c.mu.Unlock()
			err := ep.send(packet{op: opClose, code: code, reason: reason}, nil, c.opts.CloseTimeout)
			if err != nil && err != errCloseSent {
				ep.link.teardown()
			}
			<-c.readerDone
			ep.link.teardown()
			return
		case <-c.readerDone:
			ep.link.teardown()
			return
		}
	}
}

func (c *Client) failQueued() {
	for {
		select {
		case req := <-c.queue:
			if req.state.CompareAndSwap(reqPending, reqCancelled) {
				req.done <- network.ErrClosed
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

func (p *pongWaiters) resolve(payload []byte) {
	if len(payload) != 8 {
		return
	}
	id := binary.BigEndian.Uint64(payload)
	p.mu.Lock()
	if ch, ok := p.waiters[id]; ok {
		close(ch)
		delete(p.waiters, id)
	}
	p.mu.Unlock()
}
