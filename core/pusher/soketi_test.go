package pusher_test

import (
	"context"
	"errors"
	"regexp"
	"testing"
	"time"

	"github.com/chatwire/chatwire/core/clock"
	"github.com/chatwire/chatwire/core/network"
	"github.com/chatwire/chatwire/core/pusher"
	"github.com/chatwire/chatwire/core/pusher/pushertest"
)

// Integration tests against a real Soketi server on loopback. They skip
// when Soketi is not installed (see pushertest), and fail then under CI=true.

var socketIDPattern = regexp.MustCompile(`^\d+\.\d+$`)

// soketiEnv is one Soketi server, its HTTP API and a Laravel-style auth
// endpoint that knows two users.
type soketiEnv struct {
	s    *pushertest.Soketi
	api  *pushertest.API
	auth *pushertest.AuthServer
}

func newSoketiEnv(t *testing.T) *soketiEnv {
	t.Helper()
	s := pushertest.StartSoketi(t, pushertest.SoketiOptions{})
	auth := pushertest.NewAuthServer(t, s.Key, s.Secret)
	auth.AddUser("token-ann", pushertest.User{ID: "1", Info: map[string]string{"name": "Ann"}})
	auth.AddUser("token-bob", pushertest.User{ID: "2", Info: map[string]string{"name": "Bob"}})
	return &soketiEnv{s: s, api: s.API(), auth: auth}
}

func (e *soketiEnv) authorizer(token string) *pusher.HTTPAuthorizer {
	return pusher.NewHTTPAuthorizer(pusher.HTTPAuthorizerOptions{
		Endpoint: e.auth.Endpoint(),
		Tokens:   pusher.NewTokens(token, nil),
	})
}

func (e *soketiEnv) client(t *testing.T, token string, mgr network.ManagerOptions) *pusher.Client {
	t.Helper()
	return newClient(t, pusher.Options{
		Host:       e.s.Host(),
		Key:        e.s.Key,
		Authorizer: e.authorizer(token),
		Manager:    mgr,
	})
}

func (e *soketiEnv) trigger(t *testing.T, channel, event string, data any) {
	t.Helper()
	if err := e.api.Trigger(testCtx(t), pushertest.TriggerParams{Channels: []string{channel}, Event: event, Data: data}); err != nil {
		t.Fatalf("trigger %s on %s: %v", event, channel, err)
	}
}

