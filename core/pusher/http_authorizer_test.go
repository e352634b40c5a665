package pusher_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chatwire/chatwire/core/clock"
	"github.com/chatwire/chatwire/core/network"
	"github.com/chatwire/chatwire/core/pusher"
	"github.com/chatwire/chatwire/core/pusher/pushertest"
)

// tokens is a token source that hands out tokens in order and counts the
// calls.
type tokens struct {
	mu    sync.Mutex
	next  []string
	asked int
}

func (s *tokens) source(context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.asked++
	if len(s.next) == 0 {
		return "", errors.New("no more tokens")
	}
	t := s.next[0]
	s.next = s.next[1:]
	return t, nil
}

func TestHTTPAuthorizer(t *testing.T) {
	srv := pushertest.NewAuthServer(t, "key", "secret")
	srv.AddUser("fresh", pushertest.User{ID: "7"})
	ctx := testCtx(t)

	t.Run("private", func(t *testing.T) {
		a := pusher.NewHTTPAuthorizer(pusher.HTTPAuthorizerOptions{
			Endpoint: srv.Endpoint(),
			Tokens:   pusher.NewTokens("fresh", nil),
		})
		got, err := a.Authorize(ctx, "1.2", "private-a")
		if err != nil {
			t.Fatal(err)
		}
		if got.Auth != pusher.SignChannel("key", "secret", "1.2", "private-a", "") || got.ChannelData != "" {
			t.Fatalf("auth = %q %q", got.Auth, got.ChannelData)
		}
	})

	t.Run("presence", func(t *testing.T) {
		a := pusher.NewHTTPAuthorizer(pusher.HTTPAuthorizerOptions{
			Endpoint: srv.Endpoint(),
			Tokens:   pusher.NewTokens("fresh", nil),
		})
		got, err := a.Authorize(ctx, "1.2", "presence-a")
		if err != nil {
			t.Fatal(err)
		}
		if got.ChannelData != `{"user_id":"7"}` {
			t.Fatalf("channel data = %s", got.ChannelData)
		}
	})

	t.Run("401 refreshes the token once", func(t *testing.T) {
		ts := &tokens{next: []string{"expired", "fresh"}}
		a := pusher.NewHTTPAuthorizer(pusher.HTTPAuthorizerOptions{Endpoint: srv.Endpoint(), Tokens: pusher.NewTokens("", ts.source)})
		before := srv.Requests()
		if _, err := a.Authorize(ctx, "1.2", "private-a"); err != nil {
			t.Fatalf("Authorize: %v", err)
		}
		if n := srv.Requests() - before; n != 2 {
			t.Fatalf("requests = %d, want 2", n)
		}
		if ts.asked != 2 {
			t.Fatalf("token source asked %d times, want 2 (the first token, then a fresh one)", ts.asked)
		}
	})

	t.Run("refused with nothing fresher is not asked again", func(t *testing.T) {
		a := pusher.NewHTTPAuthorizer(pusher.HTTPAuthorizerOptions{Endpoint: srv.Endpoint(), Tokens: pusher.NewTokens("stale", nil)})
		before := srv.Requests()
		_, err := a.Authorize(ctx, "1.2", "private-a")
		var ae *pusher.AuthError
		if !errors.As(err, &ae) || ae.StatusCode != 401 {
			t.Fatalf("Authorize = %v, want AuthError 401", err)
		}
		if n := srv.Requests() - before; n != 1 {
			t.Fatalf("requests = %d, want 1 (the same token again would be refused again)", n)
		}
	})

	t.Run("still refused after the refresh", func(t *testing.T) {
		ts := &tokens{next: []string{"expired-secret-token", "also-expired", "never-asked"}}
		a := pusher.NewHTTPAuthorizer(pusher.HTTPAuthorizerOptions{Endpoint: srv.Endpoint(), Tokens: pusher.NewTokens("", ts.source)})
		before := srv.Requests()
		_, err := a.Authorize(ctx, "1.2", "private-a")
		var ae *pusher.AuthError
		if !errors.As(err, &ae) || ae.StatusCode != 401 || !errors.Is(err, network.ErrUnauthorized) {
			t.Fatalf("Authorize = %v, want AuthError 401", err)
		}
		if n := srv.Requests() - before; n != 2 {
			t.Fatalf("requests = %d, want 2", n)
		}
		if strings.Contains(err.Error(), "expired") {
			t.Fatalf("error leaks the token: %v", err)
		}
	})

	t.Run("5xx retried with backoff", func(t *testing.T) {
		clk := clock.NewFake(time.Now())
		a := pusher.NewHTTPAuthorizer(pusher.HTTPAuthorizerOptions{
			Endpoint: srv.Endpoint(),
			Tokens:   pusher.NewTokens("fresh", nil),
			Clock:    clk,
			Backoff:  100 * time.Millisecond,
		})
		srv.FailNext(500, 503)
		done := make(chan error, 1)
		go func() {
			_, err := a.Authorize(ctx, "1.2", "private-a")
			done <- err
		}()
		for _, d := range []time.Duration{100 * time.Millisecond, 200 * time.Millisecond} {
			if !clk.WaitForTimers(1, wait) {
				t.Fatal("no backoff timer")
			}
			clk.Advance(d - time.Millisecond)
			if clk.Pending() != 1 {
				t.Fatalf("backoff shorter than %v", d)
			}
			clk.Advance(time.Millisecond)
		}
		if err := recv(t, done, "authorize"); err != nil {
			t.Fatalf("Authorize after two 5xx: %v", err)
		}
	})

	t.Run("5xx until retries run out", func(t *testing.T) {
		clk := clock.NewFake(time.Now())
		a := pusher.NewHTTPAuthorizer(pusher.HTTPAuthorizerOptions{
			Endpoint: srv.Endpoint(),
			Tokens:   pusher.NewTokens("fresh", nil),
			Clock:    clk,
			Retries:  2,
		})
		srv.FailNext(500, 500, 500) // the request and two retries
		before := srv.Requests()
		done := make(chan error, 1)
		go func() {
			_, err := a.Authorize(ctx, "1.2", "private-a")
			done <- err
		}()
		for range 2 {
			if !clk.WaitForTimers(1, wait) {
				t.Fatal("no backoff timer")
			}
			clk.Advance(time.Minute)
		}
		err := recv(t, done, "authorize")
		if n := srv.Requests() - before; n != 3 {
			t.Fatalf("requests = %d, want 3", n)
		}
		var ae *pusher.AuthError
		if !errors.As(err, &ae) || ae.StatusCode != 500 {
			t.Fatalf("Authorize = %v, want AuthError 500", err)
		}
	})

	t.Run("timeout is retried", func(t *testing.T) {
		var mu sync.Mutex
		calls := 0
		release := make(chan struct{})
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		hang := &httptest.Server{Listener: l, Config: &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			calls++
			mu.Unlock()
			select {
			case <-r.Context().Done():
			case <-release:
			}
		})}}
		hang.Start()
		defer hang.Close()
		defer close(release)
		a := pusher.NewHTTPAuthorizer(pusher.HTTPAuthorizerOptions{
			Endpoint: hang.URL + "/broadcasting/auth",
			Timeout:  20 * time.Millisecond,
			Retries:  1,
			Backoff:  time.Millisecond,
		})
		_, err = a.Authorize(ctx, "1.2", "private-a")
		var ae *pusher.AuthError
		if !errors.As(err, &ae) || ae.StatusCode != 0 || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Authorize = %v, want a timeout AuthError", err)
		}
		mu.Lock()
		defer mu.Unlock()
		if calls != 2 {
			t.Fatalf("calls = %d, want 2 (one retry)", calls)
		}
	})

	t.Run("ctx ends the backoff", func(t *testing.T) {
		clk := clock.NewFake(time.Now())
		a := pusher.NewHTTPAuthorizer(pusher.HTTPAuthorizerOptions{
			Endpoint: srv.Endpoint(),
			Tokens:   pusher.NewTokens("fresh", nil),
			Clock:    clk,
		})
		srv.FailNext(502)
		cctx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() {
			_, err := a.Authorize(cctx, "1.2", "private-a")
			done <- err
		}()
		if !clk.WaitForTimers(1, wait) {
			t.Fatal("no backoff timer")
		}
		cancel()
		if err := recv(t, done, "authorize"); !errors.Is(err, context.Canceled) {
			t.Fatalf("Authorize = %v, want context.Canceled", err)
		}
		if clk.Pending() != 0 {
			t.Fatal("backoff timer left behind")
		}
	})

	t.Run("bad answer", func(t *testing.T) {
		l, _ := net.Listen("tcp", "127.0.0.1:0")
		bad := &httptest.Server{Listener: l, Config: &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte(`<html>login</html>`))
		})}}
		bad.Start()
		defer bad.Close()
		a := pusher.NewHTTPAuthorizer(pusher.HTTPAuthorizerOptions{Endpoint: bad.URL})
		if _, err := a.Authorize(ctx, "1.2", "private-a"); err == nil {
			t.Fatal("want an error for a non-JSON answer")
		}
	})
}
