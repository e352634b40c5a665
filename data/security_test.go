package data_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/chatwire/chatwire/core/network"
	"github.com/chatwire/chatwire/core/pusher/pushertest"
	"github.com/chatwire/chatwire/data"
	"github.com/chatwire/chatwire/data/chattest"
	"github.com/chatwire/chatwire/data/laravel"
	"github.com/chatwire/chatwire/domain"
)

// logBuffer is a concurrency-safe slog sink.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func debugLogger(w *logBuffer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// tokenLedger hands out tokens and remembers every one, so the test can
// look for each in everything the SDK produced.
type tokenLedger struct {
	mu     sync.Mutex
	tokens []string
}

func (l *tokenLedger) add(tok string) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.tokens = append(l.tokens, tok)
	return tok
}

func (l *tokenLedger) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.tokens)
}

func (l *tokenLedger) last() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.tokens[len(l.tokens)-1]
}

// leaks returns the tokens (and their unescaped halves, in case a log
// truncates) found in text.
func (l *tokenLedger) leaks(text string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var found []string
	for _, tok := range l.tokens {
		secret := strings.TrimPrefix(tok, "cwt_")
		if strings.Contains(text, secret) || strings.Contains(text, secret[:len(secret)/2]) {
			found = append(found, tok)
		}
	}
	return found
}

// Through a full cycle (connect, drop, reconnect with a fresh token, tokens
// expired, a refused stale token refreshed once, then a token source that
// only has refused tokens and a failed session) no token appears in the
// SDK's debug logs, the transport's logs, the server's logs, any error on
// Errors, any connection state's error, or a panic carrying those errors.
func TestTokensNeverLeak(t *testing.T) {
	for _, inQuery := range []bool{false, true} {
		t.Run(fmt.Sprintf("TokenInQuery=%v", inQuery), func(t *testing.T) {
			var logs logBuffer
			srv := newServer(t, chattest.Options{Logger: debugLogger(&logs)})
			if err := srv.CreateConversation("general", "", "alice", "bob"); err != nil {
				t.Fatal(err)
			}
			ledger := &tokenLedger{}
			var mu sync.Mutex
			mode := "fresh" // fresh, stale once, refused
			var stale string
			alice := newSource(t, srv, "alice", func(o *data.Options) {
				o.TokenInQuery = inQuery
				o.Logger = debugLogger(&logs)
				o.Transport = func() network.WebSocketClient {
					return network.NewGorillaClient(network.GorillaOptions{Logger: debugLogger(&logs)})
				}
				o.TokenSource = func(context.Context) (string, error) {
					mu.Lock()
					defer mu.Unlock()
					switch mode {
					case "stale":
						mode = "fresh"
						return stale, nil
					case "refused":
						return ledger.add("cwt_" + strings.Repeat("f00d", 8)), nil
					}
					return ledger.add(srv.IssueToken("alice")), nil
				}
			})
			var seen []string // every error text the app could see
			errs, states := alice.Errors(t.Context()), alice.ConnectionStates(t.Context())
			var wg sync.WaitGroup
			wg.Add(2)
			record := func(err error) {
				if err == nil {
					return
				}
				mu.Lock()
				seen = append(seen, err.Error(), fmt.Sprintf("%+v", err), panicText(err))
				mu.Unlock()
			}
			go func() {
				defer wg.Done()
				for err := range errs {
					record(err)
				}
			}()
			go func() {
				defer wg.Done()
				for st := range states {
					record(st.Err)
				}
			}()

			first := ledger.add(srv.IssueToken("alice"))
			ctx := t.Context()
			if err := alice.Connect(ctx, first); err != nil {
				t.Fatal(err)
			}
			waitSessionReady(t, alice)
			bob := dial(t, srv, "bob")
			send(t, bob, "general", "before the drop")

			srv.DropAll() // reconnect with a fresh token
			eventually(t, "reconnected", func() bool { return ledger.count() >= 2 && alice.ConnectionState().Status == domain.Connected })

			last := ledger.last()
			mu.Lock()
			stale, mode = last, "stale"
			mu.Unlock()
			srv.ExpireTokens("alice")
			srv.DropAll() // the stale token gets 401, the refresh gets in
			eventually(t, "reconnected after the 401", func() bool {
				mu.Lock()
				defer mu.Unlock()
				return mode == "fresh" && alice.ConnectionState().Status == domain.Connected && ledger.count() >= 3
			})
			m := send(t, alice, "general", "after the 401")

			mu.Lock()
			mode = "refused"
			mu.Unlock()
			srv.ExpireTokens("alice")
			srv.DropAll()
			eventually(t, "failed", func() bool { return alice.ConnectionState().Status == domain.Failed })
			_, sendErr := alice.SendMessage(ctx, domain.MessageDraft{ConversationID: "general", Content: "refused"})
			record(sendErr)
			record(alice.Connect(ctx, ledger.add("cwt_"+strings.Repeat("beef", 8))))
			_ = alice.Close()
			wg.Wait()

			if !strings.Contains(logs.String(), "level=DEBUG") {
				t.Fatal("no debug logs captured; the test would prove nothing")
			}
			if m.ID == "" {
				t.Fatal("no message confirmed after the 401")
			}
			mu.Lock()
			defer mu.Unlock()
			if len(seen) == 0 {
				t.Fatal("no error was seen; the cycle did not run")
			}
			unauthorized := false
			for _, s := range seen {
				unauthorized = unauthorized || strings.Contains(s, "401")
			}
			if !unauthorized {
				t.Error("no 401 was reported; the cycle did not reach the refusal")
			}
			if leaked := ledger.leaks(logs.String()); len(leaked) > 0 {
				t.Errorf("logs hold %d of %d tokens", len(leaked), ledger.count())
			}
			if leaked := ledger.leaks(strings.Join(seen, "\n")); len(leaked) > 0 {
				t.Errorf("error strings hold %d of %d tokens", len(leaked), ledger.count())
			}
		})
	}
}

