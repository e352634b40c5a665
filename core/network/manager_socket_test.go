package network

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"go.uber.org/goleak"
)

// chatServer is a minimal envelope-protocol server on loopback: it checks
// the bearer token, greets with session.ready and records every frame it
// receives. It can be killed and restarted on the same address, and made
// to stall (keep TCP open, read and write nothing).
type chatServer struct {
	t    *testing.T
	addr string

	mu       sync.Mutex
	srv      *httptest.Server
	conns    []*websocket.Conn
	tokens   []string
	received []string
	stall    bool
	stalled  chan struct{} // closed to release stalled handlers
	recvC    chan string
}

func newChatServer(t *testing.T) *chatServer {
	s := &chatServer{t: t, stalled: make(chan struct{}), recvC: make(chan string, 1024)}
	s.start("127.0.0.1:0")
	return s
}

func (s *chatServer) start(addr string) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		s.t.Fatalf("listen %s: %v", addr, err)
	}
	srv := &httptest.Server{Listener: ln, Config: &http.Server{Handler: http.HandlerFunc(s.handle)}}
	srv.Start()
	s.mu.Lock()
	s.srv, s.addr = srv, ln.Addr().String()
	s.mu.Unlock()
}

func (s *chatServer) handle(w http.ResponseWriter, r *http.Request) {
	tok := r.Header.Get("Authorization")
	if tok == "" || tok == "Bearer bad" {
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	up := websocket.Upgrader{}
	conn, err := up.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	defer conn.Close()
	s.mu.Lock()
	s.conns = append(s.conns, conn)
	s.tokens = append(s.tokens, tok)
	stall := s.stall
	s.mu.Unlock()
	if err := conn.WriteMessage(websocket.TextMessage, []byte(`{"type":"session.ready"}`)); err != nil {
		return
	}
	if stall {
		<-s.stalled
		return
	}
	for {
		_, data, err := conn.ReadMessage()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.received = append(s.received, string(data))
		s.mu.Unlock()
		s.recvC <- string(data)
	}
}

// kill drops every connection and stops listening.
func (s *chatServer) kill() {
	s.mu.Lock()
	conns := s.conns
	s.conns = nil
	srv := s.srv
	s.mu.Unlock()
	for _, c := range conns {
		c.NetConn().Close()
	}
	srv.Close()
}

func (s *chatServer) close() {
	close(s.stalled)
	s.kill()
}

func (s *chatServer) endpoint() Endpoint {
	var n int
	var mu sync.Mutex
	return func(context.Context) (string, http.Header, error) {
		mu.Lock()
		n++
		tok := fmt.Sprintf("Bearer tok-%d", n)
		mu.Unlock()
		s.mu.Lock()
		defer s.mu.Unlock()
		return "ws://" + s.addr + "/chat", http.Header{"Authorization": {tok}}, nil
	}
}

func (s *chatServer) snapshot() (tokens, received []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.tokens), slices.Clone(s.received)
}

// greeting is the Handshake of the envelope protocol: wait for session.ready.
func greeting(ctx context.Context, conn HandshakeConn) (HandshakeResult, error) {
	f, err := conn.Read(ctx)
	if err != nil {
		return HandshakeResult{}, err
	}
	if string(f) != `{"type":"session.ready"}` {
		return HandshakeResult{}, fmt.Errorf("unexpected greeting %q", f)
	}
	return HandshakeResult{}, nil
}

func gorillaFactory() WebSocketClient {
	return NewGorillaClient(GorillaOptions{CloseTimeout: 200 * time.Millisecond})
}

