package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chatwire/chatwire/core/pusher/pushertest"
	"github.com/chatwire/chatwire/domain"
)

// pusherApp is a Soketi plus the Laravel app around it: /broadcasting/auth
// (pushertest.AuthServer) and POST /api/conversations/{id}/messages, which
// stores nothing but broadcasts App\Events\MessageSent through Soketi's
// signed HTTP API, to others only (Laravel's toOthers(), by X-Socket-ID).
type pusherApp struct {
	soketi *pushertest.Soketi
	auth   *pushertest.AuthServer
	api    *httptest.Server
	users  map[string]string // token → user id

	mu     sync.Mutex
	nextID int
	posts  int
}

func newPusherApp(t *testing.T, users map[string]string) *pusherApp {
	t.Helper()
	s := pushertest.StartSoketi(t, pushertest.SoketiOptions{})
	a := &pusherApp{soketi: s, auth: pushertest.NewAuthServer(t, s.Key, s.Secret), users: users}
	for tok, id := range users {
		a.auth.AddUser(tok, pushertest.User{ID: id, Info: map[string]string{"name": id}})
	}
	a.api = httptest.NewServer(http.HandlerFunc(a.serveMessages))
	t.Cleanup(a.api.Close)
	return a
}

func (a *pusherApp) serveMessages(w http.ResponseWriter, r *http.Request) {
	user, ok := a.users[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")]
	if !ok {
		http.Error(w, `{"message":"Unauthenticated."}`, http.StatusUnauthorized)
		return
	}
	conv, hasPrefix := strings.CutPrefix(r.URL.Path, "/api/conversations/")
	conv, hasSuffix := strings.CutSuffix(conv, "/messages")
	if !hasPrefix || !hasSuffix || r.Method != http.MethodPost {
		http.NotFound(w, r)
		return
	}
	var in struct {
		ClientID string `json:"client_id"`
		Content  string `json:"content"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		http.Error(w, `{"message":"bad json"}`, http.StatusBadRequest)
		return
	}
	a.mu.Lock()
	a.nextID++
	a.posts++
	id := fmt.Sprintf("srv-%d", a.nextID)
	a.mu.Unlock()
	msg := map[string]any{"id": id, "client_id": in.ClientID, "conversation_id": conv, "user_id": user,
		"body": in.Content, "created_at": time.Now().UTC().Format("2006-01-02T15:04:05.000000Z")}
	err := a.soketi.API().Trigger(r.Context(), pushertest.TriggerParams{
		Channels: []string{"private-conversation." + conv}, Event: `App\Events\MessageSent`,
		Data: map[string]any{"message": msg}, SocketID: r.Header.Get("X-Socket-ID"),
	})
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	_ = json.NewEncoder(w).Encode(map[string]any{"data": msg})
}

func (a *pusherApp) postCount() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.posts
}

// connect starts `chatwire connect --pusher-key ...` for user, driven
// through a pipe; withAPI adds --api.
func (a *pusherApp) connect(ctx context.Context, token, user string, withAPI bool) *connectClient {
	args := []string{"connect", "--pusher-key", a.soketi.Key, "--host", a.soketi.Host(),
		"--auth-endpoint", a.auth.Endpoint(), "--user", user, "--token", token,
		"--conversation", "lobby", "--reconnect-delay", "50ms"}
	if withAPI {
		args = append(args, "--api", a.api.URL)
	}
	r, w := io.Pipe()
	c := &connectClient{in: w, out: newSyncBuffer(), errOut: newSyncBuffer(), exit: make(chan int, 1)}
	go func() {
		defer r.Close()
		c.exit <- run(ctx, args, r, c.out, c.errOut)
	}()
	return c
}

// Two terminal clients against a real Soketi with a Laravel-style app:
// alice's line reaches bob through the app's API and a MessageSent
// broadcast, her /typing through a client-typing whisper; a third client
// without --api cannot send (a clear error) but can still whisper typing.
func TestConnectPusher(t *testing.T) {
	const aliceTok, bobTok, carolTok = "tok-alice-8c1f27d0", "tok-bob-4e9a61b3", "tok-carol-0d72c5aa"
	app := newPusherApp(t, map[string]string{aliceTok: "alice", bobTok: "bob", carolTok: "carol"})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	bob := app.connect(ctx, bobTok, "bob", true)
	bob.out.waitFor(t, "sending to lobby")
	alice := app.connect(ctx, aliceTok, "alice", true)
	alice.out.waitFor(t, "sending to lobby")
	bob.out.waitFor(t, "alice is online") // presence-online
	if !strings.Contains(alice.out.String(), "connecting to pusher app "+app.soketi.Key) {
		t.Errorf("alice's transcript does not say where it connects:\n%s", alice.out)
	}

	alice.say(t, "/typing")
	bob.out.waitFor(t, "lobby    alice is typing")

	alice.say(t, "hello bob")
	bob.out.waitFor(t, `lobby    alice: "hello bob"`)
	alice.out.waitFor(t, `alice: "hello bob" (confirmed by the server, id srv-1)`)

	// Without --api: sending fails with a clear error, nothing is posted,
	// and typing whispers still work.
	carol := app.connect(ctx, carolTok, "carol", false)
	carol.out.waitFor(t, "sending to lobby")
	carol.say(t, "nobody will see this")
	carol.out.waitFor(t, "sending messages needs --api")
	carol.say(t, "/typing")
	bob.out.waitFor(t, "lobby    carol is typing")
	if n := app.postCount(); n != 1 {
		t.Errorf("the app got %d message posts, want 1 (alice's)", n)
	}

	alice.say(t, "/quit")
	for name, c := range map[string]*connectClient{"alice": alice, "bob": bob, "carol": carol} {
		_ = c.in.Close() // end of input quits (alice has quit already)
		want := exitOK
		if name == "carol" {
			want = exitFailure // her send was refused
		}
		if code := c.wait(t); code != want {
			t.Errorf("%s exit code %d, want %d; stderr:\n%s", name, code, want, c.errOut)
		}
	}
	if strings.Contains(bob.out.String(), "nobody will see this") {
		t.Errorf("bob got carol's unsent message:\n%s", bob.out)
	}
	if got := strings.Count(bob.out.String(), `alice: "hello bob"`); got != 1 {
		t.Errorf("bob shows alice's message %d times, want 1:\n%s", got, bob.out)
	}
	for name, c := range map[string]*connectClient{"alice": alice, "bob": bob, "carol": carol} {
		out := c.out.String() + c.errOut.String()
		for _, tok := range []string{aliceTok, bobTok, carolTok} {
			if strings.Contains(out, tok) {
				t.Errorf("%s's output shows a token", name)
			}
		}
	}
}

// A refused token is a runtime failure (exit 1) that says why and does not
// print the token.
func TestConnectPusherUnauthorized(t *testing.T) {
	app := newPusherApp(t, map[string]string{"tok-alice": "alice"})
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	var out, errOut strings.Builder
	code := run(ctx, []string{"connect", "--pusher-key", app.soketi.Key, "--host", app.soketi.Host(),
		"--auth-endpoint", app.auth.Endpoint(), "--user", "alice", "--token", "tok-revoked-51d3"},
		strings.NewReader(""), &out, &errOut)
	if code != exitFailure {
		t.Errorf("exit code %d, want 1; stderr:\n%s", code, &errOut)
	}
	if !strings.Contains(errOut.String(), "unauthorized") {
		t.Errorf("stderr does not say unauthorized:\n%s", &errOut)
	}
	if strings.Contains(out.String()+errOut.String(), "tok-revoked-51d3") {
		t.Error("the token was printed")
	}
}

// Without --api the backend refuses messages with errNoAPI (and
// domain.ErrUnsupported); no socket is needed to see it.
func TestPusherBackendWithoutAPI(t *testing.T) {
	o := connectOptions{Pusher: pusherOptions{Key: "k", Host: "127.0.0.1:1", AuthEndpoint: "http://127.0.0.1:1/broadcasting/auth", UserID: "alice"},
		Token: "t", Conversation: "lobby"}
	src, err := pusherBackend(o)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	_, err = src.SendMessage(context.Background(), domain.MessageDraft{ConversationID: "lobby", Content: "hi"})
	if !errors.Is(err, errNoAPI) || !errors.Is(err, domain.ErrUnsupported) {
		t.Fatalf("SendMessage = %v, want errNoAPI", err)
	}
	if got := o.target(); got != "pusher app k at ws://127.0.0.1:1 as user alice" {
		t.Errorf("target = %q", got)
	}
}
