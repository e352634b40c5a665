package network_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/chatwire/chatwire/core/network"
)

func TestGorillaTLS(t *testing.T) {
	gorillaLeakCheck(t)
	ctx := testContext(t)
	srv := httptest.NewTLSServer(echoHandler(websocket.Upgrader{}))
	t.Cleanup(srv.Close)
	url := "wss" + strings.TrimPrefix(srv.URL, "https")

	t.Run("trusted", func(t *testing.T) {
		tlsConf := srv.Client().Transport.(*http.Transport).TLSClientConfig
		c := network.NewGorillaClient(network.GorillaOptions{TLSConfig: tlsConf})
		if err := c.Connect(ctx, url, nil); err != nil {
			t.Fatalf("Connect: %v", err)
		}
		defer c.Close(network.CloseNormal, "")
		roundTrip(t, ctx, c, "over tls")
	})
	t.Run("untrusted", func(t *testing.T) {
		c := network.NewGorillaClient(network.GorillaOptions{})
		err := c.Connect(ctx, url, nil)
		var de *network.DialError
		if !errors.As(err, &de) || de.StatusCode != 0 {
			t.Fatalf("Connect to an untrusted certificate = %v, want *DialError without status", err)
		}
		<-c.Done()
		if c.Err() != err {
			t.Errorf("Err after a failed Connect = %v, want the dial error", c.Err())
		}
	})
}

// connectProxy is a minimal HTTP CONNECT proxy that counts tunnels.
func connectProxy(t *testing.T) (*httptest.Server, *atomic.Int32) {
	var tunnels atomic.Int32
	var wg sync.WaitGroup
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodConnect {
			http.Error(w, "connect only", http.StatusMethodNotAllowed)
			return
		}
		upstream, err := net.Dial("tcp", r.Host)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		w.WriteHeader(http.StatusOK)
		client, buf, err := http.NewResponseController(w).Hijack()
		if err != nil {
			upstream.Close()
			return
		}
		tunnels.Add(1)
		wg.Add(2)
		go func() {
			defer wg.Done()
			io.Copy(upstream, buf)
			upstream.(*net.TCPConn).CloseWrite()
		}()
		go func() {
			defer wg.Done()
			io.Copy(client, upstream)
			client.Close()
		}()
	}))
	t.Cleanup(func() {
		srv.Close()
		wg.Wait()
	})
	return srv, &tunnels
}

func TestGorillaProxy(t *testing.T) {
	gorillaLeakCheck(t)
	ctx := testContext(t)
	target := httptest.NewServer(echoHandler(websocket.Upgrader{}))
	t.Cleanup(target.Close)
	proxy, tunnels := connectProxy(t)
	proxyURL, _ := url.Parse(proxy.URL)

	c := network.NewGorillaClient(network.GorillaOptions{Proxy: http.ProxyURL(proxyURL)})
	if err := c.Connect(ctx, wsURL(target.URL), nil); err != nil {
		t.Fatalf("Connect through proxy: %v", err)
	}
	roundTrip(t, ctx, c, "through the proxy")
	c.Close(network.CloseNormal, "")
	if tunnels.Load() != 1 {
		t.Errorf("proxy saw %d tunnels, want 1", tunnels.Load())
	}
}

func TestGorillaDialErrors(t *testing.T) {
	gorillaLeakCheck(t)
	ctx := testContext(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedAddr := ln.Addr().String()
	ln.Close()
	const secret = "tok-do-not-log"
	for _, tc := range []struct{ name, url string }{
		{"bad escape", "ws://example.com/%zz?token=" + secret},
		{"http scheme", "http://example.com/?token=" + secret},
		{"no host", "ws:///chat?token=" + secret},
		{"refused", "ws://" + closedAddr + "/chat?token=" + secret},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := network.NewGorillaClient(network.GorillaOptions{})
			err := c.Connect(ctx, tc.url, nil)
			var de *network.DialError
			if !errors.As(err, &de) || de.StatusCode != 0 {
				t.Fatalf("Connect(%s) = %v, want *DialError without status", tc.name, err)
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("dial error leaks the token: %v", err)
			}
			if err := c.Send(ctx, []byte("x")); !errors.Is(err, network.ErrClosed) {
				t.Errorf("Send after a failed Connect = %v, want ErrClosed", err)
			}
		})
	}
}

// stalledListener accepts TCP connections and never answers; accepted
// receives each one.
func stalledListener(t *testing.T) (addr string, accepted <-chan net.Conn) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ch := make(chan net.Conn, 4)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			ch <- c
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
		close(ch)
		for c := range ch {
			c.Close()
		}
	})
	return ln.Addr().String(), ch
}

func TestGorillaCloseDuringConnect(t *testing.T) {
	gorillaLeakCheck(t)
	ctx := testContext(t)
	addr, accepted := stalledListener(t)
	c := network.NewGorillaClient(network.GorillaOptions{HandshakeTimeout: time.Minute})
	result := make(chan error, 1)
	go func() { result <- c.Connect(ctx, "ws://"+addr+"/chat", nil) }()
	select {
	case conn := <-accepted: // the dial reached the server: the handshake is pending
		defer conn.Close()
	case <-ctx.Done():
		t.Fatal("dial never reached the listener")
	}
	c.Close(network.CloseGoingAway, "shutting down")
	if err := <-result; !errors.Is(err, network.ErrClosed) {
		t.Fatalf("Connect interrupted by Close = %v, want ErrClosed", err)
	}
	ce := new(network.CloseError)
	if !errors.As(c.Err(), &ce) || !ce.Local || ce.Code != network.CloseGoingAway {
		t.Errorf("Err = %v, want local 1001", c.Err())
	}
}

func TestGorillaConnectHonoursContext(t *testing.T) {
	gorillaLeakCheck(t)
	addr, accepted := stalledListener(t)
	ctx, cancel := context.WithCancel(context.Background())
	c := network.NewGorillaClient(network.GorillaOptions{HandshakeTimeout: time.Minute})
	result := make(chan error, 1)
	go func() { result <- c.Connect(ctx, "ws://"+addr+"/chat", nil) }()
	conn := <-accepted
	defer conn.Close()
	cancel()
	err := <-result
	var de *network.DialError
	if !errors.As(err, &de) || !errors.Is(err, context.Canceled) {
		t.Fatalf("Connect with a cancelled ctx = %v, want *DialError wrapping context.Canceled", err)
	}
}