// panicText is what a program that panics with err would print.
func panicText(err error) (text string) {
	defer func() { text = fmt.Sprint(recover()) }()
	panic(err)
}

// The server refuses a bad token with HTTP 401 before the upgrade: no
// WebSocket session starts and the body does not echo the token.
func TestServerRefusesBadTokensBeforeTheUpgrade(t *testing.T) {
	srv := newServer(t, chattest.Options{})
	expired := srv.IssueToken("alice")
	srv.ExpireTokens("alice")
	good := srv.IssueToken("alice")
	for _, tc := range []struct {
		name   string
		header http.Header
		query  string
		want   int
	}{
		{"no token", nil, "", http.StatusUnauthorized},
		{"unknown token", http.Header{"Authorization": {"Bearer cwt_nope"}}, "", http.StatusUnauthorized},
		{"expired token", http.Header{"Authorization": {"Bearer " + expired}}, "", http.StatusUnauthorized},
		{"expired token in query", nil, "?token=" + expired, http.StatusUnauthorized},
		{"not bearer", http.Header{"Authorization": {"Basic " + good}}, "", http.StatusUnauthorized},
		{"header wins over a good query", http.Header{"Authorization": {"Bearer " + expired}}, "?token=" + good, http.StatusUnauthorized},
		{"good token", http.Header{"Authorization": {"Bearer " + good}}, "", http.StatusSwitchingProtocols},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ws, resp, err := websocket.DefaultDialer.DialContext(t.Context(), srv.URL+"/chat"+tc.query, tc.header)
			if resp == nil {
				t.Fatalf("no HTTP response: %v", err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != tc.want {
				t.Fatalf("status %d, want %d (err %v)", resp.StatusCode, tc.want, err)
			}
			if tc.want != http.StatusSwitchingProtocols {
				if ws != nil {
					t.Fatal("a refused request got a WebSocket")
				}
				if got := resp.Header.Get("Upgrade"); got != "" {
					t.Errorf("refusal carries Upgrade: %q", got)
				}
				var body bytes.Buffer
				_, _ = body.ReadFrom(resp.Body)
				if strings.Contains(body.String(), strings.TrimPrefix(expired, "cwt_")) || strings.Contains(body.String(), strings.TrimPrefix(good, "cwt_")) {
					t.Errorf("refusal body echoes a token: %q", body.String())
				}
				return
			}
			defer ws.Close()
			_, frame, err := ws.ReadMessage()
			if err != nil || !strings.Contains(string(frame), `"session.ready"`) {
				t.Errorf("first frame %q, %v; want session.ready", frame, err)
			}
		})
	}
}

