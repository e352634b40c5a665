package data_test

import (
	"context"
	"os"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/chatwire/chatwire/core/network"
	"github.com/chatwire/chatwire/core/network/coderws"
	"github.com/chatwire/chatwire/data"
	"github.com/chatwire/chatwire/data/chattest"
	"github.com/chatwire/chatwire/domain"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const waitFor = 10 * time.Second

// fastConnection keeps reconnects and dead-peer detection quick on loopback.
var fastConnection = data.ConnectionOptions{
	ReconnectDelay:    20 * time.Millisecond,
	MaxReconnectDelay: 100 * time.Millisecond,
	HeartbeatInterval: 2 * time.Second,
	PongTimeout:       2 * time.Second,
}

// newServerWith returns a reference server with one conversation of members.
func newServerWith(t *testing.T, conversation string, members ...string) *chattest.Server {
	t.Helper()
	srv := newServer(t, chattest.Options{})
	if err := srv.CreateConversation(conversation, "", members...); err != nil {
		t.Fatal(err)
	}
	return srv
}

func newServer(t *testing.T, opts chattest.Options) *chattest.Server {
	t.Helper()
	srv := chattest.NewServer(opts)
	t.Cleanup(srv.Close)
	return srv
}

// dial connects user to srv with a token source backed by the server.
func dial(t *testing.T, srv *chattest.Server, user string, tune ...func(*data.Options)) *data.ChatWebSocketDataSource {
	t.Helper()
	src := newSource(t, srv, user, tune...)
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	if err := src.Connect(ctx, srv.IssueToken(user)); err != nil {
		t.Fatalf("%s: Connect: %v", user, err)
	}
	waitSessionReady(t, src)
	return src
}

func newSource(t *testing.T, srv *chattest.Server, user string, tune ...func(*data.Options)) *data.ChatWebSocketDataSource {
	t.Helper()
	opts := data.Options{
		BaseURL:     srv.URL,
		TokenSource: func(context.Context) (string, error) { return srv.IssueToken(user), nil },
		Connection:  fastConnection,
		Transport:   testTransport(),
	}
	for _, f := range tune {
		f(&opts)
	}
	src, err := data.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = src.Close() })
	return src
}

// testTransport picks the transport the suite runs over: CHATWIRE_TRANSPORT
// is "gorilla" (the default) or "coder"; `make test` runs both.
func testTransport() func() network.WebSocketClient {
	switch t := os.Getenv("CHATWIRE_TRANSPORT"); t {
	case "", "gorilla":
		return nil
	case "coder":
		return func() network.WebSocketClient { return coderws.NewClient(coderws.Options{}) }
	default:
		panic("CHATWIRE_TRANSPORT: unknown transport " + t)
	}
}

func waitSessionReady(t *testing.T, src *data.ChatWebSocketDataSource) {
	t.Helper()
	eventually(t, "session.ready processed", func() bool { return src.ConnectionState().UserID != "" })
}

// recv returns the next value from ch or fails the test.
func recv[T any](t *testing.T, ch <-chan T) T {
	t.Helper()
	select {
	case v, ok := <-ch:
		if !ok {
			t.Fatalf("channel of %T closed", v)
		}
		return v
	case <-time.After(waitFor):
		var zero T
		t.Fatalf("no %T within %v", zero, waitFor)
		return zero
	}
}

// recvWhere returns the first value from ch that matches.
func recvWhere[T any](t *testing.T, ch <-chan T, match func(T) bool) T {
	t.Helper()
	deadline := time.After(waitFor)
	for {
		select {
		case v, ok := <-ch:
			if !ok {
				t.Fatalf("channel of %T closed before a match", v)
			}
			if match(v) {
				return v
			}
		case <-deadline:
			var zero T
			t.Fatalf("no matching %T within %v", zero, waitFor)
			return zero
		}
	}
}

// quiet asserts that nothing arrives on ch for a short while.
func quiet[T any](t *testing.T, ch <-chan T, what string) {
	t.Helper()
	select {
	case v := <-ch:
		t.Errorf("unexpected %s: %+v", what, v)
	case <-time.After(150 * time.Millisecond):
	}
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitFor)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func send(t *testing.T, src *data.ChatWebSocketDataSource, conv, content string) domain.Message {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	m, err := src.SendMessage(ctx, domain.MessageDraft{ConversationID: conv, Content: content})
	if err != nil {
		t.Fatalf("SendMessage(%q): %v", content, err)
	}
	return m
}
