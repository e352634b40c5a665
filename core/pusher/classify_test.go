package pusher

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/chatwire/chatwire/core/network"
)

func TestClassify(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want network.Decision
	}{
		{"pusher:error 4000 use tls", &ProtocolError{Code: 4000}, network.Stop},
		{"pusher:error 4001 app missing", &ProtocolError{Code: 4001}, network.Stop},
		{"close 4009 unauthorized", &network.CloseError{Code: 4009}, network.Stop},
		{"close 4099", &network.CloseError{Code: 4099}, network.Stop},
		{"close 4100 over capacity", &network.CloseError{Code: 4100}, network.Backoff},
		{"close 4199", &network.CloseError{Code: 4199}, network.Backoff},
		{"close 4200 reconnect", &network.CloseError{Code: 4200}, network.ReconnectNow},
		{"close 4201 pong not received", &network.CloseError{Code: 4201}, network.ReconnectNow},
		{"wrapped handshake error 4200", fmt.Errorf("network: handshake: %w", &ProtocolError{Code: 4200}), network.ReconnectNow},
		{"close 4300", &network.CloseError{Code: 4300}, network.Backoff},
		{"close 1006", &network.CloseError{Code: 1006}, network.Backoff},
		{"close 1000", &network.CloseError{Code: 1000}, network.Backoff},
		{"http 401 on upgrade", &network.DialError{StatusCode: 401}, network.Backoff},
		{"heartbeat timeout", network.ErrHeartbeatTimeout, network.Backoff},
		{"timeout", context.DeadlineExceeded, network.Backoff},
		{"code-less pusher:error", &ProtocolError{Message: "x"}, network.Backoff},
	}
	for _, tt := range tests {
		if got := Classify(tt.err); got != tt.want {
			t.Errorf("%s: Classify = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestClientClassifyTLSFallback(t *testing.T) {
	c, err := New(Options{Host: "127.0.0.1:1", Key: "k", TLSFallback: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	u, _, _ := c.endpoint(context.Background())
	if want := "ws://127.0.0.1:1/app/k?client=chatwire-go&protocol=7&version=" + Version; u != want {
		t.Fatalf("endpoint = %s, want %s", u, want)
	}
	if got := c.classify(&network.CloseError{Code: 4000}); got != network.ReconnectNow {
		t.Fatalf("first 4000 = %v, want ReconnectNow", got)
	}
	u, _, _ = c.endpoint(context.Background())
	if want := "wss://127.0.0.1:1/app/k?client=chatwire-go&protocol=7&version=" + Version; u != want {
		t.Fatalf("after 4000 endpoint = %s, want %s", u, want)
	}
	if got := c.classify(&network.CloseError{Code: 4000}); got != network.Stop {
		t.Fatalf("4000 over TLS = %v, want Stop", got)
	}

	plain, _ := New(Options{Host: "h:1", Key: "k"})
	defer plain.Close()
	if got := plain.classify(&ProtocolError{Code: 4000}); got != network.Stop {
		t.Fatalf("4000 without fallback = %v, want Stop", got)
	}
	custom, _ := New(Options{Host: "h:1", Key: "k", Manager: network.ManagerOptions{
		Classify: func(error) network.Decision { return network.Reauthorize },
	}})
	defer custom.Close()
	if got := custom.classify(errors.New("x")); got != network.Reauthorize {
		t.Fatalf("Manager.Classify not used: %v", got)
	}
}

func TestErrorsMatch(t *testing.T) {
	se := &SubscriptionError{Channel: "private-a", Type: "AuthError", Status: 401, Message: "bad sig", Err: &AuthError{StatusCode: 401}}
	if !errors.Is(se, ErrSubscription) || !errors.Is(se, network.ErrUnauthorized) {
		t.Fatal("SubscriptionError does not match its sentinels")
	}
	var ae *AuthError
	if !errors.As(se, &ae) || ae.StatusCode != 401 {
		t.Fatal("SubscriptionError does not unwrap to *AuthError")
	}
	if want := "pusher: subscribe private-a: failed: AuthError (status 401): bad sig: pusher: auth endpoint answered HTTP 401"; se.Error() != want {
		t.Fatalf("Error() = %q", se.Error())
	}
	if errors.Is(&SubscriptionError{Status: 500}, network.ErrUnauthorized) {
		t.Fatal("status 500 matches ErrUnauthorized")
	}
	if !errors.Is(ErrClosed, network.ErrClosed) {
		t.Fatal("ErrClosed is not network.ErrClosed")
	}
}
