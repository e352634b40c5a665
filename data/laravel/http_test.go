package laravel_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chatwire/chatwire/core/pusher"
	"github.com/chatwire/chatwire/data/laravel"
	"github.com/chatwire/chatwire/domain"
)

// fakeAPI is a Laravel-style JSON API on loopback.
type fakeAPI struct {
	srv *httptest.Server

	mu       sync.Mutex
	requests []*http.Request
	bodies   []string
	answers  []func(w http.ResponseWriter) // one per request, in order
}

func newFakeAPI(t *testing.T) *fakeAPI {
	a := &fakeAPI{}
	a.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		a.mu.Lock()
		a.requests = append(a.requests, r)
		a.bodies = append(a.bodies, string(b))
		var answer func(http.ResponseWriter)
		if len(a.answers) > 0 {
			answer, a.answers = a.answers[0], a.answers[1:]
		}
		a.mu.Unlock()
		if answer == nil {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		answer(w)
	}))
	t.Cleanup(a.srv.Close)
	return a
}

func (a *fakeAPI) answer(status int, body string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.answers = append(a.answers, func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	})
}

func (a *fakeAPI) request(i int) (*http.Request, string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.requests[i], a.bodies[i]
}

func (a *fakeAPI) count() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.requests)
}

func ctxFor(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestHTTPBackendPostsMessagesLikeEcho(t *testing.T) {
	api := newFakeAPI(t)
	api.answer(http.StatusCreated, `{"data":{"id":77,"conversation_id":7,"user_id":1,"body":"hi there","created_at":"2026-05-01T10:00:00.000000Z"}}`)
	b, err := laravel.NewHTTPBackend(laravel.HTTPBackendOptions{
		BaseURL:  api.srv.URL + "/",
		Tokens:   pusher.NewTokens("tok-1", nil),
		SocketID: func() string { return "123.456" },
		Header:   http.Header{"X-Requested-With": {"XMLHttpRequest"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	draft := domain.MessageDraft{ConversationID: "7", Content: "hi there", ClientID: "cid-1", ReplyTo: "70",
		Attachments: []domain.Attachment{{URL: "https://x/a.png", Name: "a.png", MIME: "image/png", Size: 5}}}
	m, err := b.SendMessage(ctxFor(t), draft)
	if err != nil {
		t.Fatalf("SendMessage: %v", err)
	}
	want := domain.Message{ID: "77", ClientID: "cid-1", ConversationID: "7", SenderID: "1", Content: "hi there",
		Kind: domain.KindText, CreatedAt: time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)}
	if m.ID != want.ID || m.ClientID != want.ClientID || m.SenderID != want.SenderID || m.Content != want.Content || !m.CreatedAt.Equal(want.CreatedAt) {
		t.Fatalf("message = %+v, want %+v", m, want)
	}
	r, body := api.request(0)
	for h, v := range map[string]string{
		"Authorization": "Bearer tok-1", "X-Socket-Id": "123.456", "Accept": "application/json",
		"Content-Type": "application/json", "X-Requested-With": "XMLHttpRequest",
	} {
		if got := r.Header.Get(h); got != v {
			t.Errorf("header %s = %q, want %q", h, got, v)
		}
	}
	if r.Method != http.MethodPost || r.URL.Path != "/api/conversations/7/messages" {
		t.Fatalf("request %s %s", r.Method, r.URL.Path)
	}
	var sent map[string]any
	if err := json.Unmarshal([]byte(body), &sent); err != nil {
		t.Fatal(err)
	}
	if sent["client_id"] != "cid-1" || sent["content"] != "hi there" || sent["kind"] != "text" || sent["reply_to"] != "70" {
		t.Fatalf("body = %s", body)
	}
	if att := sent["attachments"].([]any)[0].(map[string]any); att["url"] != "https://x/a.png" || att["mime"] != "image/png" || att["size"] != 5.0 {
		t.Fatalf("attachment = %v", att)
	}
}

func TestHTTPBackendRefreshesARefusedTokenOnce(t *testing.T) {
	api := newFakeAPI(t)
	api.answer(http.StatusUnauthorized, `{"message":"Unauthenticated."}`)
	api.answer(http.StatusOK, `{}`)
	var asked atomic.Int32
	b, err := laravel.NewHTTPBackend(laravel.HTTPBackendOptions{
		BaseURL: api.srv.URL,
		Tokens: pusher.NewTokens("old", func(context.Context) (string, error) {
			if asked.Add(1) == 1 {
				return "new", nil
			}
			return "newer", nil
		}),
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.MarkRead(ctxFor(t), "7", "m9"); err != nil {
		t.Fatalf("MarkRead: %v", err)
	}
	r, body := api.request(1)
	if r.URL.Path != "/api/conversations/7/read" || r.Header.Get("Authorization") != "Bearer new" || body != `{"message_id":"m9"}` {
		t.Fatalf("retry: %s %q %s", r.URL.Path, r.Header.Get("Authorization"), body)
	}
	if n := asked.Load(); n != 1 {
		t.Fatalf("token source asked %d times, want 1", n)
	}

	// Refused twice: a typed error, no third request.
	api.answer(http.StatusForbidden, `{"message":"This action is unauthorized."}`)
	api.answer(http.StatusForbidden, `{"message":"This action is unauthorized."}`)
	err = b.MarkRead(ctxFor(t), "7", "m9")
	var he *laravel.HTTPError
	if !errors.As(err, &he) || he.StatusCode != 403 || !errors.Is(err, domain.ErrUnauthorized) {
		t.Fatalf("err = %v, want a 403 HTTPError matching ErrUnauthorized", err)
	}
	if api.count() != 4 {
		t.Fatalf("%d requests, want 4", api.count())
	}
	if r, _ := api.request(3); r.Header.Get("Authorization") != "Bearer newer" {
		t.Fatalf("retry sent %q, want the fresher token", r.Header.Get("Authorization"))
	}

	// Refused with nothing fresher (the source gives the same token): no
	// second request.
	api.answer(http.StatusUnauthorized, `{"message":"Unauthenticated."}`)
	if err := b.MarkRead(ctxFor(t), "7", "m9"); !errors.Is(err, domain.ErrUnauthorized) || api.count() != 5 {
		t.Fatalf("err = %v after %d requests, want ErrUnauthorized after 5", err, api.count())
	}
	if strings.Contains(err.Error(), "new") || strings.Contains(err.Error(), "old") {
		t.Fatalf("error leaks the token: %v", err)
	}
}

func TestHTTPBackendFailures(t *testing.T) {
	api := newFakeAPI(t)
	b, err := laravel.NewHTTPBackend(laravel.HTTPBackendOptions{BaseURL: api.srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	ctx := ctxFor(t)
	draft := domain.MessageDraft{ConversationID: "7", Content: "x", ClientID: "c"}

	api.answer(http.StatusUnprocessableEntity, `{"message":"The content field is required.","errors":{}}`)
	_, err = b.SendMessage(ctx, draft)
	var he *laravel.HTTPError
	if !errors.As(err, &he) || he.Message != "The content field is required." || !errors.Is(err, domain.ErrInvalidDraft) {
		t.Fatalf("422: %v", err)
	}
	if r, _ := api.request(0); r.Header.Get("Authorization") != "" || r.Header.Get("X-Socket-Id") != "" {
		t.Fatal("headers sent without a token or socket id")
	}

	api.answer(http.StatusInternalServerError, `<html>oops</html>`)
	if _, err = b.SendMessage(ctx, draft); !errors.As(err, &he) || he.StatusCode != 500 || api.count() != 2 {
		t.Fatalf("500: %v (requests %d, a message is not retried)", err, api.count())
	}

	api.answer(http.StatusCreated, `{"ok":true}`)
	if _, err = b.SendMessage(ctx, draft); err == nil || !strings.Contains(err.Error(), "unreadable answer") {
		t.Fatalf("answer without a message: %v", err)
	}

	if _, err := laravel.NewHTTPBackend(laravel.HTTPBackendOptions{BaseURL: "app.example"}); err == nil {
		t.Fatal("a base url without scheme was accepted")
	}
}

// Laravel's 419 (session or CSRF token expired) refuses the token like 401
// and 403: the request is retried once with a fresh one.
func TestHTTPBackendRefreshesAfter419(t *testing.T) {
	api := newFakeAPI(t)
	api.answer(419, `{"message":"CSRF token mismatch."}`)
	api.answer(http.StatusOK, `{}`)
	b, err := laravel.NewHTTPBackend(laravel.HTTPBackendOptions{
		BaseURL: api.srv.URL,
		Tokens:  pusher.NewTokens("old", func(context.Context) (string, error) { return "new", nil }),
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.MarkRead(ctxFor(t), "7", "m9"); err != nil {
		t.Fatalf("MarkRead: %v", err)
	}
	if r, _ := api.request(1); api.count() != 2 || r.Header.Get("Authorization") != "Bearer new" {
		t.Fatalf("%d requests, retry with %q; want one retry with the fresh token", api.count(), r.Header.Get("Authorization"))
	}
}