func TestSoketi(t *testing.T) {
	env := newSoketiEnv(t)

	t.Run("connect", func(t *testing.T) {
		c := env.client(t, "token-ann", fastManager())
		if err := c.Connect(testCtx(t)); err != nil {
			t.Fatalf("Connect: %v", err)
		}
		if st := c.State(); st.State != network.StateConnected {
			t.Fatalf("state = %v", st.State)
		}
		eventually(t, "socket id", func() bool { return c.SocketID() != "" })
		if id := c.SocketID(); !socketIDPattern.MatchString(id) {
			t.Fatalf("socket id %q does not look like Pusher's", id)
		}
	})

	t.Run("ping pong", func(t *testing.T) {
		clk := clock.NewFake(time.Now())
		c := env.client(t, "token-ann", fakeManager(clk))
		frames := c.Frames(testCtx(t))
		if err := c.Connect(testCtx(t)); err != nil {
			t.Fatalf("Connect: %v", err)
		}
		f := recvFrame(t, frames, pusher.EventConnectionEstablished)
		if jsonField(t, f.Payload(), "socket_id") == "" {
			t.Fatalf("connection_established without socket id: %s", f.Data)
		}
		// Soketi's activity timeout is 30 s: after 30 s of silence the
		// client pings and Soketi answers with pusher:pong.
		if !clk.WaitForTimers(1, wait) {
			t.Fatal("no heartbeat timer")
		}
		clk.Advance(30 * time.Second)
		recvFrame(t, frames, pusher.EventPong)
		// The pong kept the connection alive past the pong timeout.
		clk.Advance(pusher.DefaultPongTimeout)
		if st := c.State(); st.State != network.StateConnected {
			t.Fatalf("after the pong: state = %v (%v)", st.State, st.Err)
		}
	})

	t.Run("public channel receives server events", func(t *testing.T) {
		c := env.client(t, "token-ann", fastManager())
		ctx := testCtx(t)
		if err := c.Connect(ctx); err != nil {
			t.Fatal(err)
		}
		ch, err := c.Subscribe(ctx, "news")
		if err != nil {
			t.Fatalf("Subscribe: %v", err)
		}
		if ch.State() != pusher.ChannelSubscribed || ch.Kind() != pusher.Public {
			t.Fatalf("state %v kind %v", ch.State(), ch.Kind())
		}
		events := ch.Events(ctx)
		env.trigger(t, "news", `App\Events\MessageSent`, map[string]string{"id": "m1", "content": "hi"})
		ev := recvEvent(t, events, `App\Events\MessageSent`)
		if ev.Channel != "news" || jsonField(t, ev.Data, "id") != "m1" || jsonField(t, ev.Data, "content") != "hi" {
			t.Fatalf("event = %+v (data %s)", ev, ev.Data)
		}
	})

	t.Run("private channel with laravel auth", func(t *testing.T) {
		c := env.client(t, "token-ann", fastManager())
		ctx := testCtx(t)
		if err := c.Connect(ctx); err != nil {
			t.Fatal(err)
		}
		before := env.auth.Requests()
		ch, err := c.Subscribe(ctx, "private-conversation.7")
		if err != nil {
			t.Fatalf("Subscribe: %v", err)
		}
		if n := env.auth.Requests() - before; n != 1 {
			t.Fatalf("auth requests = %d, want 1", n)
		}
		events := ch.Events(ctx)
		env.trigger(t, "private-conversation.7", ".message.sent", `{"id":"m2"}`)
		if ev := recvEvent(t, events, ".message.sent"); jsonField(t, ev.Data, "id") != "m2" {
			t.Fatalf("data = %s", ev.Data)
		}
	})

	t.Run("subscribe before connect", func(t *testing.T) {
		c := env.client(t, "token-ann", fastManager())
		ctx := testCtx(t)
		done := make(chan error, 1)
		go func() {
			_, err := c.Subscribe(ctx, "private-early")
			done <- err
		}()
		eventually(t, "channel registered", func() bool { _, ok := c.Channel("private-early"); return ok })
		if err := c.Connect(ctx); err != nil {
			t.Fatal(err)
		}
		if err := recv(t, done, "subscribe"); err != nil {
			t.Fatalf("Subscribe: %v", err)
		}
	})

	t.Run("bad signature is a subscription error", func(t *testing.T) {
		bogus := pusher.AuthorizerFunc(func(ctx context.Context, socketID, channel string) (pusher.Auth, error) {
			return pusher.Auth{Auth: pusher.SignChannel(env.s.Key, "wrong-secret", socketID, channel, "")}, nil
		})
		c := newClient(t, pusher.Options{Host: env.s.Host(), Key: env.s.Key, Authorizer: bogus, Manager: fastManager()})
		ctx := testCtx(t)
		errs := c.Errors(ctx)
		if err := c.Connect(ctx); err != nil {
			t.Fatal(err)
		}
		_, err := c.Subscribe(ctx, "private-secret")
		var se *pusher.SubscriptionError
		if !errors.As(err, &se) || se.Channel != "private-secret" || se.Type != "AuthError" || se.Status != 401 {
			t.Fatalf("Subscribe error = %v, want Soketi's AuthError 401", err)
		}
		// A refused signature is about the channel, not the user's session.
		if errors.Is(err, network.ErrUnauthorized) || !errors.Is(err, pusher.ErrSubscription) {
			t.Fatalf("error %v: want ErrSubscription and not ErrUnauthorized", err)
		}
		if _, ok := c.Channel("private-secret"); ok {
			t.Fatal("failed channel kept")
		}
		// The session goes on: a public channel still works.
		if _, err := c.Subscribe(ctx, "still-fine"); err != nil {
			t.Fatalf("Subscribe after a failure: %v", err)
		}
		// One failure, one report: Subscribe returned it, so Errors did not
		// get it (the routing goroutine published anything it had before it
		// confirmed still-fine).
		select {
		case got := <-errs:
			t.Fatalf("errors stream also got %v", got)
		default:
		}
	})

	t.Run("auth endpoint refusal is a subscription error", func(t *testing.T) {
		env.auth.Deny("private-admin")
		c := env.client(t, "token-ann", fastManager())
		ctx := testCtx(t)
		if err := c.Connect(ctx); err != nil {
			t.Fatal(err)
		}
		before := env.auth.Requests()
		_, err := c.Subscribe(ctx, "private-admin")
		var se *pusher.SubscriptionError
		if !errors.As(err, &se) || se.Status != 403 {
			t.Fatalf("Subscribe error = %v, want status 403", err)
		}
		if n := env.auth.Requests() - before; n != 1 {
			t.Fatalf("auth requests = %d, want 1 (no fresher token to try)", n)
		}
		if errors.Is(err, context.DeadlineExceeded) {
			t.Fatal("timed out instead of failing")
		}
	})

	t.Run("client events between two clients", func(t *testing.T) {
		clk := clock.NewFake(time.Now())
		ann := env.client(t, "token-ann", fakeManager(clk))
		bob := env.client(t, "token-bob", fastManager())
		ctx := testCtx(t)
		for _, c := range []*pusher.Client{ann, bob} {
			if err := c.Connect(ctx); err != nil {
				t.Fatal(err)
			}
		}
		annCh, err := ann.Subscribe(ctx, "private-chat.1")
		if err != nil {
			t.Fatal(err)
		}
		bobCh, err := bob.Subscribe(ctx, "private-chat.1")
		if err != nil {
			t.Fatal(err)
		}
		annEvents, bobEvents := annCh.Events(ctx), bobCh.Events(ctx)

		if err := annCh.Trigger(ctx, "client-typing", map[string]any{"user_id": "1", "typing": true}); err != nil {
			t.Fatalf("Trigger: %v", err)
		}
		ev := recv(t, bobEvents, "whisper")
		if ev.Event != "client-typing" || ev.Channel != "private-chat.1" || jsonField(t, ev.Data, "user_id") != "1" {
			t.Fatalf("bob got %+v (data %s)", ev, ev.Data)
		}
		// Not echoed to the sender: the next thing Ann sees is the marker.
		env.trigger(t, "private-chat.1", "marker", `{}`)
		if ev := recv(t, annEvents, "marker"); ev.Event != "marker" {
			t.Fatalf("sender got %q before the marker", ev.Event)
		}

		// The rate limit: nine more in the same (fake) second, then refused.
		for i := range 9 {
			if err := ann.Trigger(ctx, "private-chat.1", "client-typing", map[string]int{"n": i}); err != nil {
				t.Fatalf("event %d: %v", i+2, err)
			}
		}
		if err := ann.Trigger(ctx, "private-chat.1", "client-typing", nil); !errors.Is(err, pusher.ErrRateLimited) {
			t.Fatalf("11th event in a second: %v, want ErrRateLimited", err)
		}
		clk.Advance(time.Second)
		if err := ann.Trigger(ctx, "private-chat.1", "client-typing", map[string]string{"last": "yes"}); err != nil {
			t.Fatalf("after a second: %v", err)
		}
		for {
			ev := recv(t, bobEvents, "last whisper")
			if jsonField(t, ev.Data, "last") == "yes" {
				break
			}
		}

		if err := ann.Trigger(ctx, "news", "client-typing", nil); !errors.Is(err, pusher.ErrClientEventChannel) {
			t.Fatalf("public channel: %v", err)
		}
		if err := ann.Trigger(ctx, "private-chat.1", "typing", nil); !errors.Is(err, pusher.ErrInvalidEvent) {
			t.Fatalf("bad name: %v", err)
		}
		if err := ann.Trigger(ctx, "private-other", "client-typing", nil); !errors.Is(err, pusher.ErrNotSubscribed) {
			t.Fatalf("unsubscribed channel: %v", err)
		}
	})

	t.Run("presence join and leave", func(t *testing.T) {
		ann := env.client(t, "token-ann", fastManager())
		bob := env.client(t, "token-bob", fastManager())
		ctx := testCtx(t)
		for _, c := range []*pusher.Client{ann, bob} {
			if err := c.Connect(ctx); err != nil {
				t.Fatal(err)
			}
		}
		annCh, err := ann.Subscribe(ctx, "presence-room")
		if err != nil {
			t.Fatal(err)
		}
		if annCh.Me() != "1" {
			t.Fatalf("Me() = %q", annCh.Me())
		}
		if m := annCh.Members(); len(m) != 1 || m[0].ID != "1" || jsonField(t, m[0].Info, "name") != "Ann" {
			t.Fatalf("members = %+v", m)
		}
		members := annCh.MemberEvents(ctx)
		bobCh, err := bob.Subscribe(ctx, "presence-room")
		if err != nil {
			t.Fatal(err)
		}
		if m := bobCh.Members(); len(m) != 2 {
			t.Fatalf("bob sees %d members, want 2", len(m))
		}
		ev := recv(t, members, "member added")
		if ev.Kind != pusher.MemberAdded || ev.Member.ID != "2" || jsonField(t, ev.Member.Info, "name") != "Bob" {
			t.Fatalf("got %+v", ev)
		}
		if m := annCh.Members(); len(m) != 2 || m[1].ID != "2" {
			t.Fatalf("members after join = %+v", m)
		}
		if err := bobCh.Unsubscribe(ctx); err != nil {
			t.Fatal(err)
		}
		ev = recv(t, members, "member removed")
		if ev.Kind != pusher.MemberRemoved || ev.Member.ID != "2" {
			t.Fatalf("got %+v", ev)
		}
		if m := annCh.Members(); len(m) != 1 {
			t.Fatalf("members after leave = %+v", m)
		}
	})

	t.Run("unsubscribe ends the stream", func(t *testing.T) {
		c := env.client(t, "token-ann", fastManager())
		ctx := testCtx(t)
		if err := c.Connect(ctx); err != nil {
			t.Fatal(err)
		}
		gone, err := c.Subscribe(ctx, "gone")
		if err != nil {
			t.Fatal(err)
		}
		kept, err := c.Subscribe(ctx, "kept")
		if err != nil {
			t.Fatal(err)
		}
		goneEvents, keptEvents := gone.Events(ctx), kept.Events(ctx)
		if err := c.Unsubscribe(ctx, "gone"); err != nil {
			t.Fatal(err)
		}
		if _, ok := <-goneEvents; ok {
			t.Fatal("events of an unsubscribed channel still open")
		}
		if gone.State() != pusher.ChannelUnsubscribed {
			t.Fatalf("state = %v", gone.State())
		}
		if err := c.Unsubscribe(ctx, "gone"); !errors.Is(err, pusher.ErrNotSubscribed) {
			t.Fatalf("second Unsubscribe: %v", err)
		}
		env.trigger(t, "kept", "marker", `{}`)
		recvEvent(t, keptEvents, "marker")
	})

	t.Run("unknown app key stops", func(t *testing.T) {
		c := newClient(t, pusher.Options{Host: env.s.Host(), Key: "no-such-key", Manager: fastManager()})
		err := c.Connect(testCtx(t))
		var pe *pusher.ProtocolError
		if !errors.As(err, &pe) || pe.Code != 4001 {
			t.Fatalf("Connect = %v, want pusher:error 4001", err)
		}
		if st := c.State(); st.State != network.StateFailed {
			t.Fatalf("state = %v, want failed", st.State)
		}
	})
}
