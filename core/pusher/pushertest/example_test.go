package pushertest_test

import (
	"context"
	"testing"

	"github.com/chatwire/chatwire/core/pusher"
	"github.com/chatwire/chatwire/core/pusher/pushertest"
)

// A test that plays the backend against a real Soketi: an auth endpoint for
// private channels, and the signed HTTP API to broadcast.
func ExampleStartSoketi() {
	_ = func(t *testing.T) {
		s := pushertest.StartSoketi(t, pushertest.SoketiOptions{}) // skips when Soketi is not installed
		auth := pushertest.NewAuthServer(t, s.Key, s.Secret)
		auth.AddUser("token-ann", pushertest.User{ID: "1", Info: map[string]string{"name": "Ann"}})

		c, _ := pusher.New(pusher.Options{
			Host: s.Host(),
			Key:  s.Key,
			Authorizer: pusher.NewHTTPAuthorizer(pusher.HTTPAuthorizerOptions{
				Endpoint: auth.Endpoint(),
				Tokens:   pusher.NewTokens("token-ann", nil),
			}),
		})
		defer c.Close()
		ctx := context.Background()
		_ = c.Connect(ctx)
		ch, _ := c.Subscribe(ctx, "private-conversation.1")
		events := ch.Events(ctx)

		_ = s.API().Trigger(ctx, pushertest.TriggerParams{
			Channels: []string{"private-conversation.1"},
			Event:    `App\Events\MessageSent`,
			Data:     map[string]string{"id": "m1"},
		})
		<-events
	}
}