// With AllowedOrigins set, the server answers 403 to another Origin before
// authenticating, allows a listed one (case-insensitively) and a request
// without Origin (a non-browser client).
func TestServerChecksOrigin(t *testing.T) {
	srv := newServer(t, chattest.Options{AllowedOrigins: []string{"https://app.example.com"}})
	for _, tc := range []struct {
		origin string
		want   int
	}{
		{"https://evil.example.com", http.StatusForbidden},
		{"http://app.example.com", http.StatusForbidden},
		{"https://app.example.com:8443", http.StatusForbidden},
		{"null", http.StatusForbidden},
		{"https://APP.example.com", http.StatusSwitchingProtocols},
		{"https://app.example.com", http.StatusSwitchingProtocols},
		{"", http.StatusSwitchingProtocols},
	} {
		t.Run(tc.origin, func(t *testing.T) {
			h := http.Header{"Authorization": {"Bearer " + srv.IssueToken("alice")}}
			if tc.origin != "" {
				h.Set("Origin", tc.origin)
			}
			ws, resp, err := websocket.DefaultDialer.DialContext(t.Context(), srv.URL+"/chat", h)
			if resp == nil {
				t.Fatalf("no HTTP response: %v", err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.want {
				t.Errorf("Origin %q: status %d, want %d", tc.origin, resp.StatusCode, tc.want)
			}
			if ws != nil {
				ws.Close()
			}
		})
	}
	// The SDK surfaces the refusal as a typed dial error.
	src := newSource(t, srv, "alice", func(o *data.Options) {
		o.Header = http.Header{"Origin": {"https://evil.example.com"}}
		o.Connection.MaxAttempts = 1
	})
	err := src.Connect(t.Context(), srv.IssueToken("alice"))
	var de *network.DialError
	if !errors.As(err, &de) || de.StatusCode != http.StatusForbidden {
		t.Errorf("Connect from a refused origin = %v, want a DialError with 403", err)
	}
}

// authRecorder fronts a pushertest.AuthServer and keeps every signature it
// hands out, so the test can look for them in the client's output.
type authRecorder struct {
	mu   sync.Mutex
	sigs []string
	next http.Handler
}

func (a *authRecorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := httptest.NewRecorder()
	a.next.ServeHTTP(rec, r)
	var body struct {
		Auth string `json:"auth"`
	}
	if json.Unmarshal(rec.Body.Bytes(), &body) == nil && body.Auth != "" {
		_, sig, _ := strings.Cut(body.Auth, ":") // key:hex(hmac)
		a.mu.Lock()
		a.sigs = append(a.sigs, sig)
		a.mu.Unlock()
	}
	maps.Copy(w.Header(), rec.Header())
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
}

func (a *authRecorder) signatures() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.sigs)
}

// On the Pusher path (a real Soketi), neither the bearer tokens nor the
// channel auth signatures appear in debug logs or error strings, through
// connect, a 401 from the auth endpoint answered by a token refresh, and
// a channel joined after it. Skips without Soketi (fails under CI=true).
func TestPusherTokensAndSignaturesNeverLeak(t *testing.T) {
	s := pushertest.StartSoketi(t, pushertest.SoketiOptions{})
	auth := pushertest.NewAuthServer(t, s.Key, s.Secret)
	tokens := []string{"cwt_" + strings.Repeat("a1b2", 8), "cwt_" + strings.Repeat("c3d4", 8)}
	for _, tok := range tokens {
		auth.AddUser(tok, pushertest.User{ID: "1", Info: map[string]string{"name": "Ann"}})
	}
	rec := &authRecorder{next: auth}
	front := httptest.NewServer(rec)
	t.Cleanup(front.Close)

	var logs logBuffer
	var refreshed sync.Once
	src, err := laravel.New(laravel.Options{
		Host: s.Host(), Key: s.Key, Connection: laravel.ConnectionOptions{
			ReconnectDelay: 20 * time.Millisecond, MaxReconnectDelay: 200 * time.Millisecond,
		},
		AuthEndpoint: front.URL + "/broadcasting/auth",
		TokenSource: func(context.Context) (string, error) {
			tok := tokens[0]
			refreshed.Do(func() { tok = tokens[1] })
			return tok, nil
		},
		UserID:        "1",
		Conversations: []string{"7"},
		Logger:        debugLogger(&logs),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = src.Close() })
	errs := src.Errors(t.Context())
	var seen []string
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for err := range errs {
			seen = append(seen, err.Error(), fmt.Sprintf("%+v", err), panicText(err))
		}
	}()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	if err := src.Connect(ctx, tokens[0]); err != nil {
		t.Fatalf("Connect: %v", err)
	}
	auth.FailNext(http.StatusUnauthorized)
	if err := src.Join(ctx, "9"); err != nil {
		t.Errorf("Join after a 401 and a refresh: %v", err)
	}
	auth.Deny("private-conversation.13")
	denied := src.Join(ctx, "13")
	_ = src.Close()
	wg.Wait()
	if denied != nil {
		seen = append(seen, denied.Error(), fmt.Sprintf("%+v", denied), panicText(denied))
	}

	sigs := rec.signatures()
	if len(sigs) < 3 {
		t.Fatalf("%d subscriptions signed, want at least 3; the test would prove nothing", len(sigs))
	}
	if !strings.Contains(logs.String(), "level=DEBUG") {
		t.Fatal("no debug logs captured")
	}
	out := logs.String() + "\n" + strings.Join(seen, "\n")
	for _, sig := range sigs {
		if strings.Contains(out, sig) || strings.Contains(out, sig[:len(sig)/2]) {
			t.Errorf("an auth signature appears in the logs or errors")
		}
	}
	for _, tok := range tokens {
		if strings.Contains(out, strings.TrimPrefix(tok, "cwt_")) {
			t.Errorf("a bearer token appears in the logs or errors")
		}
	}
}
