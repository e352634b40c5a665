package chattest

import (
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/gorilla/websocket"
)

// conn is one WebSocket connection: the HTTP handler's goroutine reads, a
// writer goroutine drains a bounded queue. Frames are queued under Server.mu
// (so in seq order) and never block the caller.
type conn struct {
	srv       *Server
	ws        *websocket.Conn
	userID    string
	sessionID string

	mu          sync.Mutex
	queue       []outFrame
	live        int // unwritten frames (queued or taken) that count against SendQueueSize
	closeReq    bool
	closeCode   int
	closeReason string

	wake       chan struct{} // cap 1: the queue or closeReq changed
	kill       chan struct{} // closed by abort
	killOnce   sync.Once
	readerDone chan struct{}
	finished   chan struct{} // closed when the connection is fully cleaned up
	closeSent  atomic.Bool
}

type outFrame struct {
	b      []byte
	replay bool // part of a sync replay: not limited by SendQueueSize
}

func newConn(s *Server, ws *websocket.Conn, userID string) *conn {
	return &conn{
		srv:        s,
		ws:         ws,
		userID:     userID,
		sessionID:  uuid.NewString(),
		wake:       make(chan struct{}, 1),
		kill:       make(chan struct{}),
		readerDone: make(chan struct{}),
		finished:   make(chan struct{}),
	}
}

// enqueue queues b for writing and reports whether it was queued. A live
// frame that finds SendQueueSize frames waiting closes the connection with
// 4008 instead; replay frames are bounded by HistorySize alone.
func (c *conn) enqueue(b []byte, replay bool) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closeReq || c.killed() {
		return false
	}
	if !replay && c.live >= c.srv.opts.SendQueueSize {
		c.closeReq, c.closeCode, c.closeReason = true, ClosePolicy, "send queue overflow"
		c.srv.log.Info("chattest: send queue overflow", "user_id", c.userID, "session_id", c.sessionID)
		c.signal()
		return false
	}
	c.queue = append(c.queue, outFrame{b: b, replay: replay})
	if !replay {
		c.live++
	}
	c.signal()
	return true
}

// requestClose asks the writer to send a close frame with code after the
// frames already queued, then end the connection. Later frames are refused.
func (c *conn) requestClose(code int, reason string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closeReq {
		return
	}
	c.closeReq, c.closeCode, c.closeReason = true, code, reason
	c.signal()
}

func (c *conn) closing() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closeReq
}

func (c *conn) signal() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

func (c *conn) killed() bool {
	select {
	case <-c.kill:
		return true
	default:
		return false
	}
}

// abort drops the TCP connection without a close frame. Idempotent.
func (c *conn) abort() {
	c.killOnce.Do(func() {
		close(c.kill)
		_ = c.ws.Close()
	})
}

// take removes every queued frame and reports whether a close was asked
// for. Taken frames still count against SendQueueSize until written.
func (c *conn) take() ([]outFrame, bool, int, string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	q := c.queue
	c.queue = nil
	return q, c.closeReq, c.closeCode, c.closeReason
}

// written accounts for a frame that has left the queue.
func (c *conn) written(f outFrame) {
	if f.replay {
		return
	}
	c.mu.Lock()
	c.live--
	c.mu.Unlock()
}

// writeLoop is the connection's only writer of data frames.
func (c *conn) writeLoop() {
	defer c.abort()
	for {
		select {
		case <-c.wake:
		case <-c.kill:
			return
		}
		for {
			frames, closeReq, code, reason := c.take()
			for _, f := range frames {
				if !c.srv.waitGate(c.kill) {
					return
				}
				_ = c.ws.SetWriteDeadline(time.Now().Add(c.srv.opts.WriteTimeout))
				if err := c.ws.WriteMessage(websocket.TextMessage, f.b); err != nil {
					c.srv.log.Debug("chattest: write failed", "user_id", c.userID, "session_id", c.sessionID, "err", err)
					return
				}
				c.written(f)
			}
			if closeReq {
				c.sendClose(code, reason)
				return
			}
			if len(frames) == 0 {
				break
			}
		}
	}
}

// sendClose writes a close frame and waits (CloseTimeout at most) for the
// peer's answer, which ends the reader.
func (c *conn) sendClose(code int, reason string) {
	if !c.srv.waitGate(c.kill) {
		return
	}
	c.closeSent.Store(true)
	msg := websocket.FormatCloseMessage(code, reason)
	if err := c.ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(c.srv.opts.WriteTimeout)); err != nil {
		return
	}
	t := time.NewTimer(c.srv.opts.CloseTimeout)
	defer t.Stop()
	select {
	case <-c.readerDone:
	case <-c.kill:
	case <-t.C:
	}
}

// readLoop reads frames until the connection ends. It runs on the HTTP
// handler's goroutine.
func (c *conn) readLoop() {
	defer close(c.readerDone)
	limit := c.srv.opts.MaxFrameBytes
	c.ws.SetPingHandler(func(data string) error {
		if c.srv.waitGate(c.kill) {
			_ = c.ws.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(c.srv.opts.WriteTimeout))
		}
		return nil
	})
	c.ws.SetCloseHandler(func(code int, _ string) error {
		if c.closeSent.Load() || !c.srv.waitGate(c.kill) {
			return nil
		}
		msg := []byte{}
		if code != websocket.CloseNoStatusReceived {
			msg = websocket.FormatCloseMessage(code, "")
		}
		_ = c.ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(c.srv.opts.WriteTimeout))
		return nil
	})
	for {
		mt, r, err := c.ws.NextReader()
		if err != nil {
			c.srv.log.Debug("chattest: read ended", "user_id", c.userID, "session_id", c.sessionID, "err", err)
			return
		}
		data, err := io.ReadAll(io.LimitReader(r, int64(limit)+1))
		if err != nil {
			return
		}
		if !c.srv.waitGate(c.kill) {
			return
		}
		if c.closing() {
			continue // draining until the peer answers our close frame
		}
		if len(data) > limit {
			c.srv.log.Info("chattest: frame too large", "user_id", c.userID, "session_id", c.sessionID)
			c.requestClose(CloseFrameTooLarge, "frame too large")
			continue
		}
		if mt != websocket.TextMessage {
			c.sendError(CodeBadFrame, "frames must be text", "")
			continue
		}
		c.srv.dispatch(c, data)
	}
}

// sendError queues an error frame on this connection only.
func (c *conn) sendError(code, msg, ref string) {
	c.enqueue(frame(TypeError, 0, mustJSON(errorPayload{Code: code, Message: msg, Ref: ref})), false)
}

// serveConn runs an upgraded connection until it ends.
func (s *Server) serveConn(ws *websocket.Conn, userID string, run *listenerRun) {
	c := newConn(s, ws, userID)
	defer close(c.finished)
	if !s.register(c, run) {
		c.abort()
		return
	}
	s.log.Info("chattest: connected", "user_id", userID, "session_id", c.sessionID)
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		c.writeLoop()
	}()
	c.readLoop()
	c.abort()
	<-writerDone
	s.unregister(c)
	s.log.Info("chattest: disconnected", "user_id", userID, "session_id", c.sessionID)
}
