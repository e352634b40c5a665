package laravel_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/chatwire/chatwire/core/clock"
	"github.com/chatwire/chatwire/core/pusher"
	"github.com/chatwire/chatwire/core/pusher/pushertest"
	"github.com/chatwire/chatwire/data/laravel"
	"github.com/chatwire/chatwire/domain"
	"github.com/chatwire/chatwire/presentation"
)

// Integration suite against a real Soketi on loopback, with the test
// playing the Laravel app: /broadcasting/auth (pushertest.AuthServer), a
// JSON API that stores messages and broadcasts them through Soketi's
// signed HTTP API, and events triggered the same way. It skips when Soketi
// is not installed, and fails then under CI=true.

const wait = 15 * time.Second

// laravelApp is one Soketi plus the app around it.
type laravelApp struct {
	s    *pushertest.Soketi
	api  *pushertest.API
	auth *pushertest.AuthServer
	http *httptest.Server

	mu        sync.Mutex
	nextID    int
	toOthers  bool     // exclude the sender's X-Socket-ID from broadcasts
	socketIDs []string // X-Socket-ID of each message request
}

var users = map[string]string{"token-ann": "1", "token-bob": "2"}

func newLaravelApp(t *testing.T) *laravelApp {
	t.Helper()
	s := pushertest.StartSoketi(t, pushertest.SoketiOptions{})
	app := &laravelApp{s: s, api: s.API(), auth: pushertest.NewAuthServer(t, s.Key, s.Secret)}
	app.auth.AddUser("token-ann", pushertest.User{ID: "1", Info: map[string]string{"name": "Ann"}})
	app.auth.AddUser("token-bob", pushertest.User{ID: "2", Info: map[string]string{"name": "Bob"}})
	app.http = httptest.NewServer(http.HandlerFunc(app.serveAPI))
	t.Cleanup(app.http.Close)
	return app
}

// serveAPI is the app's message and read endpoints: store, broadcast, answer.
func (a *laravelApp) serveAPI(w http.ResponseWriter, r *http.Request) {
	user, ok := users[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")]
	if !ok {
		http.Error(w, `{"message":"Unauthenticated."}`, http.StatusUnauthorized)
		return
	}
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/") // api conversations {id} messages|read
	if len(parts) != 4 || r.Method != http.MethodPost {
		http.NotFound(w, r)
		return
	}
	conv, action := parts[2], parts[3]
	var in map[string]any
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		http.Error(w, `{"message":"bad json"}`, http.StatusBadRequest)
		return
	}
	a.mu.Lock()
	a.nextID++
	id := fmt.Sprintf("srv-%d", a.nextID)
	exclude := ""
	if a.toOthers {
		exclude = r.Header.Get("X-Socket-ID")
	}
	a.socketIDs = append(a.socketIDs, r.Header.Get("X-Socket-ID"))
	a.mu.Unlock()
	channel := "private-conversation." + conv
	switch action {
	case "messages":
		msg := map[string]any{"id": id, "client_id": in["client_id"], "conversation_id": conv, "user_id": user,
			"body": in["content"], "kind": in["kind"], "created_at": time.Now().UTC().Format("2006-01-02T15:04:05.000000Z")}
		if err := a.api.Trigger(r.Context(), pushertest.TriggerParams{Channels: []string{channel}, Event: `App\Events\MessageSent`,
			Data: map[string]any{"message": msg}, SocketID: exclude}); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		_ = json.NewEncoder(w).Encode(map[string]any{"data": msg})
	case "read":
		if err := a.api.Trigger(r.Context(), pushertest.TriggerParams{Channels: []string{channel}, Event: `App\Events\MessagesRead`,
			Data: map[string]any{"conversation_id": conv, "user_id": user, "message_id": in["message_id"]}, SocketID: exclude}); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	default:
		http.NotFound(w, r)
	}
}

