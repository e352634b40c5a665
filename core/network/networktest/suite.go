package networktest

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/chatwire/chatwire/core/network"
)

// caseTimeout bounds every wait of a case, so that a broken implementation
// fails instead of hanging. It is not a speed requirement.
const caseTimeout = 30 * time.Second

// RunConformance runs every conformance case against h as subtests of t.
// Each case checks, after its servers and clients are stopped, that no
// goroutine it started is left behind.
func RunConformance(t *testing.T, h Harness) {
	if h.NewClient == nil || h.NewServer == nil {
		t.Fatal("networktest: Harness needs NewClient and NewServer")
	}
	cases := []struct {
		name string
		run  func(*testing.T, Harness)
	}{
		{"ConnectEcho", testConnectEcho},
		{"FrameOrder", testFrameOrder},
		{"ConcurrentSend", testConcurrentSend},
		{"FramesOwned", testFramesOwned},
		{"CloseConcurrent", testCloseConcurrent},
		{"SendAfterClose", testSendAfterClose},
		{"CloseBeforeConnect", testCloseBeforeConnect},
		{"ConnectTwice", testConnectTwice},
		{"PeerClose", testPeerClose},
		{"LocalClose", testLocalClose},
		{"AbruptDrop", testAbruptDrop},
		{"ReadLimit", testReadLimit},
		{"RefusedUpgrade", testRefusedUpgrade},
		{"PingPong", testPingPong},
		{"PingHonoursContext", testPingHonoursContext},
		{"CancelledSendNotWritten", testCancelledSendNotWritten},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// Registered first, so it runs after every other cleanup.
			ignore := goleak.IgnoreCurrent()
			t.Cleanup(func() { goleak.VerifyNone(t, ignore) })
			c.run(t, h)
		})
	}
}

func caseContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), caseTimeout)
	t.Cleanup(cancel)
	return ctx
}

// dial connects a fresh client to srv and returns it with the server side.
// The client is closed in t.Cleanup.
func dial(t *testing.T, ctx context.Context, h Harness, srv Server, opts ClientOptions) (network.WebSocketClient, ServerConn) {
	t.Helper()
	c := h.NewClient(t, srv, opts)
	header := http.Header{"X-Conformance": {t.Name()}}
	if err := c.Connect(ctx, srv.URL(), header); err != nil {
		t.Fatalf("Connect: %v", err)
	}
	t.Cleanup(func() { c.Close(network.CloseNormal, "") })
	sc, err := srv.Accept(ctx)
	if err != nil {
		t.Fatalf("Accept: %v", err)
	}
	// Drop first: a client closing towards a server that no longer reads
	// would wait out its close timeout.
	t.Cleanup(func() {
		sc.Drop()
		c.Close(network.CloseNormal, "")
	})
	if got := sc.Header().Get("X-Conformance"); got != t.Name() {
		t.Errorf("server saw header X-Conformance %q, want %q", got, t.Name())
	}
	return c, sc
}

func connected(t *testing.T, h Harness, opts ClientOptions) (context.Context, network.WebSocketClient, ServerConn) {
	t.Helper()
	ctx := caseContext(t)
	srv := h.NewServer(t, ServerOptions{})
	c, sc := dial(t, ctx, h, srv, opts)
	return ctx, c, sc
}

// recvFrame returns the client's next inbound frame.
func recvFrame(t *testing.T, ctx context.Context, c network.WebSocketClient) []byte {
	t.Helper()
	select {
	case f, ok := <-c.Frames():
		if !ok {
			t.Fatalf("Frames closed early; Err = %v", c.Err())
		}
		return f
	case <-ctx.Done():
		t.Fatal("timed out waiting for a frame")
	}
	return nil
}

// awaitEnd drains Frames until it is closed, checks that Done follows, and
// returns Err.
func awaitEnd(t *testing.T, ctx context.Context, c network.WebSocketClient) error {
	t.Helper()
	for {
		select {
		case _, ok := <-c.Frames():
			if ok {
				continue
			}
		case <-ctx.Done():
			t.Fatal("timed out waiting for Frames to close")
		}
		break
	}
	select {
	case <-c.Done():
	case <-ctx.Done():
		t.Fatal("Frames closed but Done did not follow")
	}
	return c.Err()
}

// closeWithin calls c.Close and fails the test if it does not return
// before ctx ends.
func closeWithin(t *testing.T, ctx context.Context, c network.WebSocketClient, code int, reason string) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- c.Close(code, reason) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		t.Fatal("Close did not return")
	}
	return nil
}

// waitWithin waits for wg and fails the test if ctx ends first.
func waitWithin(t *testing.T, ctx context.Context, what string, wg *sync.WaitGroup) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		t.Fatalf("%s did not return", what)
	}
}

func asCloseError(t *testing.T, err error) *network.CloseError {
	t.Helper()
	var ce *network.CloseError
	if !errors.As(err, &ce) {
		t.Fatalf("error %v (%T) is not a *network.CloseError", err, err)
	}
	return ce
}

// serveEcho answers every frame with itself until the connection ends.
func serveEcho(ctx context.Context, sc ServerConn) <-chan error {
	done := make(chan error, 1)
	go func() {
		for {
			f, err := sc.ReadFrame(ctx)
			if err != nil {
				done <- err
				return
			}
			if err := sc.WriteFrame(ctx, f); err != nil {
				done <- err
				return
			}
		}
	}()
	return done
}
