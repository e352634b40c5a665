package network

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestManagerFreshTokenPerAttempt(t *testing.T) {
	h := newHarness(t, func(c *scriptedClient) {
		if c.n <= 2 {
			c.connectErr = refused
		}
	}, nil)
	errs := h.m.Errors(t.Context())
	res := h.start()
	h.expect(StateConnecting)
	for range 2 {
		sc := h.expect(StateReconnecting)
		if !errors.Is(recv(t, errs), refused) {
			t.Fatal("failed attempt not reported on Errors")
		}
		h.sleepOut(sc.Delay)
	}
	h.connectedClient()
	sc := h.expect(StateConnected)
	if sc.Attempt != 0 || sc.Err != nil {
		t.Fatalf("connected state = %+v, want attempt 0 and no error", sc)
	}
	if err := recv(t, res); err != nil {
		t.Fatalf("Connect = %v", err)
	}
	seen := map[string]bool{}
	for _, c := range h.srv.clients {
		tok := c.token()
		if tok == "" || seen[tok] {
			t.Fatalf("attempt %d used token %q again (or none)", c.n, tok)
		}
		seen[tok] = true
		if !strings.HasSuffix(c.url, strings.TrimPrefix(tok, "Bearer ")) {
			t.Fatalf("attempt %d: url %q does not carry its token %q", c.n, c.url, tok)
		}
	}
	if len(seen) != 3 {
		t.Fatalf("%d tokens for 3 attempts", len(seen))
	}
}

func TestManagerUnauthorizedTwiceFails(t *testing.T) {
	h := newHarness(t, func(c *scriptedClient) {
		c.connectErr = &DialError{StatusCode: http.StatusUnauthorized, Err: errors.New("bad token")}
	}, nil)
	res := h.start()
	h.expect(StateConnecting)
	sc := h.expect(StateReconnecting)
	if sc.Delay != 0 || !errors.Is(sc.Err, ErrUnauthorized) {
		t.Fatalf("after the first 401: %+v, want an immediate retry caused by ErrUnauthorized", sc)
	}
	sc = h.expect(StateFailed)
	if !errors.Is(sc.Err, ErrUnauthorized) {
		t.Fatalf("failed with %v, want ErrUnauthorized", sc.Err)
	}
	if err := recv(t, res); !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("Connect = %v, want ErrUnauthorized", err)
	}
	if n := h.tokens.Load(); n != 2 {
		t.Fatalf("endpoint asked %d times, want 2 (one refresh)", n)
	}
	if err := h.m.Send(t.Context(), []byte("x")); !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("Send after failing = %v, want the cause", err)
	}
	if got := h.m.State(); got.State != StateFailed {
		t.Fatalf("State() = %v", got.State)
	}
}

func TestManagerUnauthorizedOnceThenFreshTokenWorks(t *testing.T) {
	h := newHarness(t, func(c *scriptedClient) {
		if c.n == 1 {
			c.connectErr = &DialError{StatusCode: http.StatusUnauthorized, Err: errors.New("expired")}
		}
	}, nil)
	res := h.start()
	if err := recv(t, res); err != nil {
		t.Fatalf("Connect = %v", err)
	}
	c := h.connectedClient()
	if c.token() != "Bearer tok-2" {
		t.Fatalf("reconnected with %q, want the refreshed tok-2", c.token())
	}
	// After a good connection, a close 4001 is a new first unauthorized.
	h.await(StateConnected)
	c.drop(CloseUnauthorized)
	if sc := h.expect(StateReconnecting); sc.Delay != 0 || !errors.Is(sc.Err, ErrUnauthorized) {
		t.Fatalf("after close 4001: %+v", sc)
	}
	if c := h.connectedClient(); c.token() != "Bearer tok-3" {
		t.Fatalf("token after 4001 = %q, want tok-3", c.token())
	}
	h.expect(StateConnected)
}

// A server that accepts the token and then closes with 4001 every time
// cannot drive a tight loop: after a few immediate retries the manager
// backs off.
func TestManagerUnauthorizedAfterConnectIsGuarded(t *testing.T) {
	h := newHarness(t, nil, func(o *ManagerOptions) { o.HeartbeatInterval = time.Hour })
	h.start()
	var delays []time.Duration
	for len(delays) < maxImmediate+1 {
		c := h.connectedClient()
		h.await(StateConnected)
		c.drop(CloseUnauthorized)
		sc := h.expect(StateReconnecting)
		delays = append(delays, sc.Delay)
		h.sleepOut(sc.Delay)
	}
	for i, d := range delays[:maxImmediate] {
		if d != 0 {
			t.Fatalf("retry %d delay %v, want 0", i+1, d)
		}
	}
	if delays[maxImmediate] == 0 {
		t.Fatalf("retry %d was immediate too: no backoff", maxImmediate+1)
	}
}

