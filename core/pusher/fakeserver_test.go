package pusher_test

import (
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/chatwire/chatwire/core/pusher"
)

// fakeServer is a scripted Pusher-protocol server on loopback: each
// accepted connection is handed to the test, which plays the server's part
// frame by frame. It stands in for servers whose behaviour Soketi does not
// show (code-less pusher:error, string pong data, server pings).
type fakeServer struct {
	t     *testing.T
	srv   *httptest.Server
	conns chan *fakeConn

	mu   sync.Mutex
	open []*fakeConn
}

// fakeConn is one server-side connection.
type fakeConn struct {
	t    *testing.T
	ws   *websocket.Conn
	path string
	in   chan pusher.Frame // frames from the client; closed when it ends
	wmu  sync.Mutex
	done chan struct{}
}

func newFakeServer(t *testing.T) *fakeServer {
	t.Helper()
	fs := &fakeServer{t: t, conns: make(chan *fakeConn, 8)}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	up := websocket.Upgrader{}
	fs.srv = &httptest.Server{Listener: l, Config: &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		fc := &fakeConn{t: t, ws: ws, path: r.URL.String(), in: make(chan pusher.Frame, 64), done: make(chan struct{})}
		fs.mu.Lock()
		fs.open = append(fs.open, fc)
		fs.mu.Unlock()
		go fc.readPump()
		fs.conns <- fc
	})}}
	fs.srv.Start()
	t.Cleanup(fs.close)
	return fs
}

// host returns "127.0.0.1:port".
func (fs *fakeServer) host() string { return fs.srv.Listener.Addr().String() }

// accept waits for the next connection and greets it with socketID.
func (fs *fakeServer) accept(socketID string) *fakeConn {
	fs.t.Helper()
	fc := recv(fs.t, fs.conns, "connection")
	fc.send(`{"event":"pusher:connection_established","data":"{\"socket_id\":\"` + socketID + `\",\"activity_timeout\":30}"}`)
	return fc
}

func (fs *fakeServer) close() {
	fs.srv.Close()
	fs.mu.Lock()
	open := fs.open
	fs.mu.Unlock()
	for _, fc := range open {
		fc.ws.Close()
		<-fc.done
	}
}

func (fc *fakeConn) readPump() {
	defer close(fc.done)
	defer close(fc.in)
	for {
		_, b, err := fc.ws.ReadMessage()
		if err != nil {
			return
		}
		f, err := pusher.DecodeFrame(b)
		if err != nil {
			fc.t.Errorf("client sent a malformed frame %q: %v", b, err)
			return
		}
		select {
		case fc.in <- f:
		default:
			fc.t.Errorf("fake server: inbound buffer full")
			return
		}
	}
}

func (fc *fakeConn) send(raw string) {
	fc.wmu.Lock()
	defer fc.wmu.Unlock()
	_ = fc.ws.SetWriteDeadline(time.Now().Add(wait))
	if err := fc.ws.WriteMessage(websocket.TextMessage, []byte(raw)); err != nil {
		fc.t.Errorf("fake server: write: %v", err)
	}
}

// closeWith sends a close frame with code and drops the connection.
func (fc *fakeConn) closeWith(code int, reason string) {
	fc.wmu.Lock()
	_ = fc.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason), time.Now().Add(time.Second))
	fc.wmu.Unlock()
	fc.ws.Close()
	<-fc.done
}

// expect returns the next client frame with that event, skipping pings.
func (fc *fakeConn) expect(event string) pusher.Frame {
	fc.t.Helper()
	for {
		f := recv(fc.t, fc.in, "client frame "+event)
		if f.Event == event {
			return f
		}
		if f.Event != pusher.EventPing {
			fc.t.Fatalf("client sent %s (%s), want %s", f.Event, f.Data, event)
		}
	}
}