func (a *laravelApp) options(userID string, mutate func(*laravel.Options)) laravel.Options {
	o := laravel.Options{
		Host: a.s.Host(), Key: a.s.Key, Connection: laravel.ConnectionOptions{
			ReconnectDelay: 20 * time.Millisecond, MaxReconnectDelay: 200 * time.Millisecond, HandshakeTimeout: 5 * time.Second,
		},
		AuthEndpoint:  a.auth.Endpoint(),
		API:           laravel.HTTPBackendOptions{BaseURL: a.http.URL},
		UserID:        userID,
		Conversations: []string{"7"},
	}
	if mutate != nil {
		mutate(&o)
	}
	return o
}

// connect builds and connects a data source for token's user.
func (a *laravelApp) connect(t *testing.T, token string, mutate func(*laravel.Options)) *laravel.DataSource {
	t.Helper()
	src, err := laravel.New(a.options(users[token], mutate))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = src.Close() })
	if err := src.Connect(testCtx(t), token); err != nil {
		t.Fatalf("Connect: %v", err)
	}
	return src
}

func (a *laravelApp) trigger(t *testing.T, channel, event string, data any) {
	t.Helper()
	if err := a.api.Trigger(testCtx(t), pushertest.TriggerParams{Channels: []string{channel}, Event: event, Data: data}); err != nil {
		t.Fatalf("trigger %s: %v", event, err)
	}
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	t.Cleanup(cancel)
	return ctx
}

func recv[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v, ok := <-ch:
		if !ok {
			t.Fatalf("%s: stream closed", what)
		}
		return v
	case <-time.After(wait):
		t.Fatalf("%s: nothing within %v", what, wait)
	}
	var zero T
	return zero
}

// recvUntil returns the first value that satisfies ok, skipping others.
func recvUntil[T any](t *testing.T, ch <-chan T, what string, ok func(T) bool) T {
	t.Helper()
	for {
		if v := recv(t, ch, what); ok(v) {
			return v
		}
	}
}

// eventually polls cond until it holds or the wait runs out.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, wait)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// marker triggers a message on conversation 7 and waits for it: every
// event triggered before it has arrived by then (Soketi keeps order per
// connection), so "nothing else arrived" can be checked without sleeping.
func (a *laravelApp) marker(t *testing.T, msgs <-chan domain.Message, id string) []domain.Message {
	t.Helper()
	a.trigger(t, "private-conversation.7", `App\Events\MessageSent`, map[string]any{"message": map[string]any{"id": id, "conversation_id": "7", "user_id": "9", "body": "marker"}})
	var before []domain.Message
	for {
		m := recv(t, msgs, "marker "+id)
		if m.ID == id {
			return before
		}
		before = append(before, m)
	}
}

