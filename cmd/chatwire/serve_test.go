package main

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// serve listens on a random loopback port, creates the conversations it was
// given, accepts a client whose token is its user id, and closes cleanly
// when its context ends.
func TestServeRunsUntilCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stdout, stderr := newSyncBuffer(), newSyncBuffer()
	exit := make(chan int, 1)
	go func() {
		exit <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--conversation", "room:Room:ann,ben"},
			strings.NewReader(""), stdout, stderr)
	}()
	stdout.waitFor(t, "press Ctrl-C to stop")
	out := stdout.String()
	url := regexp.MustCompile(`listening on (ws://127\.0\.0\.1:\d+) `).FindStringSubmatch(out)
	if url == nil {
		t.Fatalf("no URL in the output:\n%s", out)
	}
	for _, want := range []string{`conversation room "Room": ann, ben`,
		"chatwire connect --url " + url[1] + " --token ann --conversation room"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "lobby") {
		t.Errorf("the default conversation was created although --conversation was given:\n%s", out)
	}

	// A client authenticates with its user id and is told its session.
	dialer := websocket.Dialer{HandshakeTimeout: 5 * time.Second}
	ws, _, err := dialer.Dial(url[1]+"/chat", http.Header{"Authorization": {"Bearer ann"}})
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer ws.Close()
	_ = ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	var ready struct {
		Type    string `json:"type"`
		Payload struct {
			UserID string `json:"user_id"`
		} `json:"payload"`
	}
	if err := ws.ReadJSON(&ready); err != nil {
		t.Fatalf("read session.ready: %v", err)
	}
	if ready.Type != "session.ready" || ready.Payload.UserID != "ann" {
		t.Errorf("first frame %+v, want session.ready for ann", ready)
	}

	// Read on, so the client answers the server's close frame.
	closed := make(chan error, 1)
	go func() {
		_ = ws.SetReadDeadline(time.Now().Add(10 * time.Second))
		for {
			if _, _, err := ws.ReadMessage(); err != nil {
				closed <- err
				return
			}
		}
	}()

	cancel()
	if code := <-exit; code != exitOK {
		t.Errorf("exit code %d, want 0; stderr:\n%s", code, stderr)
	}
	if !strings.Contains(stdout.String(), "server closed") {
		t.Errorf("output lacks the closing line:\n%s", stdout)
	}
	// The server closed the connection on its way out, with 1001.
	if err := <-closed; !websocket.IsCloseError(err, websocket.CloseGoingAway) {
		t.Errorf("the connection ended with %v, want a 1001 close", err)
	}
}

func TestServeDefaultLobby(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	out := newSyncBuffer()
	done := make(chan error, 1)
	go func() { done <- runServe(ctx, out, serveOptions{Addr: "127.0.0.1:0"}) }()
	out.waitFor(t, "press Ctrl-C to stop")
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("runServe: %v", err)
	}
	if !strings.Contains(out.String(), `conversation lobby "Lobby": alice, bob, carol`) {
		t.Errorf("no default lobby:\n%s", out)
	}
}

func TestServeAddressInUse(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	first := newSyncBuffer()
	done := make(chan error, 1)
	go func() { done <- runServe(ctx, first, serveOptions{Addr: "127.0.0.1:0"}) }()
	first.waitFor(t, "press Ctrl-C to stop")
	addr := regexp.MustCompile(`ws://(127\.0\.0\.1:\d+)`).FindStringSubmatch(first.String())[1]

	var stdout, stderr strings.Builder
	code := run(context.Background(), []string{"serve", "--addr", addr}, strings.NewReader(""), &stdout, &stderr)
	if code != exitFailure {
		t.Errorf("exit code %d, want 1 for a busy address", code)
	}
	if !strings.Contains(stderr.String(), "listen on "+addr) {
		t.Errorf("stderr does not say why:\n%s", stderr.String())
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
