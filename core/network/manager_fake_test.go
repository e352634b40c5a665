package network

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chatwire/chatwire/core/clock"
	"go.uber.org/goleak"
)

// waitLimit bounds every wait for something the manager does in response to
// a test step. It is a hang guard, never a speed assertion.
const waitLimit = 10 * time.Second

// scriptedClient is an in-memory WebSocketClient whose behaviour each test
// scripts: Connect may fail or block, the test pushes inbound frames and
// drops the connection, and every Send, Ping and Close is recorded.
type scriptedClient struct {
	n          int   // which attempt created it, from 1
	connectErr error // returned by Connect
	blockDial  bool  // Connect waits for its ctx
	autoPong   bool  // Ping answers at once; otherwise it waits (a silent peer)
	sendHook   func(c *scriptedClient, data []byte) error
	closeGate  chan struct{} // if set, Close waits for it (a peer that never answers the close)

	url    string
	header http.Header

	frames chan []byte
	done   chan struct{}
	pings  chan struct{}

	mu        sync.Mutex
	open      bool
	ended     bool
	err       error
	sent      [][]byte
	closeCode int
	sentC     chan []byte
}

func (c *scriptedClient) Connect(ctx context.Context, url string, header http.Header) error {
	c.mu.Lock()
	c.url, c.header = url, header.Clone()
	c.mu.Unlock()
	if c.blockDial {
		<-ctx.Done()
		return &DialError{Err: ctx.Err()}
	}
	if c.connectErr != nil {
		return c.connectErr
	}
	if err := ctx.Err(); err != nil {
		return &DialError{Err: err}
	}
	c.mu.Lock()
	c.open = true
	c.mu.Unlock()
	return nil
}

func (c *scriptedClient) Send(ctx context.Context, data []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if c.sendHook != nil {
		if err := c.sendHook(c, data); err != nil {
			return err
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ended {
		return ErrClosed
	}
	c.sent = append(c.sent, append([]byte(nil), data...))
	select {
	case c.sentC <- data:
	default:
	}
	return nil
}

func (c *scriptedClient) Ping(ctx context.Context) error {
	select {
	case c.pings <- struct{}{}:
	default:
	}
	if c.autoPong {
		return nil
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-c.done:
		return ErrClosed
	}
}

func (c *scriptedClient) Frames() <-chan []byte { return c.frames }
func (c *scriptedClient) Done() <-chan struct{} { return c.done }

func (c *scriptedClient) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

func (c *scriptedClient) Close(code int, reason string) error {
	if c.closeGate != nil {
		<-c.closeGate
	}
	c.end(&CloseError{Code: code, Reason: reason, Local: true}, code)
	return nil
}

// push delivers an inbound frame, as if the server sent it. It reports
// false if the connection has ended.
func (c *scriptedClient) push(t *testing.T, frame string) {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ended {
		t.Fatalf("push %q on an ended connection", frame)
	}
	select {
	case c.frames <- []byte(frame):
	default:
		t.Fatalf("push %q: frame buffer full", frame)
	}
}

// drop ends the connection from the server side with code.
func (c *scriptedClient) drop(code int) { c.end(&CloseError{Code: code}, 0) }

func (c *scriptedClient) end(err error, localCode int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ended {
		return
	}
	c.ended = true
	c.err = err
	c.closeCode = localCode
	close(c.frames)
	close(c.done)
}

func (c *scriptedClient) sentFrames() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]string, len(c.sent))
	for i, b := range c.sent {
		out[i] = string(b)
	}
	return out
}

func (c *scriptedClient) localCloseCode() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closeCode
}

func (c *scriptedClient) token() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.header.Get("Authorization")
}

// scriptedServer hands out scriptedClients; plan configures each one before
// the manager dials it. Every client whose Connect succeeded is sent on
// connected.
type scriptedServer struct {
	mu        sync.Mutex
	plan      func(c *scriptedClient)
	clients   []*scriptedClient
	connected chan *scriptedClient
	dialed    chan *scriptedClient
}

func newScriptedServer(plan func(c *scriptedClient)) *scriptedServer {
	return &scriptedServer{
		plan:      plan,
		connected: make(chan *scriptedClient, 4096),
		dialed:    make(chan *scriptedClient, 4096),
	}
}

func (s *scriptedServer) newClient() WebSocketClient {
	s.mu.Lock()
	c := &scriptedClient{
		n:      len(s.clients) + 1,
		frames: make(chan []byte, 64),
		done:   make(chan struct{}),
		pings:  make(chan struct{}, 64),
		sentC:  make(chan []byte, 1024),
	}
	s.clients = append(s.clients, c)
	plan := s.plan
	s.mu.Unlock()
	if plan != nil {
		plan(c)
	}
	return &notifyingClient{scriptedClient: c, srv: s}
}

// setPlan replaces the plan for clients created from now on.
func (s *scriptedServer) setPlan(plan func(c *scriptedClient)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.plan = plan
}

func (s *scriptedServer) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.clients)
}

// notifyingClient reports each dial and each successful connect to the server.
type notifyingClient struct {
	*scriptedClient
	srv *scriptedServer
}

func (c *notifyingClient) Connect(ctx context.Context, url string, header http.Header) error {
	c.srv.dialed <- c.scriptedClient
	err := c.scriptedClient.Connect(ctx, url, header)
	if err == nil {
		c.srv.connected <- c.scriptedClient
	}
	return err
}

// harness runs one manager over a scriptedServer with a fake clock.
type harness struct {
	t      *testing.T
	clk    *clock.Fake
	rec    *recordingClock // clk, recording every timer the manager arms
	srv    *scriptedServer
	m      *ConnectionManager
	states <-chan StateChange
	tokens atomic.Int64
}