func TestManagerMaxAttempts(t *testing.T) {
	h := newHarness(t, func(c *scriptedClient) {
		if c.n <= 3 {
			c.connectErr = refused
		}
	}, func(o *ManagerOptions) { o.MaxAttempts = 3 })
	res := h.start()
	h.expect(StateConnecting)
	for i := range 2 {
		sc := h.expect(StateReconnecting)
		if sc.Attempt != i+2 {
			t.Fatalf("attempt = %d, want %d", sc.Attempt, i+2)
		}
		h.sleepOut(sc.Delay)
	}
	sc := h.expect(StateFailed)
	if !errors.Is(sc.Err, refused) || !strings.Contains(sc.Err.Error(), "3 failed attempts") {
		t.Fatalf("failed with %v", sc.Err)
	}
	if err := recv(t, res); !errors.Is(err, refused) {
		t.Fatalf("Connect = %v", err)
	}
	if n := h.srv.count(); n != 3 {
		t.Fatalf("%d attempts, want 3", n)
	}
	// Connect restarts a failed manager, and an attempt that connects
	// resets the count: two failures, a connection, two more failures do
	// not stop it.
	h.srv.setPlan(func(c *scriptedClient) {
		if c.n != 6 && c.n != 9 {
			c.connectErr = refused
		}
	})
	res = h.start()
	h.expect(StateConnecting)
	for range 2 {
		sc := h.expect(StateReconnecting)
		h.sleepOut(sc.Delay)
	}
	if err := recv(t, res); err != nil {
		t.Fatalf("Connect after failing = %v", err)
	}
	h.expect(StateConnected)
	h.connectedClient().drop(CloseAbnormal)
	for range 3 {
		sc := h.expect(StateReconnecting)
		h.sleepOut(sc.Delay)
	}
	h.expect(StateConnected)
	if n := h.srv.count(); n != 9 {
		t.Fatalf("%d attempts, want 9", n)
	}
}

func TestManagerClassify(t *testing.T) {
	tooBig := &CloseError{Code: CloseMessageTooBig, Local: true, Err: ErrFrameTooLarge}
	t.Run("stop", func(t *testing.T) {
		h := newHarness(t, func(c *scriptedClient) { c.connectErr = refused }, func(o *ManagerOptions) {
			o.Classify = func(error) Decision { return Stop }
		})
		res := h.start()
		h.expect(StateConnecting)
		if sc := h.expect(StateFailed); !errors.Is(sc.Err, refused) {
			t.Fatalf("failed with %v", sc.Err)
		}
		if err := recv(t, res); !errors.Is(err, refused) {
			t.Fatalf("Connect = %v", err)
		}
	})
	t.Run("reconnect now is guarded", func(t *testing.T) {
		h := newHarness(t, func(c *scriptedClient) { c.connectErr = refused }, func(o *ManagerOptions) {
			o.Classify = func(error) Decision { return ReconnectNow }
		})
		h.start()
		h.expect(StateConnecting)
		for i := range maxImmediate {
			if sc := h.expect(StateReconnecting); sc.Delay != 0 {
				t.Fatalf("immediate retry %d delay %v", i+1, sc.Delay)
			}
		}
		if sc := h.expect(StateReconnecting); sc.Delay != 5625*time.Millisecond {
			t.Fatalf("after %d immediate retries delay %v, want the backoff", maxImmediate, sc.Delay)
		}
	})
	t.Run("frame too large backs off", func(t *testing.T) {
		h := newHarness(t, nil, nil)
		errs := h.m.Errors(t.Context())
		h.start()
		for i := range 3 {
			c := h.connectedClient()
			h.await(StateConnected)
			c.end(tooBig, 0)
			sc := h.expect(StateReconnecting)
			if sc.Delay < 5*time.Second || !errors.Is(sc.Err, ErrFrameTooLarge) {
				t.Fatalf("drop %d: %+v, want a backoff delay and ErrFrameTooLarge", i+1, sc)
			}
			if err := recv(t, errs); !errors.Is(err, ErrFrameTooLarge) {
				t.Fatalf("errors stream got %v", err)
			}
			h.sleepOut(sc.Delay)
		}
	})
}

