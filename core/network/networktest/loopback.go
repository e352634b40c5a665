package networktest

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/chatwire/chatwire/core/network"
)

// serverCloseWait bounds how long a loopback ServerConn waits for the
// client to answer its close frame.
const serverCloseWait = 5 * time.Second

// NewLoopbackServer starts a Server on a real loopback socket: an httptest
// server upgrading with gorilla/websocket. It stops in t.Cleanup, dropping
// every connection it accepted.
func NewLoopbackServer(t testing.TB, opts ServerOptions) Server {
	s := &loopbackServer{accepted: make(chan *loopbackConn, 64)}
	up := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	s.http = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if opts.RefuseStatus != 0 {
			http.Error(w, http.StatusText(opts.RefuseStatus), opts.RefuseStatus)
			return
		}
		ws, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		c := &loopbackConn{ws: ws, header: r.Header.Clone(), frames: make(chan []byte), ended: make(chan struct{}), stop: make(chan struct{})}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			ws.Close()
			return
		}
		s.conns = append(s.conns, c)
		s.mu.Unlock()
		s.accepted <- c // buffered beyond what a case needs
	}))
	t.Cleanup(s.close)
	return s
}

type loopbackServer struct {
	http     *httptest.Server
	accepted chan *loopbackConn

	mu     sync.Mutex
	closed bool
	conns  []*loopbackConn
}

func (s *loopbackServer) URL() string { return "ws" + strings.TrimPrefix(s.http.URL, "http") + "/ws" }

func (s *loopbackServer) Accept(ctx context.Context) (ServerConn, error) {
	select {
	case c := <-s.accepted:
		return c, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (s *loopbackServer) close() {
	s.mu.Lock()
	s.closed = true
	conns := s.conns
	s.mu.Unlock()
	for _, c := range conns {
		c.Drop()
	}
	s.http.Close()
}

// loopbackConn reads through one pump goroutine, started by the first
// ReadFrame or Close, so that Close can wait for the client's answer while
// a ReadFrame is in progress.
type loopbackConn struct {
	ws     *websocket.Conn
	header http.Header

	pumpOnce sync.Once
	frames   chan []byte   // unbuffered: the pump reads one frame ahead at most
	ended    chan struct{} // closed when the pump stopped
	endErr   error         // why; read after ended is closed
	stopOnce sync.Once
	stop     chan struct{} // closed by Close and Drop: the pump delivers nothing more
}

func (c *loopbackConn) halt() {
	c.stopOnce.Do(func() { close(c.stop) })
	c.ws.Close()
}

func (c *loopbackConn) Header() http.Header { return c.header }

func (c *loopbackConn) startPump() {
	c.pumpOnce.Do(func() { go c.pump() })
}

func (c *loopbackConn) pump() {
	defer close(c.ended)
	for {
		_, data, err := c.ws.ReadMessage()
		if err != nil {
			var ce *websocket.CloseError
			switch {
			case errors.As(err, &ce) && ce.Code != websocket.CloseAbnormalClosure:
				c.endErr = &network.CloseError{Code: ce.Code, Reason: ce.Text}
			default:
				c.endErr = &network.CloseError{Code: network.CloseAbnormal, Err: err}
			}
			// gorilla has answered a close frame; the server closes the
			// TCP connection first, as RFC 6455 asks.
			c.ws.Close()
			return
		}
		select {
		case c.frames <- data:
		case <-c.stop:
		}
	}
}

func (c *loopbackConn) ReadFrame(ctx context.Context) ([]byte, error) {
	c.startPump()
	select {
	case f := <-c.frames:
		return f, nil
	case <-c.ended: // the pump has returned: frames holds nothing more
		return nil, c.endErr
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (c *loopbackConn) WriteFrame(ctx context.Context, data []byte) error {
	if d, ok := ctx.Deadline(); ok {
		c.ws.SetWriteDeadline(d)
	}
	return c.ws.WriteMessage(websocket.TextMessage, data)
}

func (c *loopbackConn) Close(code int, reason string) error {
	err := c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason), time.Now().Add(serverCloseWait))
	c.startPump()
	t := time.NewTimer(serverCloseWait)
	defer t.Stop()
wait:
	for {
		select {
		case <-c.frames: // data the client sent before it saw our close
		case <-c.ended:
			break wait
		case <-t.C:
			break wait
		}
	}
	c.halt()
	return err
}

func (c *loopbackConn) Drop() error {
	c.halt()
	return nil
}
