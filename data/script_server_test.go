package data_test

// A scripted server for the chat envelope protocol: the test plays the
// server, frame by frame, from the protocol alone. It can be late, reorder,
// repeat ids, hide its limits, close with any code or stay silent, which a
// well-behaved reference server never does.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/chatwire/chatwire/data"
)

type scriptServer struct {
	hs       *httptest.Server
	upgrader websocket.Upgrader
	conns    chan *scriptConn
	refuse   atomic.Int32 // an HTTP status to refuse upgrades with; 0: accept
	upgrades atomic.Int32
	wg       sync.WaitGroup

	mu  sync.Mutex
	all []*scriptConn
}

// scriptConn is one accepted connection. Client frames other than ping
// arrive on in; pings are answered with pong unless mute is set.
type scriptConn struct {
	ws    *websocket.Conn
	in    chan scriptFrame
	pings atomic.Int32
	// pingAt receives the arrival time of each ping (the first 64).
	pingAt chan time.Time
	mute   atomic.Bool
	wmu    sync.Mutex
}

type scriptFrame struct {
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload"`
	at      time.Time
}

func newScriptServer(t *testing.T) *scriptServer {
	t.Helper()
	s := &scriptServer{conns: make(chan *scriptConn, 16)}
	s.hs = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(func() {
		s.hs.CloseClientConnections()
		s.hs.Close()
		s.mu.Lock()
		for _, c := range s.all {
			c.drop()
		}
		s.mu.Unlock()
		s.wg.Wait()
	})
	return s
}

func (s *scriptServer) url() string { return "ws" + strings.TrimPrefix(s.hs.URL, "http") }

func (s *scriptServer) serve(w http.ResponseWriter, r *http.Request) {
	if st := s.refuse.Load(); st != 0 {
		http.Error(w, http.StatusText(int(st)), int(st))
		return
	}
	ws, err := s.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	s.upgrades.Add(1)
	c := &scriptConn{ws: ws, in: make(chan scriptFrame, 256), pingAt: make(chan time.Time, 64)}
	s.mu.Lock()
	s.all = append(s.all, c)
	s.mu.Unlock()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		c.read()
	}()
	s.conns <- c
}

func (c *scriptConn) read() {
	defer close(c.in)
	defer c.ws.Close()
	for {
		_, b, err := c.ws.ReadMessage()
		if err != nil {
			return
		}
		var f scriptFrame
		if json.Unmarshal(b, &f) != nil {
			continue
		}
		f.at = time.Now()
		if f.Type == "ping" {
			c.pings.Add(1)
			select {
			case c.pingAt <- f.at:
			default:
			}
			if !c.mute.Load() {
				_ = c.write(`{"type":"pong","payload":{}}`)
			}
			continue
		}
		c.in <- f
	}
}

func (c *scriptConn) write(frame string) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.ws.WriteMessage(websocket.TextMessage, []byte(frame))
}

func (c *scriptConn) push(t *testing.T, frame string) {
	t.Helper()
	if err := c.write(frame); err != nil {
		t.Fatalf("server write: %v", err)
	}
}

// ready sends session.ready for alice; extra is a JSON object's inner
// fields to add, such as `"epoch":"e1"`.
func (c *scriptConn) ready(t *testing.T, sessionID string, lastSeq int64, extra string) {
	t.Helper()
	if extra != "" {
		extra = "," + extra
	}
	c.push(t, fmt.Sprintf(`{"type":"session.ready","payload":{"user_id":"alice","session_id":%q,"last_seq":%d%s}}`, sessionID, lastSeq, extra))
}

// next returns the next client frame other than ping.
func (c *scriptConn) next(t *testing.T) scriptFrame {
	t.Helper()
	select {
	case f, ok := <-c.in:
		if !ok {
			t.Fatal("the client closed the connection")
		}
		return f
	case <-time.After(waitFor):
		t.Fatal("no client frame")
		return scriptFrame{}
	}
}

// expect returns the next client frame, which must be of type typ.
func (c *scriptConn) expect(t *testing.T, typ string) scriptFrame {
	t.Helper()
	f := c.next(t)
	if f.Type != typ {
		t.Fatalf("client sent %s %s, want %s", f.Type, f.Payload, typ)
	}
	return f
}

// silent asserts the client writes nothing (but pings) for a while.
func (c *scriptConn) silent(t *testing.T, d time.Duration) {
	t.Helper()
	select {
	case f, ok := <-c.in:
		if ok {
			t.Fatalf("client sent %s %s, want nothing", f.Type, f.Payload)
		}
	case <-time.After(d):
	}
}

func (c *scriptConn) closeWith(code int, reason string) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason), time.Now().Add(time.Second))
	_ = c.ws.Close()
}

// drop closes the TCP connection without a close frame.
func (c *scriptConn) drop() { _ = c.ws.Close() }

func (s *scriptServer) accept(t *testing.T) *scriptConn {
	t.Helper()
	select {
	case c := <-s.conns:
		return c
	case <-time.After(waitFor):
		t.Fatal("no connection")
		return nil
	}
}

// scriptSource returns a data source for s, not connected.
func scriptSource(t *testing.T, s *scriptServer, tune ...func(*data.Options)) *data.ChatWebSocketDataSource {
	t.Helper()
	opts := data.Options{BaseURL: s.url(), Connection: fastConnection, Transport: testTransport()}
	for _, f := range tune {
		f(&opts)
	}
	src, err := data.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = src.Close() })
	return src
}

// connectScript connects src to s in the background, plays session.ready
// on the connection and returns it once Connect has returned nil.
func connectScript(t *testing.T, s *scriptServer, src *data.ChatWebSocketDataSource, lastSeq int64, extra string) *scriptConn {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitFor)
		defer cancel()
		done <- src.Connect(ctx, "token")
	}()
	c := s.accept(t)
	c.ready(t, "s1", lastSeq, extra)
	if err := recv(t, done); err != nil {
		t.Fatalf("Connect: %v", err)
	}
	return c
}

// chatFrame is a chat.message frame from sender.
func chatFrame(seq int64, id, clientID, sender, content string) string {
	seqField := ""
	if seq > 0 {
		seqField = fmt.Sprintf(`"seq":%d,`, seq)
	}
	cid := ""
	if clientID != "" {
		cid = fmt.Sprintf(`"client_id":%q,`, clientID)
	}
	return fmt.Sprintf(`{"type":"chat.message",%s"payload":{"id":%q,%s"conversation_id":"c1","sender_id":%q,"content":%q,"kind":"text","created_at":"2026-03-04T05:06:07Z"}}`,
		seqField, id, cid, sender, content)
}

// clientID returns the client_id of a client chat.message frame.
func clientID(t *testing.T, f scriptFrame) string {
	t.Helper()
	var p struct {
		ClientID string `json:"client_id"`
	}
	if err := json.Unmarshal(f.Payload, &p); err != nil || p.ClientID == "" {
		t.Fatalf("chat.message without client_id: %s", f.Payload)
	}
	return p.ClientID
}
