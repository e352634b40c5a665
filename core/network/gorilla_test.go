package network_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"go.uber.org/goleak"

	"github.com/chatwire/chatwire/core/network"
	"github.com/chatwire/chatwire/core/network/networktest"
)

// gorillaLeakCheck verifies, after every other cleanup of t, that no
// goroutine started during t is left.
func gorillaLeakCheck(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, ignore) })
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// echoHandler upgrades and echoes every message until the client leaves.
func echoHandler(up websocket.Upgrader) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		for {
			typ, data, err := c.ReadMessage()
			if err != nil {
				return
			}
			if err := c.WriteMessage(typ, data); err != nil {
				return
			}
		}
	}
}

func wsURL(httpURL string) string { return "ws" + strings.TrimPrefix(httpURL, "http") }

// roundTrip sends msg and waits for its echo.
func roundTrip(t *testing.T, ctx context.Context, c *network.GorillaClient, msg string) {
	t.Helper()
	if err := c.Send(ctx, []byte(msg)); err != nil {
		t.Fatalf("Send: %v", err)
	}
	select {
	case got := <-c.Frames():
		if string(got) != msg {
			t.Fatalf("echo = %q, want %q", got, msg)
		}
	case <-ctx.Done():
		t.Fatal("no echo")
	}
}

func TestGorillaSendBeforeConnect(t *testing.T) {
	c := network.NewGorillaClient(network.GorillaOptions{})
	if err := c.Send(context.Background(), []byte("x")); !errors.Is(err, network.ErrNotConnected) {
		t.Errorf("Send before Connect = %v, want ErrNotConnected", err)
	}
	if err := c.Ping(context.Background()); !errors.Is(err, network.ErrNotConnected) {
		t.Errorf("Ping before Connect = %v, want ErrNotConnected", err)
	}
}

