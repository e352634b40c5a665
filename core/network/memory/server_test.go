package memory_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/chatwire/chatwire/core/network"
	"github.com/chatwire/chatwire/core/network/memory"
)

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// echo serves a connection by echoing every frame.
func echo(c *memory.ServerConn) {
	ctx := context.Background()
	for {
		f, err := c.ReadFrame(ctx)
		if err != nil {
			return
		}
		if c.WriteFrame(ctx, f) != nil {
			return
		}
	}
}

func TestHandlerAndUpgrade(t *testing.T) {
	ctx := testContext(t)
	var seen *memory.Request
	srv := memory.NewServer(memory.ServerOptions{
		Handler: echo,
		Upgrade: func(r *memory.Request) int {
			seen = r
			if r.Header.Get("Authorization") != "Bearer good" {
				return http.StatusUnauthorized
			}
			return 0
		},
	})
	defer srv.Close()

	bad := memory.NewClient(srv, memory.Options{})
	err := bad.Connect(ctx, srv.URL()+"?v=1", http.Header{"Authorization": {"Bearer bad"}})
	if !errors.Is(err, network.ErrUnauthorized) {
		t.Fatalf("Connect with a bad token = %v, want ErrUnauthorized", err)
	}
	if seen == nil || seen.URL != srv.URL()+"?v=1" {
		t.Fatalf("Upgrade saw %+v, want the dialled URL", seen)
	}

	c := memory.NewClient(srv, memory.Options{})
	if err := c.Connect(ctx, srv.URL(), http.Header{"Authorization": {"Bearer good"}}); err != nil {
		t.Fatal(err)
	}
	defer c.Close(network.CloseNormal, "")
	if err := c.Send(ctx, []byte("hi")); err != nil {
		t.Fatal(err)
	}
	if got := <-c.Frames(); string(got) != "hi" {
		t.Fatalf("echo = %q", got)
	}
	if _, err := srv.Accept(ctx); err == nil {
		t.Error("Accept on a server with a Handler succeeded")
	}
}

func TestServerCloseDropsClients(t *testing.T) {
	ctx := testContext(t)
	srv := memory.NewServer(memory.ServerOptions{Handler: echo})
	c := memory.NewClient(srv, memory.Options{})
	if err := c.Connect(ctx, srv.URL(), nil); err != nil {
		t.Fatal(err)
	}
	srv.Close() // also waits for the handler
	<-c.Done()
	var ce *network.CloseError
	if !errors.As(c.Err(), &ce) || ce.Code != network.CloseAbnormal {
		t.Errorf("Err after the server closed = %v, want 1006", c.Err())
	}
	late := memory.NewClient(srv, memory.Options{})
	var de *network.DialError
	if err := late.Connect(ctx, srv.URL(), nil); !errors.As(err, &de) {
		t.Errorf("Connect to a closed server = %v, want *DialError", err)
	}
}

func TestWriteTimeoutEndsConnection(t *testing.T) {
	ctx := testContext(t)
	srv := memory.NewServer(memory.ServerOptions{})
	defer srv.Close()
	c := memory.NewClient(srv, memory.Options{WriteTimeout: 20 * time.Millisecond, CloseTimeout: 20 * time.Millisecond})
	if err := c.Connect(ctx, srv.URL(), nil); err != nil {
		t.Fatal(err)
	}
	defer c.Close(network.CloseNormal, "")
	if _, err := srv.Accept(ctx); err != nil { // and never read
		t.Fatal(err)
	}
	big := make([]byte, 1<<20)
	var err error
	for i := 0; i < 3 && err == nil; i++ {
		err = c.Send(ctx, big) // the first fills the buffer; a later one times out
	}
	if !errors.Is(err, network.ErrClosed) {
		t.Fatalf("Send to a server that never reads = %v, want an error matching ErrClosed", err)
	}
	<-c.Done()
	var ce *network.CloseError
	if !errors.As(c.Err(), &ce) || ce.Code != network.CloseAbnormal {
		t.Errorf("Err = %v, want 1006", c.Err())
	}
}

func TestServerSeesClientCloseAfterReadFrame(t *testing.T) {
	ctx := testContext(t)
	srv := memory.NewServer(memory.ServerOptions{})
	defer srv.Close()
	c := memory.NewClient(srv, memory.Options{})
	if err := c.Connect(ctx, srv.URL(), nil); err != nil {
		t.Fatal(err)
	}
	sc, err := srv.Accept(ctx)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := sc.ReadFrame(ctx)
		done <- err
	}()
	c.Close(4000, "done here")
	first := <-done
	_, again := sc.ReadFrame(ctx)
	for _, err := range []error{first, again} {
		var ce *network.CloseError
		if !errors.As(err, &ce) || ce.Code != 4000 || ce.Reason != "done here" {
			t.Errorf("ReadFrame after the client closed = %v, want close 4000 \"done here\"", err)
		}
	}
	if err := sc.WriteFrame(ctx, []byte("late")); err == nil {
		t.Error("WriteFrame after the connection closed succeeded")
	}
}

func TestCloseAbortsDialWaitingForAccept(t *testing.T) {
	srv := memory.NewServer(memory.ServerOptions{}) // no Handler, nobody calls Accept
	defer srv.Close()
	ctx := testContext(t)
	// Fill the accept queue: the next dial waits for Accept.
	var queued []*memory.Client
	for {
		c := memory.NewClient(srv, memory.Options{CloseTimeout: time.Millisecond})
		res := make(chan error, 1)
		go func() { res <- c.Connect(ctx, "mem://chat", nil) }()
		select {
		case err := <-res:
			if err != nil {
				t.Fatalf("Connect %d: %v", len(queued)+1, err)
			}
			queued = append(queued, c)
			continue
		case <-time.After(50 * time.Millisecond):
		}
		c.Close(network.CloseNormal, "")
		select {
		case err := <-res:
			if !errors.Is(err, network.ErrClosed) {
				t.Fatalf("Connect = %v, want ErrClosed", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("Connect still waits for Accept after Close")
		}
		break
	}
	srv.Close()
	for _, c := range queued {
		c.Close(network.CloseNormal, "")
	}
}
