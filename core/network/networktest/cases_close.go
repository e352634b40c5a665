package networktest

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/chatwire/chatwire/core/network"
)

func testCloseConcurrent(t *testing.T, h Harness) {
	ctx, c, sc := connected(t, h, ClientOptions{})
	echo := serveEcho(ctx, sc)

	drained := make(chan struct{})
	echoed := make(chan struct{})
	go func() {
		defer close(drained)
		first := true
		for range c.Frames() {
			if first {
				close(echoed)
				first = false
			}
		}
	}()
	var closed atomic.Bool
	var senders sync.WaitGroup
	for range 4 {
		senders.Add(1)
		go func() {
			defer senders.Done()
			for {
				wasClosed := closed.Load()
				err := c.Send(ctx, []byte("x"))
				if err == nil {
					if wasClosed {
						t.Error("Send succeeded after Close returned")
						return
					}
					continue
				}
				if !errors.Is(err, network.ErrClosed) {
					t.Errorf("Send during/after Close = %v, want ErrClosed", err)
				}
				return
			}
		}()
	}
	select {
	case <-echoed:
	case <-ctx.Done():
		t.Fatal("no echo arrived")
	}
	var closers sync.WaitGroup
	for range 8 {
		closers.Add(1)
		go func() {
			defer closers.Done()
			c.Close(network.CloseNormal, "bye")
			closed.Store(true)
			select {
			case <-c.Done():
			default:
				t.Error("Close returned before Done was closed")
			}
		}()
	}
	waitWithin(t, ctx, "Close", &closers)
	waitWithin(t, ctx, "Send", &senders)
	select {
	case <-drained:
	case <-ctx.Done():
		t.Fatal("Frames not closed after Close returned")
	}
	ce := asCloseError(t, c.Err())
	if !ce.Local || ce.Code != network.CloseNormal || ce.Reason != "bye" {
		t.Errorf("Err = %+v, want local 1000 \"bye\"", ce)
	}
	if err := c.Close(network.CloseNormal, "again"); err != nil {
		t.Errorf("second Close = %v", err)
	}
	if ce2 := asCloseError(t, c.Err()); ce2.Reason != "bye" {
		t.Errorf("a later Close changed Err to %+v", ce2)
	}
	<-echo
}

func testSendAfterClose(t *testing.T, h Harness) {
	ctx, c, sc := connected(t, h, ClientOptions{})
	echo := serveEcho(ctx, sc)
	closeWithin(t, ctx, c, network.CloseNormal, "")
	<-echo
	if err := c.Send(ctx, []byte("late")); !errors.Is(err, network.ErrClosed) {
		t.Errorf("Send after Close = %v, want ErrClosed", err)
	}
	if err := c.Ping(ctx); !errors.Is(err, network.ErrClosed) {
		t.Errorf("Ping after Close = %v, want ErrClosed", err)
	}
	if _, ok := <-c.Frames(); ok {
		t.Error("Frames delivered a frame after Close")
	}
	select {
	case <-c.Done():
	default:
		t.Error("Done open after Close returned")
	}
}

func testCloseBeforeConnect(t *testing.T, h Harness) {
	ctx := caseContext(t)
	srv := h.NewServer(t, ServerOptions{})
	c := h.NewClient(t, srv, ClientOptions{})
	if err := c.Close(network.CloseNormal, ""); err != nil {
		t.Errorf("Close on an unconnected client = %v", err)
	}
	if err := c.Connect(ctx, srv.URL(), nil); err == nil {
		t.Error("Connect after Close succeeded")
		c.Close(network.CloseNormal, "")
	}
}

func testConnectTwice(t *testing.T, h Harness) {
	ctx := caseContext(t)
	srv := h.NewServer(t, ServerOptions{})
	c, _ := dial(t, ctx, h, srv, ClientOptions{})
	if err := c.Connect(ctx, srv.URL(), nil); err == nil {
		t.Error("second Connect succeeded")
	}
}

func testPeerClose(t *testing.T, h Harness) {
	cases := []struct {
		code         int
		reason       string
		unauthorized bool
		tooLarge     bool
	}{
		{network.CloseNormal, "bye", false, false},
		{network.CloseUnauthorized, "token expired", true, false},
		{network.ClosePolicy, "rate limited", false, false},
		{network.CloseFrameTooLarge, "frame too large", false, true},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprint(tc.code), func(t *testing.T) {
			ctx, c, sc := connected(t, h, ClientOptions{})
			if err := sc.Close(tc.code, tc.reason); err != nil {
				t.Fatalf("server Close: %v", err)
			}
			err := awaitEnd(t, ctx, c)
			ce := asCloseError(t, err)
			if ce.Local || ce.Code != tc.code || ce.Reason != tc.reason {
				t.Errorf("Err = %+v, want peer close %d %q", ce, tc.code, tc.reason)
			}
			if got := errors.Is(err, network.ErrUnauthorized); got != tc.unauthorized {
				t.Errorf("errors.Is(Err, ErrUnauthorized) = %v, want %v", got, tc.unauthorized)
			}
			if got := errors.Is(err, network.ErrFrameTooLarge); got != tc.tooLarge {
				t.Errorf("errors.Is(Err, ErrFrameTooLarge) = %v, want %v", got, tc.tooLarge)
			}
			if err := c.Send(ctx, []byte("late")); !errors.Is(err, network.ErrClosed) {
				t.Errorf("Send after peer close = %v, want ErrClosed", err)
			}
		})
	}
}

