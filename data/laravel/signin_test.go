package laravel_test

import (
	"testing"
	"time"

	"github.com/chatwire/chatwire/core/pusher"
	"github.com/chatwire/chatwire/core/pusher/pushertest"
	"github.com/chatwire/chatwire/data/laravel"
)

// With UserAuthEndpoint, Connect signs the user in (Soketi here requires
// it, and would close an unsigned connection), and what the backend sends
// to the user arrives on UserEvents.
func TestUserSignin(t *testing.T) {
	s := pushertest.StartSoketi(t, pushertest.SoketiOptions{UserAuthentication: true})
	auth := pushertest.NewAuthServer(t, s.Key, s.Secret)
	auth.AddUser("token-ann", pushertest.User{ID: "1"})
	src, err := laravel.New(laravel.Options{
		Host: s.Host(), Key: s.Key,
		Connection:       laravel.ConnectionOptions{ReconnectDelay: 20 * time.Millisecond},
		AuthEndpoint:     auth.Endpoint(),
		UserAuthEndpoint: auth.UserEndpoint(),
		UserID:           "1",
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = src.Close() })
	ctx := testCtx(t)
	events := src.UserEvents(ctx)
	if err := src.Connect(ctx, "token-ann"); err != nil {
		t.Fatalf("Connect: %v", err)
	}
	if err := s.API().Trigger(ctx, pushertest.TriggerParams{Channels: []string{pusher.ServerToUserPrefix + "1"}, Event: `App\Events\MessageSent`,
		Data: `{"id":"direct-1","conversation_id":"7","user_id":"2","body":"just for you"}`}); err != nil {
		t.Fatal(err)
	}
	ev := recv(t, events, "user event")
	if ev.Event != `App\Events\MessageSent` || ev.Typed == nil {
		t.Fatalf("user event %+v", ev)
	}
}
