package wsconn_test

import (
	"context"
	"errors"
	"testing"

	"github.com/chatwire/chatwire/core/network/internal/wsconn"
)

func TestPingPong(t *testing.T) {
	s := newFakeSocket()
	s.pings = make(chan []byte, 1)
	c := openConn(t, 1, s)
	var pongs wsconn.Pongs
	go func() {
		p := <-s.pings
		pongs.Resolve("not eight")                        // ignored: wrong length
		pongs.Resolve("\xff\xff\xff\xff\xff\xff\xff\xff") // ignored: nobody waits
		pongs.Resolve(string(p))
	}()
	if err := c.Ping(t.Context(), &pongs); err != nil {
		t.Fatalf("Ping = %v", err)
	}
}

func TestPingCtxEnds(t *testing.T) {
	s := newFakeSocket()
	s.pings = make(chan []byte, 1)
	c := openConn(t, 1, s)
	ctx, cancel := context.WithCancel(t.Context())
	go func() { <-s.pings; cancel() }() // no pong
	if err := c.Ping(ctx, new(wsconn.Pongs)); !errors.Is(err, context.Canceled) {
		t.Fatalf("Ping = %v, want context.Canceled", err)
	}
}

func TestPingConnectionEnds(t *testing.T) {
	s := newFakeSocket()
	s.pings = make(chan []byte, 1)
	c := openConn(t, 1, s)
	go func() { <-s.pings; close(s.hangUp) }() // no pong; the peer hangs up
	if err := c.Ping(t.Context(), new(wsconn.Pongs)); !errors.Is(err, errClosed) {
		t.Fatalf("Ping = %v, want errClosed", err)
	}
}
