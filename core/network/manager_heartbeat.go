package network

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/chatwire/chatwire/core/clock"
)

// ErrHeartbeatTimeout is the cause of a reconnect when the peer stayed
// silent through a heartbeat and the pong timeout after it: the connection
// was alive at the TCP level but dead in practice, and the manager closed it.
var ErrHeartbeatTimeout = errors.New("network: heartbeat timeout: no frame or pong from the peer")

// heartbeat tracks liveness of one connection. It runs one clock timer at a
// time whose callback only signals tick; the loop goroutine then calls due
// and reads every other field, so only tick is shared.
//
// After interval of inbound silence it asks for a heartbeat; if nothing
// arrives within pongTimeout of that, the connection is dead. A silent peer
// is therefore detected interval+pongTimeout after its last frame.
type heartbeat struct {
	clk         clock.Clock
	interval    time.Duration
	pongTimeout time.Duration

	tick     chan struct{} // capacity 1: timer fired, call due
	stop     func() bool   // stops the armed timer
	lastIn   time.Time     // last inbound frame or pong
	awaiting bool          // a heartbeat was sent and nothing has come since
	sentAt   time.Time
}

func newHeartbeat(clk clock.Clock, interval, pongTimeout time.Duration) *heartbeat {
	h := &heartbeat{
		clk:         clk,
		interval:    interval,
		pongTimeout: pongTimeout,
		tick:        make(chan struct{}, 1),
		lastIn:      clk.Now(),
	}
	h.arm(interval)
	return h
}

// arm replaces the timer with one that fires after d.
func (h *heartbeat) arm(d time.Duration) {
	if h.stop != nil {
		h.stop()
	}
	tick := h.tick
	h.stop = h.clk.AfterFunc(max(d, 0), func() {
		select {
		case tick <- struct{}{}:
		default:
		}
	})
}

// alive records an inbound frame or pong.
func (h *heartbeat) alive() {
	h.lastIn = h.clk.Now()
	if h.awaiting {
		h.awaiting = false
		h.arm(h.interval)
	}
}

// due is called when tick fires. It reports whether a heartbeat must be
// sent now, or whether the connection is dead, and re-arms the timer.
func (h *heartbeat) due() (send, dead bool) {
	now := h.clk.Now()
	if h.awaiting {
		if left := h.sentAt.Add(h.pongTimeout).Sub(now); left > 0 {
			h.arm(left) // a stale tick
			return false, false
		}
		return false, true
	}
	if left := h.lastIn.Add(h.interval).Sub(now); left > 0 {
		h.arm(left)
		return false, false
	}
	h.awaiting = true
	h.sentAt = now
	h.arm(h.pongTimeout)
	return true, false
}

// close stops the timer.
func (h *heartbeat) close() {
	if h.stop != nil {
		h.stop()
	}
}

// maxHeartbeatsInFlight bounds the heartbeat goroutines of one connection.
// A heartbeat still in flight when the next falls due (a ping whose pong is
// late while other frames keep the connection alive) does not stop the next
// one from going out; the pong timeout closes a stalled connection long
// before this bound matters.
const maxHeartbeatsInFlight = 4

// pinger sends heartbeats on short-lived goroutines, so that the loop keeps
// reading while a ping waits for its pong or a write is slow. Owned by the
// loop goroutine except for the goroutines it starts, which only send on
// result.
type pinger struct {
	c        WebSocketClient
	frame    []byte // nil: a WebSocket ping
	result   chan error
	inflight int
	wg       sync.WaitGroup
}

// errHeartbeatWritten is the result of a heartbeat frame written without
// error; unlike a pong it says nothing about the peer being alive.
var errHeartbeatWritten = errors.New("network: heartbeat frame written")

// send starts one heartbeat. ctx must end when the connection does: the
// goroutine gives up delivering its result then.
func (p *pinger) send(ctx context.Context) {
	if p.inflight >= maxHeartbeatsInFlight {
		return
	}
	p.inflight++
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		var err error
		if p.frame != nil {
			if err = p.c.Send(ctx, p.frame); err == nil {
				err = errHeartbeatWritten
			}
		} else {
			err = p.c.Ping(ctx)
		}
		select {
		case p.result <- err:
		case <-ctx.Done():
		}
	}()
}

// done records a result read from p.result and reports whether it proves
// the peer alive (a pong).
func (p *pinger) done(err error) bool {
	p.inflight--
	return err == nil
}