func TestSoketi(t *testing.T) {
	app := newLaravelApp(t)

	t.Run("laravel event flow reaches the typed streams", func(t *testing.T) {
		ann := app.connect(t, "token-ann", nil)
		bob := app.connect(t, "token-bob", nil)
		ctx := testCtx(t)
		msgs, typing, reads := ann.Messages(ctx), ann.Typing(ctx), ann.ReadReceipts(ctx)

		app.trigger(t, "private-conversation.7", `App\Events\MessageSent`, map[string]any{
			"message": map[string]any{"id": 501, "client_id": "c-501", "conversation_id": 7, "user_id": 2, "body": "Hello Ann",
				"kind": "image", "created_at": "2026-05-01T10:00:00.000000Z", "reply_to_id": 500,
				"attachments": []map[string]any{{"url": "https://cdn/x.png", "name": "x.png", "mime": "image/png", "size": 1234}}},
			"user": map[string]any{"id": 2, "name": "Bob"},
		})
		m := recv(t, msgs, "MessageSent")
		want := domain.Message{ID: "501", ClientID: "c-501", ConversationID: "7", SenderID: "2", Content: "Hello Ann",
			Kind: domain.KindImage, CreatedAt: time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC), ReplyTo: "500",
			Attachments: []domain.Attachment{{URL: "https://cdn/x.png", Name: "x.png", MIME: "image/png", Size: 1234}}}
		if m.ID != want.ID || m.ClientID != want.ClientID || m.ConversationID != want.ConversationID || m.SenderID != want.SenderID ||
			m.Content != want.Content || m.Kind != want.Kind || !m.CreatedAt.Equal(want.CreatedAt) || m.ReplyTo != want.ReplyTo ||
			len(m.Attachments) != 1 || m.Attachments[0] != want.Attachments[0] {
			t.Fatalf("message = %+v\nwant      %+v", m, want)
		}

		// broadcastAs with a leading dot on the client side.
		app.trigger(t, "private-conversation.7", "message.sent", `{"id":"502","conversation_id":"7","sender_id":"2","content":"dotted"}`)
		if m := recv(t, msgs, ".message.sent"); m.ID != "502" || m.Content != "dotted" {
			t.Fatalf("message = %+v", m)
		}

		// A client-typing whisper from another SDK client.
		if err := bob.SendTyping(ctx, "7", true); err != nil {
			t.Fatalf("SendTyping: %v", err)
		}
		if ti := recv(t, typing, "whisper"); ti.ConversationID != "7" || ti.UserID != "2" || !ti.IsTyping || ti.ReceivedAt.IsZero() {
			t.Fatalf("typing = %+v", ti)
		}

		app.trigger(t, "private-conversation.7", `App\Events\MessagesRead`, map[string]any{"conversation_id": 7, "user_id": 2, "message_id": 501, "read_at": "2026-05-01T10:01:00.000000Z"})
		r := recv(t, reads, "MessagesRead")
		if r.ConversationID != "7" || r.UserID != "2" || r.MessageID != "501" || !r.ReadAt.Equal(time.Date(2026, 5, 1, 10, 1, 0, 0, time.UTC)) {
			t.Fatalf("receipt = %+v", r)
		}
		// Bob marks read through the API; Ann gets the broadcast receipt.
		if err := bob.MarkRead(ctx, "7", "502"); err != nil {
			t.Fatalf("MarkRead: %v", err)
		}
		if r := recv(t, reads, "receipt via the API"); r.UserID != "2" || r.MessageID != "502" {
			t.Fatalf("receipt = %+v", r)
		}

		// Unknown events reach the raw stream only; every frame is raw.
		raw := ann.RawMessages(ctx)
		app.trigger(t, "private-conversation.7", `App\Events\Unrelated`, `{"x":1}`)
		recvUntil(t, raw, "unknown event", func(f domain.RawFrame) bool { return f.Type == `App\Events\Unrelated` })
		if extra := app.marker(t, msgs, "mk-flow"); len(extra) != 0 {
			t.Fatalf("unexpected messages %+v", extra)
		}
		if st := ann.ConnectionState(); st.Status != domain.Connected || st.UserID != "1" || st.SessionID != ann.SocketID() || st.SessionID == "" {
			t.Fatalf("state = %+v (socket %q)", st, ann.SocketID())
		}
	})

	t.Run("sent message is delivered once with its broadcast", func(t *testing.T) {
		ann := app.connect(t, "token-ann", nil)
		bob := app.connect(t, "token-bob", nil)
		ctx := testCtx(t)
		annMsgs, bobMsgs := ann.Messages(ctx), bob.Messages(ctx)
		for _, toOthers := range []bool{false, true} {
			app.mu.Lock()
			app.toOthers = toOthers
			app.mu.Unlock()
			m, err := ann.SendMessage(ctx, domain.MessageDraft{ConversationID: "7", Content: fmt.Sprint("hi toOthers=", toOthers)})
			if err != nil {
				t.Fatalf("SendMessage: %v", err)
			}
			if m.ID == "" || m.ClientID == "" || m.SenderID != "1" {
				t.Fatalf("stored message = %+v", m)
			}
			if got := recv(t, annMsgs, "own message"); got.ID != m.ID {
				t.Fatalf("ann got %+v, want %s", got, m.ID)
			}
			// Bob also gets the markers of the previous round: skip them.
			got := recvUntil(t, bobMsgs, "broadcast", func(b domain.Message) bool { return !strings.HasPrefix(b.ID, "mk-") })
			if got.ID != m.ID || got.ClientID != m.ClientID || got.Content != m.Content {
				t.Fatalf("bob got %+v, want %+v", got, m)
			}
			if extra := app.marker(t, annMsgs, "mk-send-"+fmt.Sprint(toOthers)); len(extra) != 0 {
				t.Fatalf("ann got the message twice: %+v", extra)
			}
		}
		app.mu.Lock()
		last := app.socketIDs[len(app.socketIDs)-1]
		app.toOthers = false
		app.mu.Unlock()
		if last != ann.SocketID() {
			t.Fatalf("X-Socket-ID = %q, want %q", last, ann.SocketID())
		}
	})

	t.Run("presence join and leave reach user statuses", func(t *testing.T) {
		ann, err := laravel.New(app.options("1", nil))
		if err != nil {
			t.Fatal(err)
		}
		defer ann.Close()
		ctx := testCtx(t)
		statuses := ann.UserStatuses(ctx)
		if err := ann.Connect(ctx, "token-ann"); err != nil {
			t.Fatal(err)
		}
		if u := recv(t, statuses, "own presence"); u.UserID != "1" || u.Status != domain.StatusOnline {
			t.Fatalf("status = %+v", u)
		}
		bob := app.connect(t, "token-bob", nil)
		if u := recv(t, statuses, "bob joins"); u.UserID != "2" || u.Status != domain.StatusOnline {
			t.Fatalf("status = %+v", u)
		}
		before := time.Now()
		if err := bob.Close(); err != nil {
			t.Fatal(err)
		}
		u := recv(t, statuses, "bob leaves")
		if u.UserID != "2" || u.Status != domain.StatusOffline || u.LastSeen.Before(before.Add(-time.Second)) {
			t.Fatalf("status = %+v", u)
		}
		if m := ann.Members(); len(m) != 1 || m[0] != "1" {
			t.Fatalf("members = %v", m)
		}
	})

	t.Run("join and leave at run time", func(t *testing.T) {
		ann := app.connect(t, "token-ann", nil)
		ctx := testCtx(t)
		msgs := ann.Messages(ctx)
		if err := ann.Join(ctx, "9"); err != nil {
			t.Fatalf("Join: %v", err)
		}
		app.trigger(t, "private-conversation.9", `App\Events\MessageSent`, `{"message":{"id":"in-9","user_id":"2","body":"x"}}`)
		if m := recv(t, msgs, "joined conversation"); m.ID != "in-9" || m.ConversationID != "9" {
			t.Fatalf("message = %+v", m)
		}
		if err := ann.Leave(ctx, "9"); err != nil {
			t.Fatalf("Leave: %v", err)
		}
		if got := ann.Conversations(); len(got) != 1 || got[0] != "7" {
			t.Fatalf("conversations = %v", got)
		}
		app.trigger(t, "private-conversation.9", `App\Events\MessageSent`, `{"message":{"id":"after-leave","user_id":"2"}}`)
		if extra := app.marker(t, msgs, "mk-leave"); len(extra) != 0 {
			t.Fatalf("left conversation still delivers: %+v", extra)
		}
		if err := ann.SendTyping(ctx, "9", true); !errors.Is(err, laravel.ErrNotJoined) {
			t.Fatalf("typing in a left conversation: %v", err)
		}
	})

	t.Run("refused conversation is a subscription error, not a lost session", func(t *testing.T) {
		app.auth.Deny("private-conversation.13")
		ann := app.connect(t, "token-ann", nil)
		ctx := testCtx(t)
		errs := ann.Errors(ctx)
		err := ann.Join(ctx, "13")
		var de *domain.Error
		if err == nil || errors.Is(err, domain.ErrUnauthorized) || !errors.Is(err, pusher.ErrSubscription) {
			t.Fatalf("Join = %v, want a subscription error that is not ErrUnauthorized", err)
		}
		if got := ann.Conversations(); len(got) != 1 {
			t.Fatalf("refused conversation kept: %v", got)
		}
		// The session goes on, and the refusal was returned, not reported.
		msgs := ann.Messages(ctx)
		app.marker(t, msgs, "mk-refused")
		for {
			select {
			case e := <-errs:
				if errors.As(e, &de) && de.Class == domain.ClassSubscription {
					t.Fatalf("Join's failure also reported on Errors: %v", e)
				}
				continue
			default:
			}
			break
		}
	})

	t.Run("refused token is refreshed once, then fatal", func(t *testing.T) {
		var asked int
		var mu sync.Mutex
		src, err := laravel.New(app.options("1", func(o *laravel.Options) {
			o.TokenSource = func(context.Context) (string, error) {
				mu.Lock()
				defer mu.Unlock()
				asked++
				return "token-ann", nil
			}
		}))
		if err != nil {
			t.Fatal(err)
		}
		defer src.Close()
		ctx := testCtx(t)
		if err := src.Connect(ctx, "expired-token"); err != nil {
			t.Fatalf("Connect with an expired token and a token source: %v", err)
		}
		mu.Lock()
		n := asked
		mu.Unlock()
		if n != 1 {
			t.Fatalf("token source asked %d times, want 1 (one refresh shared by every channel)", n)
		}
		// The refreshed token is used for the HTTP API too.
		if _, err := src.SendMessage(ctx, domain.MessageDraft{ConversationID: "7", Content: "with the fresh token"}); err != nil {
			t.Fatalf("SendMessage: %v", err)
		}

		bad, err := laravel.New(app.options("1", nil))
		if err != nil {
			t.Fatal(err)
		}
		defer bad.Close()
		err = bad.Connect(ctx, "revoked-token")
		if !errors.Is(err, domain.ErrUnauthorized) || strings.Contains(err.Error(), "revoked-token") {
			t.Fatalf("Connect = %v, want ErrUnauthorized", err)
		}
		if _, err := bad.SendMessage(ctx, domain.MessageDraft{ConversationID: "7", Content: "x"}); !errors.Is(err, domain.ErrUnauthorized) {
			t.Fatalf("SendMessage with a revoked token: %v", err)
		}
		// Signing in again: Connect with a good token subscribes what failed.
		if err := bad.Connect(ctx, "token-ann"); err != nil {
			t.Fatalf("Connect again: %v", err)
		}
		app.marker(t, bad.Messages(ctx), "mk-relogin")
	})

	t.Run("whispered reads and call signals", func(t *testing.T) {
		whisperReads := func(o *laravel.Options) { o.ReadWhisper = true }
		ann := app.connect(t, "token-ann", whisperReads)
		clk := clock.NewFake(time.Now())
		bob := app.connect(t, "token-bob", func(o *laravel.Options) { whisperReads(o); o.Clock = clk })
		ctx := testCtx(t)
		reads, calls := ann.ReadReceipts(ctx), ann.Calls(ctx)

		if err := bob.MarkRead(ctx, "7", "m42"); err != nil {
			t.Fatalf("MarkRead: %v", err)
		}
		if r := recv(t, reads, "read whisper"); r.ConversationID != "7" || r.UserID != "2" || r.MessageID != "m42" || !r.ReadAt.Equal(clk.Now().Truncate(time.Microsecond)) {
			t.Fatalf("receipt = %+v", r)
		}
		if err := bob.SendCallSignal(ctx, domain.CallSignal{Kind: domain.SignalInvite, CallID: "call-1", ConversationID: "7", CalleeIDs: []string{"1"}, Media: domain.MediaVideo}); err != nil {
			t.Fatalf("invite: %v", err)
		}
		c := recv(t, calls, "invite")
		if c.Kind != domain.CallIncoming || c.CallID != "call-1" || c.ConversationID != "7" || c.CallerID != "2" || len(c.CalleeIDs) != 1 || c.CalleeIDs[0] != "1" || c.Media != domain.MediaVideo {
			t.Fatalf("incoming = %+v", c)
		}
		sdp := `{"type":"offer","sdp":"v=0\r\n"}`
		if err := bob.SendCallSignal(ctx, domain.CallSignal{Kind: domain.SignalOffer, CallID: "call-1", ConversationID: "7", To: "1", Signal: []byte(sdp)}); err != nil {
			t.Fatalf("offer: %v", err)
		}
		if c := recv(t, calls, "offer"); c.Kind != domain.CallOffer || c.From != "2" || c.To != "1" || string(c.Signal) != sdp {
			t.Fatalf("offer = %+v (signal %s)", c, c.Signal)
		}
		// Three client events so far; the protocol allows ten per second.
		for i := range 7 {
			if err := bob.SendTyping(ctx, "7", i%2 == 0); err != nil {
				t.Fatalf("typing %d: %v", i, err)
			}
		}
		if err := bob.SendTyping(ctx, "7", true); !errors.Is(err, pusher.ErrRateLimited) {
			t.Fatalf("11th client event in a second: %v, want ErrRateLimited", err)
		}
		clk.Advance(time.Second)
		if err := bob.SendTyping(ctx, "7", false); err != nil {
			t.Fatalf("after a second: %v", err)
		}
	})

	t.Run("presentation notifiers work unchanged", func(t *testing.T) {
		annSrc, err := laravel.New(app.options("1", nil))
		if err != nil {
			t.Fatal(err)
		}
		defer annSrc.Close()
		bobSrc, err := laravel.New(app.options("2", nil))
		if err != nil {
			t.Fatal(err)
		}
		defer bobSrc.Close()
		ann := presentation.NewNotifiers(annSrc, presentation.NotifiersOptions{UserID: "1"})
		defer ann.Close()
		bob := presentation.NewNotifiers(bobSrc, presentation.NotifiersOptions{UserID: "2"})
		defer bob.Close()
		ctx := testCtx(t)
		if err := annSrc.Connect(ctx, "token-ann"); err != nil {
			t.Fatal(err)
		}
		if err := bobSrc.Connect(ctx, "token-bob"); err != nil {
			t.Fatal(err)
		}

		if err := bob.Typing.Keystroke(ctx, "7"); err != nil {
			t.Fatalf("Keystroke: %v", err)
		}
		eventually(t, "ann sees bob typing", func() bool {
			who := ann.Typing.Value().In("7")
			return len(who) == 1 && who[0] == "2"
		})

		sent, err := bob.Messages.Send(ctx, domain.MessageDraft{ConversationID: "7", Content: "through the notifier"})
		if err != nil || sent.Status != presentation.MessageSent {
			t.Fatalf("Send = %+v, %v", sent, err)
		}
		eventually(t, "ann's messages notifier has the message", func() bool {
			for _, m := range ann.Messages.Value().In("7") {
				if m.ID == sent.ID && m.Content == "through the notifier" && m.SenderID == "2" {
					return true
				}
			}
			return false
		})
		// Bob's message ended Bob's typing on Ann's side.
		eventually(t, "typing cleared by the message", func() bool { return len(ann.Typing.Value().In("7")) == 0 })
		if n := len(bob.Messages.Value().In("7")); n != 1 {
			t.Fatalf("bob's notifier holds %d messages, want 1", n)
		}
		eventually(t, "presence notifier", func() bool {
			return func() bool { u, ok := ann.Presence.Value().Of("2"); return ok && u.Status == domain.StatusOnline }()
		})
	})

	// Issue 12, defects 7 and 8 through a real server: a message is its
	// id, never its client id alone; a raw frame is the bytes Soketi sent,
	// not a re-encoding.
	t.Run("client ids belong to their sender and raw frames keep their bytes", func(t *testing.T) {
		ann := app.connect(t, "token-ann", nil)
		ctx := testCtx(t)
		msgs, raw := ann.Messages(ctx), ann.RawMessages(ctx)
		sent := func(m map[string]any) {
			app.trigger(t, "private-conversation.7", `App\Events\MessageSent`, map[string]any{"message": m})
		}
		sent(map[string]any{"id": "901", "client_id": "dup", "conversation_id": "7", "user_id": "2", "body": "from 2"})
		sent(map[string]any{"id": "902", "client_id": "dup", "conversation_id": "7", "user_id": "3", "body": "from 3"})
		// A backend that sets one client id for every message of a sender.
		sent(map[string]any{"id": "903", "client_id": "web", "conversation_id": "7", "user_id": "2", "body": "web a"})
		sent(map[string]any{"id": "904", "client_id": "web", "conversation_id": "7", "user_id": "2", "body": "web b"})
		sent(map[string]any{"id": "901", "client_id": "dup", "conversation_id": "7", "user_id": "2", "body": "from 2"}) // a second copy
		got := app.marker(t, msgs, "mk-identity")
		var contents []string
		for _, m := range got {
			contents = append(contents, m.Content)
		}
		if want := []string{"from 2", "from 3", "web a", "web b"}; !slices.Equal(contents, want) {
			t.Fatalf("messages %q, want %q (each once)", contents, want)
		}

		// A raw frame is byte for byte what a plain gorilla client on the
		// same channel reads from Soketi.
		if err := ann.Channel("raw-check").Subscribe(ctx); err != nil {
			t.Fatalf("Subscribe: %v", err)
		}
		plain := plainSubscriber(t, app.s, "raw-check")
		data := `{"b": 2,  "a":"caf\u00e9 <&> \u2028"}`
		app.trigger(t, "raw-check", "raw-event", data)
		f := recvUntil(t, raw, "the raw frame", func(f domain.RawFrame) bool { return f.Type == "raw-event" })
		if want := plain.next(t, "raw-event"); !bytes.Equal(f.Data, want) {
			t.Fatalf("raw frame\n%s\nwant Soketi's bytes\n%s", f.Data, want)
		}
	})

	t.Run("soketi restart duplicates nothing", func(t *testing.T) {
		ann := app.connect(t, "token-ann", nil)
		ctx := testCtx(t)
		msgs, statuses, states := ann.Messages(ctx), ann.UserStatuses(ctx), ann.ConnectionStates(ctx)
		bob := app.connect(t, "token-bob", nil) // a presence member across the restart
		bobMsgs := bob.Messages(ctx)
		recvUntil(t, statuses, "bob online", func(u domain.UserStatusUpdate) bool {
			return u.UserID == "2" && u.Status == domain.StatusOnline
		})
		app.trigger(t, "private-conversation.7", `App\Events\MessageSent`, `{"message":{"id":"before-restart","user_id":"2"}}`)
		recvUntil(t, msgs, "before restart", func(m domain.Message) bool { return m.ID == "before-restart" })
		recvUntil(t, bobMsgs, "before restart (bob)", func(m domain.Message) bool { return m.ID == "before-restart" })
		oldSocket := ann.SocketID()

		app.s.Restart()

		st := recvUntil(t, states, "reconnected", func(s domain.ConnectionState) bool {
			return s.Status == domain.Connected && s.SessionID != "" && s.SessionID != oldSocket
		})
		if st.Sync != domain.SyncIncomplete {
			t.Fatalf("sync after reconnect = %v, want incomplete (Pusher replays nothing)", st.Sync)
		}
		// Both clients are subscribed on the new server once a marker
		// reaches each (a state seen may still be of the old server's
		// grace period).
		app.onNewServer(t, msgs, "ann")
		app.onNewServer(t, bobMsgs, "bob")
		eventually(t, "bob back in presence", func() bool { return len(ann.Members()) == 2 })

		// The same message again (a backend retry), then a new one.
		app.trigger(t, "private-conversation.7", `App\Events\MessageSent`, `{"message":{"id":"before-restart","user_id":"2"}}`)
		app.trigger(t, "private-conversation.7", `App\Events\MessageSent`, `{"message":{"id":"after-restart","user_id":"2"}}`)
		if m := recvUntil(t, msgs, "after restart", notMarker); m.ID != "after-restart" {
			t.Fatalf("got %+v, want after-restart (the repeat must be dropped)", m)
		}
		for _, m := range app.marker(t, msgs, "mk-restart") {
			if !strings.HasPrefix(m.ID, "mk-") {
				t.Fatalf("duplicate: %+v", m)
			}
		}

		// Presence: whoever resubscribed first saw the other missing for a
		// moment, so "offline then online" is allowed; a status repeated
		// without a change in between is a duplicate.
		last := map[string]domain.PresenceStatus{"1": domain.StatusOnline, "2": domain.StatusOnline}
		for drained := false; !drained; {
			select {
			case u := <-statuses:
				if last[u.UserID] == u.Status {
					t.Fatalf("presence repeated across the restart: %+v", u)
				}
				last[u.UserID] = u.Status
			default:
				drained = true
			}
		}
		if last["2"] != domain.StatusOnline || last["1"] != domain.StatusOnline {
			t.Fatalf("final presence = %v", last)
		}
	})
}