func TestManagerCloseDuringBackoff(t *testing.T) {
	h := newHarness(t, func(c *scriptedClient) { c.connectErr = refused }, nil)
	res := h.start()
	h.expect(StateConnecting)
	sc := h.expect(StateReconnecting)
	h.awaitArmed(sc.Delay) // the loop is in its backoff wait
	closeWithin(t, h.m)
	if err := recv(t, res); !errors.Is(err, ErrClosed) {
		t.Fatalf("Connect = %v, want ErrClosed", err)
	}
	if sc := h.expect(StateClosed); sc.Err != nil {
		t.Fatalf("closed state carries %v", sc.Err)
	}
	if _, ok := <-h.states; ok {
		t.Fatal("state stream still open after Close")
	}
	if h.clk.Pending() != 0 {
		t.Fatalf("%d timers left after Close", h.clk.Pending())
	}
}

func TestManagerCloseDuringDial(t *testing.T) {
	h := newHarness(t, func(c *scriptedClient) { c.blockDial = true }, nil)
	res := h.start()
	h.dialedClient()
	closeWithin(t, h.m)
	if err := recv(t, res); !errors.Is(err, ErrClosed) {
		t.Fatalf("Connect = %v, want ErrClosed", err)
	}
	if err := h.connect(); !errors.Is(err, ErrClosed) {
		t.Fatalf("Connect after Close = %v", err)
	}
}

func TestManagerCloseWhileConnected(t *testing.T) {
	h := newHarness(t, nil, nil)
	frames := h.m.Frames(t.Context())
	errs := h.m.Errors(t.Context())
	if err := h.connect(); err != nil {
		t.Fatal(err)
	}
	c := h.connectedClient()
	closeWithin(t, h.m)
	if code := c.localCloseCode(); code != CloseNormal {
		t.Fatalf("client closed with %d, want 1000", code)
	}
	for _, ch := range []<-chan Frame{frames} {
		if _, ok := <-ch; ok {
			t.Fatal("frames stream open after Close")
		}
	}
	if _, ok := <-errs; ok {
		t.Fatal("errors stream open after Close")
	}
	if got := h.m.State().State; got != StateClosed {
		t.Fatalf("state %v", got)
	}
	if err := h.m.Send(t.Context(), []byte("x")); !errors.Is(err, ErrClosed) {
		t.Fatalf("Send after Close = %v", err)
	}
	if err := h.m.SendVolatile(t.Context(), []byte("x")); !errors.Is(err, ErrClosed) {
		t.Fatalf("SendVolatile after Close = %v", err)
	}
	if _, ok := <-h.m.Frames(t.Context()); ok {
		t.Fatal("Frames after Close is open")
	}
	closeWithin(t, h.m) // idempotent
}

