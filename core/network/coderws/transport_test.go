package coderws_test

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/chatwire/chatwire/core/network"
	"github.com/chatwire/chatwire/core/network/coderws"
	"github.com/chatwire/chatwire/core/network/networktest"
)

// wss:// goes through TLSConfig, and the handshake stays on HTTP/1.1 even
// against a server that offers HTTP/2.
func TestTLS(t *testing.T) {
	ctx := testContext(t)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer ws.CloseNow()
		for {
			typ, msg, err := ws.Read(r.Context())
			if err != nil {
				return
			}
			if ws.Write(r.Context(), typ, msg) != nil {
				return
			}
		}
	}))
	srv.EnableHTTP2 = true
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the untrusted case fails the TLS handshake
	srv.StartTLS()
	defer srv.Close()
	roots := x509.NewCertPool()
	roots.AddCert(srv.Certificate())
	url := "wss" + strings.TrimPrefix(srv.URL, "https") + "/chat"

	t.Run("untrusted", func(t *testing.T) {
		c := coderws.NewClient(coderws.Options{})
		err := c.Connect(ctx, url, nil)
		var de *network.DialError
		if !errors.As(err, &de) {
			t.Fatalf("Connect with an unknown certificate = %v, want a *network.DialError", err)
		}
	})
	t.Run("trusted", func(t *testing.T) {
		c := coderws.NewClient(coderws.Options{TLSConfig: &tls.Config{RootCAs: roots}})
		if err := c.Connect(ctx, url, nil); err != nil {
			t.Fatalf("Connect over TLS: %v", err)
		}
		defer c.Close(network.CloseNormal, "")
		if err := c.Send(ctx, []byte("over tls")); err != nil {
			t.Fatal(err)
		}
		select {
		case f := <-c.Frames():
			if string(f) != "over tls" {
				t.Fatalf("echo = %q", f)
			}
		case <-ctx.Done():
			t.Fatal("no echo")
		}
		if err := c.Ping(ctx); err != nil {
			t.Fatalf("Ping over TLS: %v", err)
		}
	})
}

// A write that cannot finish within WriteTimeout ends the connection: Send
// reports ErrClosed and Err an abnormal closure.
func TestWriteTimeoutEndsConnection(t *testing.T) {
	ctx := testContext(t)
	srv := networktest.NewLoopbackServer(t, networktest.ServerOptions{})
	c := coderws.NewClient(coderws.Options{WriteTimeout: 100 * time.Millisecond})
	if err := c.Connect(ctx, srv.URL(), nil); err != nil {
		t.Fatal(err)
	}
	defer c.Close(network.CloseNormal, "")
	sc, err := srv.Accept(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Drop() // the server never reads: the socket buffers fill up
	err = c.Send(ctx, bytes.Repeat([]byte("x"), 32<<20))
	if !errors.Is(err, network.ErrClosed) {
		t.Fatalf("Send to a server that stopped reading = %v, want ErrClosed", err)
	}
	select {
	case <-c.Done():
	case <-ctx.Done():
		t.Fatal("Done not closed after a write timed out")
	}
	var ce *network.CloseError
	if !errors.As(c.Err(), &ce) || ce.Code != network.CloseAbnormal || ce.Local {
		t.Errorf("Err = %v, want peer 1006", c.Err())
	}
	if err := c.Send(ctx, []byte("late")); !errors.Is(err, network.ErrClosed) {
		t.Errorf("Send after the connection ended = %v, want ErrClosed", err)
	}
}