// newHarness builds a manager; edit may change the options before it is
// created. When the test ends the manager is closed and no goroutine may
// be left behind.
func newHarness(t *testing.T, plan func(c *scriptedClient), edit func(o *ManagerOptions)) *harness {
	t.Helper()
	t.Cleanup(func() { goleak.VerifyNone(t) }) // runs after the Close below
	h := &harness{t: t, clk: clock.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)), srv: newScriptedServer(plan)}
	h.rec = &recordingClock{Fake: h.clk}
	opts := ManagerOptions{
		NewClient: h.srv.newClient,
		Endpoint: func(ctx context.Context) (string, http.Header, error) {
			tok := fmt.Sprintf("tok-%d", h.tokens.Add(1))
			return "ws://chat.test/chat?token=" + tok, http.Header{"Authorization": {"Bearer " + tok}}, nil
		},
		Clock: h.rec,
		Rand:  func() float64 { return 0.5 },
	}
	if edit != nil {
		edit(&opts)
	}
	h.m = NewConnectionManager(opts)
	ctx, cancel := context.WithCancel(context.Background())
	h.states = h.m.States(ctx)
	t.Cleanup(func() {
		cancel()
		h.m.Close()
	})
	return h
}

// connect calls Connect with a hang guard.
func (h *harness) connect() error {
	return h.m.Connect(hangGuard(h.t))
}

// hangGuard returns a context that ends after waitLimit, so that a test
// of a misbehaving manager fails instead of hanging.
func hangGuard(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), waitLimit)
	t.Cleanup(cancel)
	return ctx
}

// start calls Connect without waiting for its result.
func (h *harness) start() <-chan error {
	res := make(chan error, 1)
	go func() { res <- h.m.Connect(hangGuard(h.t)) }()
	return res
}

// next returns the next state change.
func (h *harness) next() StateChange {
	h.t.Helper()
	select {
	case sc, ok := <-h.states:
		if !ok {
			h.t.Fatal("state stream closed")
		}
		return sc
	case <-time.After(waitLimit):
		h.t.Fatal("no state change")
	}
	return StateChange{}
}

// await skips state changes until one in state want and returns it.
func (h *harness) await(want State) StateChange {
	h.t.Helper()
	for {
		sc := h.next()
		if sc.State == want {
			return sc
		}
	}
}

// expect returns the next state change and fails unless it is in state want.
func (h *harness) expect(want State) StateChange {
	h.t.Helper()
	sc := h.next()
	if sc.State != want {
		h.t.Fatalf("state = %v (%+v), want %v", sc.State, sc, want)
	}
	return sc
}

// connectedClient waits for the next successful dial.
func (h *harness) connectedClient() *scriptedClient {
	h.t.Helper()
	select {
	case c := <-h.srv.connected:
		return c
	case <-time.After(waitLimit):
		h.t.Fatal("no connection")
	}
	return nil
}

// dialedClient waits for the next dial.
func (h *harness) dialedClient() *scriptedClient {
	h.t.Helper()
	select {
	case c := <-h.srv.dialed:
		return c
	case <-time.After(waitLimit):
		h.t.Fatal("no dial")
	}
	return nil
}

// sleepOut advances the fake clock through a backoff wait of d once the
// loop has armed its timer.
func (h *harness) sleepOut(d time.Duration) {
	h.t.Helper()
	if d > 0 {
		h.awaitArmed(d)
	}
	h.clk.Advance(d)
}

// outboxLen returns the number of queued frames.
func (h *harness) outboxLen() int {
	h.m.mu.Lock()
	defer h.m.mu.Unlock()
	return h.m.outbox.Len()
}

// waitOutbox waits until n frames are queued.
func (h *harness) waitOutbox(n int) {
	h.t.Helper()
	deadline := time.Now().Add(waitLimit)
	for h.outboxLen() != n {
		if time.Now().After(deadline) {
			h.t.Fatalf("outbox has %d frames, want %d", h.outboxLen(), n)
		}
		time.Sleep(time.Millisecond)
	}
}

// recv returns the next value of ch or fails.
func recv[T any](t *testing.T, ch <-chan T) T {
	t.Helper()
	select {
	case v, ok := <-ch:
		if !ok {
			t.Fatal("channel closed")
		}
		return v
	case <-time.After(waitLimit):
		t.Fatal("nothing received")
	}
	var zero T
	return zero
}

var refused = &DialError{Err: fmt.Errorf("dial tcp 127.0.0.1:1: connect: connection refused")}

// recordingClock is a fake clock that logs the delay of every timer armed,
// so a test can wait until the loop has reacted to a step of the clock
// before taking the next one.
type recordingClock struct {
	*clock.Fake
	mu    sync.Mutex
	armed []time.Duration
	seen  int // armed[:seen] have been matched by awaitArmed
}

func (c *recordingClock) AfterFunc(d time.Duration, f func()) func() bool {
	stop := c.Fake.AfterFunc(d, f)
	c.mu.Lock() // recorded once armed, so that a test may advance past it
	c.armed = append(c.armed, d)
	c.mu.Unlock()
	return stop
}

// awaitArmed waits until a timer of d is armed after the last one matched.
func (h *harness) awaitArmed(d time.Duration) {
	h.t.Helper()
	deadline := time.Now().Add(waitLimit)
	for {
		h.rec.mu.Lock()
		for i := h.rec.seen; i < len(h.rec.armed); i++ {
			if h.rec.armed[i] == d {
				h.rec.seen = i + 1
				h.rec.mu.Unlock()
				return
			}
		}
		h.rec.mu.Unlock()
		if time.Now().After(deadline) {
			h.t.Fatalf("no timer of %v armed", d)
		}
		time.Sleep(100 * time.Microsecond)
	}
}
