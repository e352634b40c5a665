package main

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chatwire/chatwire/core/pusher/pushertest"
	"github.com/chatwire/chatwire/data/laravel"
	"github.com/chatwire/chatwire/domain"
)

// chatwire laravel against a real Soketi: two users connect through its
// auth endpoint, a message sent through its API reaches the other user
// (not the sender's own socket twice), and /api/events broadcasts any
// event.
func TestLaravelCommand(t *testing.T) {
	s := pushertest.StartSoketi(t, pushertest.SoketiOptions{UserAuthentication: true})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	out := newSyncBuffer()
	done := make(chan error, 1)
	go func() {
		done <- runLaravel(ctx, l, out, laravelOptions{Server: s.URL(), AppID: s.AppID, Key: s.Key, Secret: s.Secret, Users: defaultUsers})
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("runLaravel: %v", err)
		}
	})
	base := "http://" + l.Addr().String()

	connect := func(token, id string) *laravel.DataSource {
		src, err := laravel.New(laravel.Options{
			Host: s.Host(), Key: s.Key,
			AuthEndpoint:     base + "/broadcasting/auth",
			UserAuthEndpoint: base + "/broadcasting/user-auth",
			API:              laravel.HTTPBackendOptions{BaseURL: base},
			UserID:           id,
			Conversations:    []string{"7"},
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = src.Close() })
		cctx, ccancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer ccancel()
		if err := src.Connect(cctx, token); err != nil {
			t.Fatalf("Connect %s: %v", token, err)
		}
		return src
	}
	ann := connect("token-ann", "1")
	bob := connect("token-bob", "2")
	wctx, wcancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer wcancel()
	bobMsgs := bob.Messages(wctx)
	news := bob.Channel("news").Listen(wctx, ".headline")
	if err := bob.Channel("news").Subscribe(wctx); err != nil {
		t.Fatal(err)
	}

	sent, err := ann.SendMessage(wctx, domain.MessageDraft{ConversationID: "7", Content: "hello from the CLI's app"})
	if err != nil {
		t.Fatalf("SendMessage: %v", err)
	}
	select {
	case m := <-bobMsgs:
		if m.ID != sent.ID || m.Content != "hello from the CLI's app" || m.SenderID != "1" {
			t.Fatalf("bob got %+v, ann sent %+v", m, sent)
		}
	case <-wctx.Done():
		t.Fatal("bob got no message")
	}

	req, _ := http.NewRequestWithContext(wctx, http.MethodPost, base+"/api/events", strings.NewReader(`{"channel":"news","event":"headline","data":{"title":"by hand"}}`))
	req.Header.Set("Authorization", "Bearer token-ann")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("POST /api/events: %s", resp.Status)
	}
	select {
	case ev := <-news:
		if string(ev.Data) != `{"title":"by hand"}` {
			t.Fatalf("event %+v", ev)
		}
	case <-wctx.Done():
		t.Fatal("no headline")
	}

	// Without a known token the API refuses.
	req, _ = http.NewRequestWithContext(wctx, http.MethodPost, base+"/api/events", strings.NewReader(`{}`))
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("POST /api/events without a token: %s", resp.Status)
	}
	if got := out.String(); !strings.Contains(got, "--token token-ann") || !strings.Contains(got, "/broadcasting/auth") {
		t.Fatalf("the command printed:\n%s", got)
	}
}

func TestLaravelCommandUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"laravel", "--user", "nope"}, "want token=id:name"},
		{[]string{"laravel", "--server", "ws://x"}, "want an http:// or https:// URL"},
		{[]string{"laravel", "extra"}, "unexpected arguments"},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(context.Background(), tc.args, strings.NewReader(""), &stdout, &stderr); code != exitUsage || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", tc.args, code, stderr.String(), exitUsage, tc.want)
		}
	}
}
