package pusher_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/chatwire/chatwire/core/pusher"
	"github.com/chatwire/chatwire/core/pusher/pushertest"
)

// Encrypted channels against Soketi: the backend encrypts (pushertest's
// API with the master key), Soketi relays ciphertext, the client decrypts
// with the shared secret the auth endpoint gave.
func TestSoketiEncryptedChannel(t *testing.T) {
	env := newSoketiEnv(t)
	env.auth.EncryptWith(env.s.EncryptionMasterKey)
	c := env.client(t, "token-ann", fastManager())
	ctx := testCtx(t)
	if err := c.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	frames := c.Frames(ctx)
	ch, err := c.Subscribe(ctx, "private-encrypted-room.1")
	if err != nil {
		t.Fatalf("Subscribe: %v", err)
	}
	events := ch.Events(ctx)
	env.trigger(t, "private-encrypted-room.1", `App\Events\MessageSent`, `{"id":"m1","content":"top secret"}`)
	ev := recvEvent(t, events, `App\Events\MessageSent`)
	if jsonField(t, ev.Data, "content") != "top secret" {
		t.Fatalf("decrypted data %s", ev.Data)
	}
	f := recvFrame(t, frames, `App\Events\MessageSent`)
	if !f.Encrypted || jsonField(t, f.Data, "id") != "m1" {
		t.Fatalf("frame %+v: want the decrypted data", f)
	}
	if bytes.Contains(f.Raw, []byte("top secret")) {
		t.Fatal("the wire carried the plain text")
	}
	// Client events are not allowed on encrypted channels.
	if err := ch.Trigger(ctx, "client-x", map[string]int{}); !errors.Is(err, pusher.ErrClientEventChannel) {
		t.Fatalf("Trigger on an encrypted channel: %v", err)
	}

	// A backend with another master key: the event is reported as
	// undecryptable, once, and the session goes on.
	errs := c.Errors(ctx)
	wrong := *env.api
	wrong.EncryptionMasterKey = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
	if err := wrong.Trigger(ctx, pushertest.TriggerParams{Channels: []string{"private-encrypted-room.1"}, Event: "tampered", Data: "{}"}); err != nil {
		t.Fatal(err)
	}
	if err := recv(t, errs, "decryption error"); !errors.Is(err, pusher.ErrDecrypt) || !errors.Is(err, pusher.ErrMalformed) {
		t.Fatalf("got %v, want ErrDecrypt", err)
	}
	if f := recvFrame(t, frames, "tampered"); !f.Encrypted || f.Data != nil {
		t.Fatalf("undecryptable frame %+v: want Data nil", f)
	}
	env.trigger(t, "private-encrypted-room.1", "after", `{"ok":true}`)
	recvEvent(t, events, "after")
}

// An auth endpoint that gives no shared secret for an encrypted channel
// makes a subscription error.
func TestEncryptedChannelWithoutSharedSecret(t *testing.T) {
	fs := newFakeServer(t)
	c, _, _ := connectFake(t, fs, &signer{})
	_, err := c.Subscribe(testCtx(t), "private-encrypted-x")
	if !errors.Is(err, pusher.ErrEncryptedChannel) || !errors.Is(err, pusher.ErrSubscription) {
		t.Fatalf("Subscribe = %v, want ErrEncryptedChannel", err)
	}
}

// Cache channels against Soketi: the first subscriber gets
// pusher:cache_miss; after an event, a later subscriber gets that event at
// once.
func TestSoketiCacheChannel(t *testing.T) {
	env := newSoketiEnv(t)
	ctx := testCtx(t)
	first := env.client(t, "token-ann", fastManager())
	if err := first.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	frames := first.Frames(ctx)
	if _, err := first.Subscribe(ctx, "cache-prices"); err != nil {
		t.Fatal(err)
	}
	if f := recvFrame(t, frames, pusher.EventCacheMiss); f.Channel != "cache-prices" {
		t.Fatalf("cache miss on %q", f.Channel)
	}
	env.trigger(t, "cache-prices", "price", `{"eur":7}`)

	second := env.client(t, "token-bob", fastManager())
	if err := second.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	frames2 := second.Frames(ctx)
	if _, err := second.Subscribe(ctx, "cache-prices"); err != nil {
		t.Fatal(err)
	}
	if f := recvFrame(t, frames2, "price"); string(f.Payload()) != `{"eur":7}` {
		t.Fatalf("cached event %s", f.Payload())
	}
}

// pusher_internal:subscription_count (Pusher sends it when the app enables
// it; Soketi does not): the count is kept and passed on to listeners.
func TestSubscriptionCount(t *testing.T) {
	fs := newFakeServer(t)
	c, fc, _ := connectFake(t, fs, nil)
	ch := subscribeFake(t, c, fc, "room")
	events := ch.Events(testCtx(t))
	fc.send(`{"event":"pusher_internal:subscription_count","channel":"room","data":"{\"subscription_count\":3}"}`)
	ev := recvEvent(t, events, pusher.EventSubscriptionCountChanged)
	if string(ev.Data) != `{"subscription_count":3}` || ch.SubscriptionCount() != 3 {
		t.Fatalf("event %s, count %d", ev.Data, ch.SubscriptionCount())
	}
}

// User authentication against Soketi with sign-in required: Signin signs
// in through the user endpoint, the backend's events to the user arrive on
// UserEvents, and a reconnect signs in again.
func TestSoketiSignin(t *testing.T) {
	s := pushertest.StartSoketi(t, pushertest.SoketiOptions{UserAuthentication: true})
	auth := pushertest.NewAuthServer(t, s.Key, s.Secret)
	auth.AddUser("token-ann", pushertest.User{ID: "1", Info: map[string]string{"name": "Ann"}})
	ha := pusher.NewHTTPAuthorizer(pusher.HTTPAuthorizerOptions{
		Endpoint:     auth.Endpoint(),
		UserEndpoint: auth.UserEndpoint(),
		Tokens:       pusher.NewTokens("token-ann", nil),
	})
	c := newClient(t, pusher.Options{Host: s.Host(), Key: s.Key, Authorizer: ha, UserAuthenticator: ha, Manager: fastManager()})
	ctx := testCtx(t)
	if err := c.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.Signin(ctx); err != nil {
		t.Fatalf("Signin: %v", err)
	}
	if id := c.UserID(); id != "1" {
		t.Fatalf("UserID() = %q after Signin", id)
	}
	events := c.UserEvents(ctx)
	if err := s.API().Trigger(ctx, pushertest.TriggerParams{Channels: []string{pusher.ServerToUserPrefix + "1"}, Event: "notice", Data: `{"text":"hello Ann"}`}); err != nil {
		t.Fatalf("trigger to the user: %v", err)
	}
	if ev := recv(t, events, "user event"); ev.Event != "notice" || jsonField(t, ev.Data, "text") != "hello Ann" {
		t.Fatalf("user event %+v", ev)
	}

	// After a restart the client signs in again by itself.
	old := c.SocketID()
	s.Restart()
	eventually(t, "signed in again", func() bool { return c.SocketID() != old && c.UserID() == "1" })
}

func TestSigninWithoutAuthenticator(t *testing.T) {
	c := newClient(t, pusher.Options{Host: "127.0.0.1:1", Key: "k"})
	if err := c.Signin(testCtx(t)); !errors.Is(err, pusher.ErrNoUserAuthenticator) {
		t.Fatalf("Signin = %v", err)
	}
}