// Over real sockets: the server dies, the manager reports reconnecting with
// the first delay, frames sent meanwhile wait; the server comes back, the
// manager reconnects with a fresh token and the frames arrive once, in order.
func TestManagerSocketServerRestart(t *testing.T) {
	srv := newChatServer(t)
	h := newHarness(t, nil, func(o *ManagerOptions) {
		o.NewClient = gorillaFactory
		o.Endpoint = srv.endpoint()
		o.Handshake = greeting
	})
	t.Cleanup(srv.close) // before the harness's leak check
	ctx := t.Context()
	frames := h.m.Frames(ctx)
	if err := h.connect(); err != nil {
		t.Fatal(err)
	}
	h.await(StateConnected)
	if f := recv(t, frames); string(f.Data) != `{"type":"session.ready"}` {
		t.Fatalf("frame %q", f.Data)
	}
	if err := h.m.Send(ctx, []byte("m1")); err != nil {
		t.Fatal(err)
	}
	if got := recv(t, srv.recvC); got != "m1" {
		t.Fatalf("server got %q", got)
	}

	addr := srv.addr
	srv.kill()
	sc := h.expect(StateReconnecting)
	if sc.Delay < 5*time.Second || sc.Delay > 6250*time.Millisecond || sc.Attempt != 1 {
		t.Fatalf("after the server died: attempt %d delay %v, want attempt 1 after 5s..6.25s", sc.Attempt, sc.Delay)
	}
	var ce *CloseError
	if !errors.As(sc.Err, &ce) {
		t.Fatalf("cause %v, want a *CloseError", sc.Err)
	}
	res := h.queue(ctx, "m2", "m3", "m4")

	srv.start(addr)
	h.sleepOut(sc.Delay)
	h.expect(StateConnected)
	for _, r := range res {
		if err := recv(t, r); err != nil {
			t.Fatal(err)
		}
	}
	for _, want := range []string{"m2", "m3", "m4"} {
		if got := recv(t, srv.recvC); got != want {
			t.Fatalf("server got %q, want %q", got, want)
		}
	}
	if f := recv(t, frames); string(f.Data) != `{"type":"session.ready"}` {
		t.Fatalf("frame %q", f.Data)
	}
	tokens, received := srv.snapshot()
	if !slices.Equal(tokens, []string{"Bearer tok-1", "Bearer tok-2"}) {
		t.Fatalf("tokens %q, want a fresh one per connection", tokens)
	}
	if !slices.Equal(received, []string{"m1", "m2", "m3", "m4"}) {
		t.Fatalf("server received %q", received)
	}
}

// A server that keeps TCP open but goes silent is detected within
// heartbeat + pong timeout, over a real socket with real WebSocket pings.
func TestManagerSocketStalledServer(t *testing.T) {
	srv := newChatServer(t)
	srv.stall = true
	h := newHarness(t, nil, func(o *ManagerOptions) {
		o.NewClient = gorillaFactory
		o.Endpoint = srv.endpoint()
		o.Handshake = greeting
	})
	t.Cleanup(srv.close)
	if err := h.connect(); err != nil {
		t.Fatal(err)
	}
	h.await(StateConnected)
	h.awaitArmed(30 * time.Second)
	h.clk.Advance(30 * time.Second)
	h.awaitArmed(10 * time.Second) // the ping is out; the pong deadline runs
	h.clk.Advance(10*time.Second - time.Nanosecond)
	if st := h.m.State().State; st != StateConnected {
		t.Fatalf("state %v before heartbeat + pong timeout", st)
	}
	h.clk.Advance(time.Nanosecond)
	sc := h.expect(StateReconnecting)
	if !errors.Is(sc.Err, ErrHeartbeatTimeout) {
		t.Fatalf("cause %v, want ErrHeartbeatTimeout", sc.Err)
	}
}

func TestManagerSocketUnauthorized(t *testing.T) {
	srv := newChatServer(t)
	h := newHarness(t, nil, func(o *ManagerOptions) {
		o.NewClient = gorillaFactory
		o.Endpoint = func(context.Context) (string, http.Header, error) {
			return "ws://" + srv.addr + "/chat", http.Header{"Authorization": {"Bearer bad"}}, nil
		}
	})
	t.Cleanup(srv.close)
	err := h.connect()
	if !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("Connect = %v, want ErrUnauthorized", err)
	}
	var de *DialError
	if !errors.As(err, &de) || de.StatusCode != http.StatusUnauthorized {
		t.Fatalf("Connect = %v, want a *DialError with 401", err)
	}
	h.expect(StateConnecting)
	h.expect(StateReconnecting)
	h.expect(StateFailed)
}

func TestManagerSocketConnectCloseCycles(t *testing.T) {
	defer goleak.VerifyNone(t)
	srv := newChatServer(t)
	defer srv.close()
	for i := range 100 {
		m := NewConnectionManager(ManagerOptions{
			NewClient: gorillaFactory,
			Endpoint:  srv.endpoint(),
			Handshake: greeting,
		})
		if err := m.Connect(hangGuard(t)); err != nil {
			t.Fatalf("cycle %d: %v", i, err)
		}
		m.Close()
	}
}