func testLocalClose(t *testing.T, h Harness) {
	ctx, c, sc := connected(t, h, ClientOptions{})
	got := make(chan error, 1)
	go func() {
		_, err := sc.ReadFrame(ctx)
		got <- err
	}()
	if err := closeWithin(t, ctx, c, network.CloseGoingAway, "client leaving"); err != nil {
		t.Errorf("Close = %v", err)
	}
	ce := asCloseError(t, c.Err())
	if !ce.Local || ce.Code != network.CloseGoingAway || ce.Reason != "client leaving" {
		t.Errorf("Err = %+v, want local 1001 \"client leaving\"", ce)
	}
	sce := asCloseError(t, <-got)
	if sce.Code != network.CloseGoingAway || sce.Reason != "client leaving" {
		t.Errorf("server saw %+v, want 1001 \"client leaving\"", sce)
	}
}

func testAbruptDrop(t *testing.T, h Harness) {
	ctx, c, sc := connected(t, h, ClientOptions{})
	if err := sc.WriteFrame(ctx, []byte("last words")); err != nil {
		t.Fatal(err)
	}
	if got := recvFrame(t, ctx, c); string(got) != "last words" {
		t.Fatalf("got %q", got)
	}
	sc.Drop()
	ce := asCloseError(t, awaitEnd(t, ctx, c))
	if ce.Code != network.CloseAbnormal || ce.Local {
		t.Errorf("Err = %+v, want peer 1006", ce)
	}
}

func testReadLimit(t *testing.T, h Harness) {
	const limit = 1024
	ctx, c, sc := connected(t, h, ClientOptions{ReadLimit: limit})
	if err := sc.WriteFrame(ctx, bytes.Repeat([]byte("a"), limit)); err != nil {
		t.Fatal(err)
	}
	if got := recvFrame(t, ctx, c); len(got) != limit {
		t.Fatalf("frame at the limit: got %d bytes, want %d", len(got), limit)
	}
	serverErr := make(chan error, 1)
	go func() {
		if err := sc.WriteFrame(ctx, bytes.Repeat([]byte("b"), limit+1)); err != nil {
			serverErr <- err
			return
		}
		_, err := sc.ReadFrame(ctx)
		serverErr <- err
	}()
	for {
		var f []byte
		ok := true
		select {
		case f, ok = <-c.Frames():
		case <-ctx.Done():
			t.Fatal("Frames not closed after an oversized frame")
		}
		if !ok {
			break
		}
		t.Errorf("frame of %d bytes delivered past the read limit", len(f))
	}
	select {
	case <-c.Done():
	case <-ctx.Done():
		t.Fatal("Done not closed after an oversized frame")
	}
	err := c.Err()
	if !errors.Is(err, network.ErrFrameTooLarge) {
		t.Errorf("Err = %v, want ErrFrameTooLarge", err)
	}
	if ce := asCloseError(t, err); ce.Code != network.CloseMessageTooBig || !ce.Local {
		t.Errorf("Err = %+v, want local 1009", ce)
	}
	sce := asCloseError(t, <-serverErr)
	if sce.Code != network.CloseMessageTooBig {
		t.Errorf("server saw close %+v, want 1009", sce)
	}
}

func testRefusedUpgrade(t *testing.T, h Harness) {
	for _, status := range []int{http.StatusUnauthorized, http.StatusForbidden, http.StatusServiceUnavailable} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			ctx := caseContext(t)
			srv := h.NewServer(t, ServerOptions{RefuseStatus: status})
			c := h.NewClient(t, srv, ClientOptions{})
			const secret = "s3cret-t0ken"
			err := c.Connect(ctx, srv.URL()+"?token="+secret, http.Header{"Authorization": {"Bearer " + secret}})
			if err == nil {
				c.Close(network.CloseNormal, "")
				t.Fatal("Connect succeeded against a refusing server")
			}
			var de *network.DialError
			if !errors.As(err, &de) || de.StatusCode != status {
				t.Fatalf("Connect = %v (%T), want *network.DialError with status %d", err, err, status)
			}
			if got, want := errors.Is(err, network.ErrUnauthorized), status == http.StatusUnauthorized; got != want {
				t.Errorf("errors.Is(err, ErrUnauthorized) = %v, want %v", got, want)
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("dial error leaks the token: %v", err)
			}
			c.Close(network.CloseNormal, "")
		})
	}
}