func TestGorillaWriteTimeoutEndsConnection(t *testing.T) {
	gorillaLeakCheck(t)
	ctx := testContext(t)
	srv := networktest.NewLoopbackServer(t, networktest.ServerOptions{})
	c := network.NewGorillaClient(network.GorillaOptions{WriteTimeout: 50 * time.Millisecond, CloseTimeout: 50 * time.Millisecond})
	if err := c.Connect(ctx, srv.URL(), nil); err != nil {
		t.Fatal(err)
	}
	defer c.Close(network.CloseNormal, "")
	sc, err := srv.Accept(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Drop()
	// The server never reads: a frame larger than the socket buffers
	// cannot be written within the timeout.
	err = c.Send(ctx, bytes.Repeat([]byte("x"), 64<<20))
	if !errors.Is(err, network.ErrClosed) {
		t.Fatalf("Send past the write timeout = %v, want an error matching ErrClosed", err)
	}
	<-c.Done()
	ce := new(network.CloseError)
	if !errors.As(c.Err(), &ce) || ce.Code != network.CloseAbnormal || ce.Err == nil {
		t.Errorf("Err = %v, want 1006 with the write error", c.Err())
	}
}

func TestGorillaCloseTimeout(t *testing.T) {
	gorillaLeakCheck(t)
	ctx := testContext(t)
	srv := networktest.NewLoopbackServer(t, networktest.ServerOptions{})
	c := network.NewGorillaClient(network.GorillaOptions{CloseTimeout: 50 * time.Millisecond})
	if err := c.Connect(ctx, srv.URL(), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Accept(ctx); err != nil {
		t.Fatal(err)
	}
	// The server never reads, so it never answers the close frame.
	c.Close(network.CloseNormal, "bye")
	select {
	case <-c.Done():
	default:
		t.Fatal("Close returned before Done")
	}
	ce := new(network.CloseError)
	if !errors.As(c.Err(), &ce) || !ce.Local || ce.Code != network.CloseNormal {
		t.Errorf("Err = %v, want local 1000", c.Err())
	}
}

func TestGorillaCloseReasonTruncated(t *testing.T) {
	gorillaLeakCheck(t)
	ctx := testContext(t)
	srv := networktest.NewLoopbackServer(t, networktest.ServerOptions{})
	c := network.NewGorillaClient(network.GorillaOptions{})
	if err := c.Connect(ctx, srv.URL(), nil); err != nil {
		t.Fatal(err)
	}
	sc, err := srv.Accept(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan error, 1)
	go func() {
		_, err := sc.ReadFrame(ctx)
		got <- err
	}()
	reason := strings.Repeat("é", 100) // 200 bytes: over the 123 a close frame holds
	c.Close(network.CloseNormal, reason)
	ce := new(network.CloseError)
	if !errors.As(<-got, &ce) || ce.Code != network.CloseNormal {
		t.Fatalf("server saw %v, want close 1000", ce)
	}
	if len(ce.Reason) > 123 || !strings.HasPrefix(reason, ce.Reason) || len(ce.Reason) < 120 {
		t.Errorf("server saw a reason of %d bytes, want the longest whole-rune prefix within 123", len(ce.Reason))
	}
}

func TestGorillaCompression(t *testing.T) {
	gorillaLeakCheck(t)
	ctx := testContext(t)
	srv := httptest.NewServer(echoHandler(websocket.Upgrader{EnableCompression: true}))
	t.Cleanup(srv.Close)
	c := network.NewGorillaClient(network.GorillaOptions{EnableCompression: true})
	if err := c.Connect(ctx, wsURL(srv.URL), nil); err != nil {
		t.Fatal(err)
	}
	defer c.Close(network.CloseNormal, "")
	roundTrip(t, ctx, c, strings.Repeat(`{"type":"chat.message"}`, 100))
}

// syncBuffer is a bytes.Buffer safe for the logger's concurrent writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestGorillaLogsNoToken(t *testing.T) {
	gorillaLeakCheck(t)
	ctx := testContext(t)
	srv := httptest.NewServer(echoHandler(websocket.Upgrader{}))
	t.Cleanup(srv.Close)
	var logs syncBuffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	const secret = "very-secret-token"
	c := network.NewGorillaClient(network.GorillaOptions{Logger: logger})
	header := http.Header{"Authorization": {"Bearer " + secret}}
	if err := c.Connect(ctx, wsURL(srv.URL)+"/chat?token="+secret, header); err != nil {
		t.Fatal(err)
	}
	roundTrip(t, ctx, c, "hi")
	c.Close(network.CloseNormal, "")
	out := logs.String()
	if !strings.Contains(out, "network: connected") {
		t.Errorf("no debug log of the connection:\n%s", out)
	}
	if strings.Contains(out, secret) {
		t.Errorf("logs leak the token:\n%s", out)
	}
}

// TestGorillaOversizedMultiFrameMessage checks the read limit on a message
// split into many small frames, which no single frame header gives away.
func TestGorillaOversizedMultiFrameMessage(t *testing.T) {
	gorillaLeakCheck(t)
	ctx := testContext(t)
	closeCode := make(chan int, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := (&websocket.Upgrader{}).Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer ws.Close()
		wr, _ := ws.NextWriter(websocket.TextMessage)
		bw := bufio.NewWriterSize(wr, 100) // flushes a frame every 100 bytes
		bw.Write(bytes.Repeat([]byte("m"), 4096))
		bw.Flush()
		wr.Close()
		_, _, err = ws.ReadMessage()
		ce := new(websocket.CloseError)
		if errors.As(err, &ce) {
			closeCode <- ce.Code
		}
		close(closeCode)
	}))
	t.Cleanup(srv.Close)
	c := network.NewGorillaClient(network.GorillaOptions{ReadLimit: 1000})
	if err := c.Connect(ctx, wsURL(srv.URL), nil); err != nil {
		t.Fatal(err)
	}
	defer c.Close(network.CloseNormal, "")
	for f := range c.Frames() {
		t.Errorf("delivered a %d-byte frame over the limit", len(f))
	}
	<-c.Done()
	if !errors.Is(c.Err(), network.ErrFrameTooLarge) {
		t.Errorf("Err = %v, want ErrFrameTooLarge", c.Err())
	}
	if code := <-closeCode; code != websocket.CloseMessageTooBig {
		t.Errorf("server saw close code %d, want 1009", code)
	}
}

// TestGorillaConnectCloseCycles opens and closes many connections in a row,
// half closed by us and half by the server, and checks that none leaves a
// goroutine behind.
func TestGorillaConnectCloseCycles(t *testing.T) {
	gorillaLeakCheck(t)
	ctx := testContext(t)
	srv := networktest.NewLoopbackServer(t, networktest.ServerOptions{})
	for i := range 200 {
		c := network.NewGorillaClient(network.GorillaOptions{})
		if err := c.Connect(ctx, srv.URL(), nil); err != nil {
			t.Fatalf("cycle %d: Connect: %v", i, err)
		}
		sc, err := srv.Accept(ctx)
		if err != nil {
			t.Fatalf("cycle %d: Accept: %v", i, err)
		}
		if i%2 == 0 {
			go sc.ReadFrame(ctx) // answers our close
			c.Close(network.CloseNormal, "")
		} else {
			sc.Close(network.CloseGoingAway, "restart")
			<-c.Done()
			c.Close(network.CloseNormal, "")
		}
		if c.Err() == nil {
			t.Fatalf("cycle %d: Err is nil after the connection ended", i)
		}
	}
}
