package coderws_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chatwire/chatwire/core/network"
	"github.com/chatwire/chatwire/core/network/coderws"
	"github.com/chatwire/chatwire/core/network/networktest"
)

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// silentListener accepts TCP connections and never answers: a server that
// hangs in the handshake.
func silentListener(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu    sync.Mutex
		conns []net.Conn
		wg    sync.WaitGroup
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return "ws://" + ln.Addr().String() + "/chat"
}

func TestConnectRejectsMalformedURL(t *testing.T) {
	ctx := testContext(t)
	for _, u := range []string{"http://example.com/chat", "ws://", "::not a url", "memory://chatwire/ws"} {
		c := coderws.NewClient(coderws.Options{})
		err := c.Connect(ctx, u, nil)
		var de *network.DialError
		if !errors.As(err, &de) || de.StatusCode != 0 {
			t.Errorf("Connect(%q) = %v, want *network.DialError without status", u, err)
		}
		select {
		case <-c.Done():
		default:
			t.Errorf("Connect(%q) failed but Done is open", u)
		}
		if !errors.Is(c.Err(), err) {
			t.Errorf("Err = %v, want the dial error", c.Err())
		}
		c.Close(network.CloseNormal, "")
	}
}

func TestConnectHonoursContextAndDialTimeout(t *testing.T) {
	url := silentListener(t)
	t.Run("ctx", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(testContext(t), 50*time.Millisecond)
		defer cancel()
		c := coderws.NewClient(coderws.Options{})
		err := c.Connect(ctx, url, nil)
		var de *network.DialError
		if !errors.As(err, &de) || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Connect to a silent server = %v, want a *network.DialError matching context.DeadlineExceeded", err)
		}
	})
	t.Run("DialTimeout", func(t *testing.T) {
		c := coderws.NewClient(coderws.Options{DialTimeout: 50 * time.Millisecond})
		if err := c.Connect(testContext(t), url, nil); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Connect to a silent server = %v, want context.DeadlineExceeded", err)
		}
	})
	t.Run("Close", func(t *testing.T) {
		c := coderws.NewClient(coderws.Options{})
		got := make(chan error, 1)
		go func() { got <- c.Connect(testContext(t), url, nil) }()
		time.Sleep(20 * time.Millisecond) // let the dial start; either order must end Connect
		c.Close(network.CloseNormal, "")
		if err := <-got; err == nil {
			t.Fatal("Connect succeeded against a silent server")
		}
		ce := new(network.CloseError)
		if !errors.As(c.Err(), &ce) || !ce.Local {
			t.Errorf("Err = %v, want the local close", c.Err())
		}
	})
}

func TestSendAndPingBeforeConnect(t *testing.T) {
	ctx := testContext(t)
	c := coderws.NewClient(coderws.Options{})
	defer c.Close(network.CloseNormal, "")
	if err := c.Send(ctx, []byte("early")); !errors.Is(err, network.ErrNotConnected) {
		t.Errorf("Send before Connect = %v, want ErrNotConnected", err)
	}
	if err := c.Ping(ctx); !errors.Is(err, network.ErrNotConnected) {
		t.Errorf("Ping before Connect = %v, want ErrNotConnected", err)
	}
}

// A server that stops reading never answers our close frame: Close gives up
// after CloseTimeout and still ends with our code.
func TestCloseTimeoutAgainstStalledServer(t *testing.T) {
	ctx := testContext(t)
	srv := networktest.NewLoopbackServer(t, networktest.ServerOptions{})
	c := coderws.NewClient(coderws.Options{CloseTimeout: 50 * time.Millisecond})
	if err := c.Connect(ctx, srv.URL(), nil); err != nil {
		t.Fatal(err)
	}
	sc, err := srv.Accept(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Drop()
	done := make(chan struct{})
	go func() {
		c.Close(network.ClosePolicy, "stalled")
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		t.Fatal("Close did not return against a server that never answers")
	}
	var ce *network.CloseError
	if !errors.As(c.Err(), &ce) || !ce.Local || ce.Code != network.ClosePolicy || ce.Reason != "stalled" {
		t.Errorf("Err = %v, want local 4008 \"stalled\"", c.Err())
	}
}

// Debug logs name the host and path but never the token, whether it rides
// in the query or in the Authorization header.
func TestLogsKeepTokensOut(t *testing.T) {
	const secret = "t0ken-s3cret"
	ctx := testContext(t)
	var buf bytes.Buffer
	var mu sync.Mutex
	logger := slog.New(slog.NewTextHandler(lockedWriter{&mu, &buf}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	header := http.Header{"Authorization": {"Bearer " + secret}}

	refusing := networktest.NewLoopbackServer(t, networktest.ServerOptions{RefuseStatus: http.StatusUnauthorized})
	c := coderws.NewClient(coderws.Options{Logger: logger})
	err := c.Connect(ctx, refusing.URL()+"?token="+secret, header)
	if !errors.Is(err, network.ErrUnauthorized) {
		t.Fatalf("Connect = %v, want ErrUnauthorized", err)
	}

	srv := networktest.NewLoopbackServer(t, networktest.ServerOptions{})
	c = coderws.NewClient(coderws.Options{Logger: logger})
	if err := c.Connect(ctx, srv.URL()+"?token="+secret, header); err != nil {
		t.Fatal(err)
	}
	sc, err := srv.Accept(ctx)
	if err != nil {
		t.Fatal(err)
	}
	go sc.ReadFrame(ctx) // answers our close
	c.Close(network.CloseNormal, "")

	mu.Lock()
	out := buf.String()
	mu.Unlock()
	for _, want := range []string{"coderws: dial failed", "coderws: connected", "coderws: closing"} {
		if !strings.Contains(out, want) {
			t.Errorf("logs lack %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, secret) {
		t.Errorf("logs leak the token:\n%s", out)
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
