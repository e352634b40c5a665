package pusher_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/chatwire/chatwire/core/network"
	"github.com/chatwire/chatwire/core/pusher"
)

// A client for a Laravel backend broadcasting through Reverb or Soketi:
// private channels are authorized by the app's /broadcasting/auth with the
// user's bearer token; events arrive on per-channel streams; whispers go
// out as client events.
func Example() {
	ctx := context.Background()
	c, err := pusher.New(pusher.Options{
		Host: "127.0.0.1:6001",
		Key:  "app-key",
		Authorizer: pusher.NewHTTPAuthorizer(pusher.HTTPAuthorizerOptions{
			Endpoint: "https://app.example/broadcasting/auth",
			// The token, and a domain.TokenSource that gives a fresh one
			// when the endpoint refuses it (nil: never refreshed).
			Tokens: pusher.NewTokens("the user's token", nil),
		}),
		Manager: network.ManagerOptions{ReconnectDelay: time.Second},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	if err := c.Connect(ctx); err != nil {
		log.Fatal(err)
	}

	ch, err := c.Subscribe(ctx, "private-conversation.42")
	var se *pusher.SubscriptionError
	if errors.As(err, &se) {
		log.Fatalf("not allowed on %s: %v", se.Channel, err)
	} else if err != nil {
		log.Fatal(err)
	}
	_ = ch.Trigger(ctx, "client-typing", map[string]any{"typing": true})
	for ev := range ch.Events(ctx) {
		fmt.Println(ev.Event, string(ev.Data)) // App\Events\MessageSent {"id":...}
	}
}

// A client of a three-node cluster: it starts at a node of its own and
// moves to another when its node fails or drains. Presence members who
// were on a dead node leave the list once a fresh one lacks them, after
// their grace period; those who moved are never seen leaving.
func ExampleOptions_hosts() {
	c, err := pusher.New(pusher.Options{
		Hosts:           []string{"10.0.0.1:6001", "10.0.0.2:6001", "10.0.0.3:6001"},
		Key:             "app-key",
		PresenceGrace:   10 * time.Second, // zero: 1.25 × ReconnectDelay + HandshakeTimeout
		PresenceRefresh: time.Minute,      // the default
	})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	fmt.Printf("connected to %q\n", c.Host()) // "" until Connect
	// Output: connected to ""
}

// What a backend's auth endpoint returns for a private channel.
func ExampleSignChannel() {
	fmt.Println(pusher.SignChannel("278d425bdf160c739803", "7ad3773142a6692b25b8", "1234.1234", "private-foobar", ""))
	// Output: 278d425bdf160c739803:58df8b0c36d6982b82c3ecf6b4662e34fe8c25bba48f5369f135bf843651c3a4
}

// Classify reads Pusher's close and error codes.
func ExampleClassify() {
	for _, code := range []int{4001, 4100, 4200, 1006} {
		fmt.Println(code, pusher.Classify(&network.CloseError{Code: code}) == network.Stop)
	}
	// Output:
	// 4001 true
	// 4100 false
	// 4200 false
	// 1006 false
}

// Server events carry their data as a JSON string; Payload removes that
// layer.
func ExampleFrame_Payload() {
	f, _ := pusher.DecodeFrame([]byte(`{"event":"App\\Events\\MessageSent","channel":"private-conversation.42","data":"{\"id\":\"m1\"}"}`))
	fmt.Println(f.Event, string(f.Payload()))
	// Output: App\Events\MessageSent {"id":"m1"}
}