func notMarker(m domain.Message) bool { return !strings.HasPrefix(m.ID, "mk-") }

// onNewServer triggers markers on conversation 7 until one reaches msgs.
func (a *laravelApp) onNewServer(t *testing.T, msgs <-chan domain.Message, who string) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for i := 0; time.Now().Before(deadline); i++ {
		id := fmt.Sprintf("mk-%s-%d", who, i)
		a.trigger(t, "private-conversation.7", `App\Events\MessageSent`, map[string]any{"message": map[string]any{"id": id, "user_id": "9"}})
		timeout := time.After(500 * time.Millisecond)
		for {
			select {
			case m := <-msgs:
				if m.ID == id {
					return
				}
				if notMarker(m) {
					t.Fatalf("%s: unexpected message %+v while waiting for the new server", who, m)
				}
				continue
			case <-timeout:
			}
			break
		}
	}
	t.Fatalf("%s: not subscribed on the restarted server within %v", who, wait)
}

// plainConn is a bare gorilla client of Soketi: what the server sends, as
// it sends it.
type plainConn struct{ ws *websocket.Conn }

// plainSubscriber connects to s and subscribes the public channel.
func plainSubscriber(t *testing.T, s *pushertest.Soketi, channel string) *plainConn {
	t.Helper()
	ws, _, err := websocket.DefaultDialer.DialContext(testCtx(t), "ws://"+s.Host()+"/app/"+s.Key+"?protocol=7", nil)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { _ = ws.Close() })
	c := &plainConn{ws: ws}
	c.next(t, pusher.EventConnectionEstablished)
	if err := ws.WriteMessage(websocket.TextMessage, []byte(`{"event":"pusher:subscribe","data":{"channel":"`+channel+`"}}`)); err != nil {
		t.Fatal(err)
	}
	c.next(t, pusher.EventSubscriptionSucceeded)
	return c
}

// next returns the next frame whose event is event, skipping others.
func (c *plainConn) next(t *testing.T, event string) []byte {
	t.Helper()
	_ = c.ws.SetReadDeadline(time.Now().Add(wait))
	for {
		_, b, err := c.ws.ReadMessage()
		if err != nil {
			t.Fatalf("waiting for %s: %v", event, err)
		}
		if f, err := pusher.DecodeFrame(b); err == nil && f.Event == event {
			return b
		}
	}
}