func TestManagerConcurrentClose(t *testing.T) {
	h := newHarness(t, nil, nil)
	if err := h.connect(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	for range 8 {
		go func() {
			h.m.Close()
			// Every Close returns only once the manager is fully closed.
			if h.m.State().State != StateClosed {
				t.Error("Close returned before the manager was closed")
			}
			done <- struct{}{}
		}()
	}
	for range 8 {
		recv(t, done)
	}
}

func TestManagerConnectHonoursCtx(t *testing.T) {
	h := newHarness(t, func(c *scriptedClient) { c.connectErr = refused }, nil)
	ctx, cancel := context.WithCancel(t.Context())
	res := make(chan error, 1)
	go func() { res <- h.m.Connect(ctx) }()
	h.expect(StateConnecting)
	h.expect(StateReconnecting)
	cancel()
	if err := recv(t, res); !errors.Is(err, context.Canceled) {
		t.Fatalf("Connect = %v, want context.Canceled", err)
	}
	// The loop goes on: ctx bounded only the wait.
	h.sleepOut(5625 * time.Millisecond)
	h.dialedClient()
	h.dialedClient()
}

func TestManagerHandshake(t *testing.T) {
	var got [][]byte
	h := newHarness(t, func(c *scriptedClient) {
		c.frames <- []byte(`hello-1`)
		c.frames <- []byte(`hello-2`)
	}, func(o *ManagerOptions) {
		o.Handshake = func(ctx context.Context, conn HandshakeConn) (HandshakeResult, error) {
			for range 2 {
				f, err := conn.Read(ctx)
				if err != nil {
					return HandshakeResult{}, err
				}
				got = append(got, f)
			}
			return HandshakeResult{HeartbeatInterval: 5 * time.Second}, nil
		}
	})
	frames := h.m.Frames(t.Context())
	res := h.start()
	c := h.connectedClient()
	h.expect(StateConnecting)
	h.expect(StateConnected)
	if err := recv(t, res); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || string(got[0]) != "hello-1" || string(got[1]) != "hello-2" {
		t.Fatalf("handshake read %q", got)
	}
	c.push(t, "after")
	for _, want := range []string{"hello-1", "hello-2", "after"} {
		if f := recv(t, frames); string(f.Data) != want {
			t.Fatalf("frame %q, want %q", f.Data, want)
		}
	}
	// The handshake's 5s interval replaces the configured 30s.
	h.clk.Advance(5 * time.Second)
	recv(t, c.pings)
}

func TestManagerHandshakeFailure(t *testing.T) {
	h := newHarness(t, nil, func(o *ManagerOptions) {
		o.Handshake = func(ctx context.Context, conn HandshakeConn) (HandshakeResult, error) {
			return HandshakeResult{}, errors.New("bad greeting")
		}
	})
	h.start()
	c := h.connectedClient()
	h.expect(StateConnecting)
	sc := h.expect(StateReconnecting)
	if sc.Err == nil || !strings.Contains(sc.Err.Error(), "handshake: bad greeting") {
		t.Fatalf("cause = %v", sc.Err)
	}
	<-c.done
	if c.localCloseCode() != CloseNormal {
		t.Fatalf("client closed with %d", c.localCloseCode())
	}
}

func TestManagerHandshakeTimeout(t *testing.T) {
	h := newHarness(t, nil, func(o *ManagerOptions) {
		o.HandshakeTimeout = 3 * time.Second
		o.Handshake = func(ctx context.Context, conn HandshakeConn) (HandshakeResult, error) {
			_, err := conn.Read(ctx) // the server never greets
			return HandshakeResult{}, err
		}
	})
	h.start()
	c := h.connectedClient()
	h.expect(StateConnecting)
	h.awaitArmed(3 * time.Second)
	h.clk.Advance(3 * time.Second)
	sc := h.expect(StateReconnecting)
	if !errors.Is(sc.Err, context.DeadlineExceeded) {
		t.Fatalf("cause = %v, want a deadline", sc.Err)
	}
	<-c.done
}

func TestManagerHandshakeTimeoutDoesNotWaitForClose(t *testing.T) {
	gate := make(chan struct{})
	h := newHarness(t, func(c *scriptedClient) {
		if c.n == 1 {
			c.closeGate = gate // the silent peer never answers our close either
		}
	}, func(o *ManagerOptions) {
		o.HandshakeTimeout = 3 * time.Second
		o.Handshake = func(ctx context.Context, conn HandshakeConn) (HandshakeResult, error) {
			_, err := conn.Read(ctx)
			return HandshakeResult{}, err
		}
	})
	h.start()
	c := h.connectedClient()
	h.expect(StateConnecting)
	h.awaitArmed(3 * time.Second)
	h.clk.Advance(3 * time.Second)
	h.expect(StateReconnecting) // while the close of attempt 1 still hangs
	select {
	case <-c.done:
		t.Fatal("the close of attempt 1 finished without its peer")
	default:
	}
	close(gate)
	<-c.done
}

func TestManagerEndpointError(t *testing.T) {
	boom := errors.New("token service down")
	h := newHarness(t, nil, func(o *ManagerOptions) {
		o.Endpoint = func(context.Context) (string, http.Header, error) { return "", nil, boom }
	})
	h.start()
	h.expect(StateConnecting)
	sc := h.expect(StateReconnecting)
	if !errors.Is(sc.Err, boom) || sc.Delay == 0 {
		t.Fatalf("state %+v", sc)
	}
	if h.srv.count() != 0 {
		t.Fatal("dialled without an endpoint")
	}
}

func TestManagerRedactsTokenInErrors(t *testing.T) {
	h := newHarness(t, func(c *scriptedClient) {
		c.connectErr = &DialError{Err: errors.New(`Get "ws://chat.test/chat?token=tok-` + string(rune('0'+c.n)) + `": refused`)}
	}, nil)
	h.start()
	h.expect(StateConnecting)
	sc := h.expect(StateReconnecting)
	if strings.Contains(sc.Err.Error(), "tok-1") {
		t.Fatalf("token in error text: %v", sc.Err)
	}
	var de *DialError
	if !errors.As(sc.Err, &de) {
		t.Fatalf("redacted error lost its type: %v", sc.Err)
	}
}

func TestManagerConnectCloseCyclesLeaveNoGoroutine(t *testing.T) {
	defer goleak.VerifyNone(t)
	srv := newScriptedServer(nil)
	for i := range 1000 {
		m := NewConnectionManager(ManagerOptions{
			NewClient: srv.newClient,
			Endpoint: func(context.Context) (string, http.Header, error) {
				return "ws://chat.test/chat", nil, nil
			},
		})
		if err := m.Connect(hangGuard(t)); err != nil {
			t.Fatalf("cycle %d: %v", i, err)
		}
		<-srv.connected
		<-srv.dialed
		m.Close()
	}
}

// closeWithin closes m and fails if Close hangs.
func closeWithin(t *testing.T, m *ConnectionManager) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		m.Close()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(waitLimit):
		t.Fatal("Close hangs")
	}
}
