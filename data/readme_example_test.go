package data_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/chatwire/chatwire/data"
	"github.com/chatwire/chatwire/data/chattest"
	"github.com/chatwire/chatwire/domain"
)

// Embedding the SDK, as README.md's "Embedding" section shows it: build the
// data source, subscribe, connect, send, and read what arrives. Here the
// reference server stands in for "wss://chat.example.com" and freshToken for
// the app's own sign-in. Keep README.md in step with this example.
func Example_embedding() {
	srv := chattest.NewServer(chattest.Options{})
	defer srv.Close()
	if err := srv.CreateConversation("c1", "", "alice", "bob"); err != nil {
		panic(err)
	}
	freshToken := func(context.Context) (string, error) { return srv.IssueToken("alice"), nil }
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	src, err := data.New(data.Options{
		BaseURL:     srv.URL,    // the data source dials BaseURL + "/chat"
		TokenSource: freshToken, // asked again before every reconnect
	})
	if err != nil {
		panic(err) // data.ErrInvalidOptions: a missing or non-ws URL
	}
	defer src.Close()
	msgs := src.Messages(ctx) // subscribe before connecting to miss nothing
	token, err := freshToken(ctx)
	if err != nil {
		panic(err)
	}
	if err := src.Connect(ctx, token); err != nil {
		panic(err) // errors.Is(err, domain.ErrUnauthorized): sign in again
	}
	sent, err := src.SendMessage(ctx, domain.MessageDraft{ConversationID: "c1", Content: "hi"})
	if err != nil {
		panic(err)
	}
	fmt.Println("sent:", sent.Content)

	// Bob answers from the server's side.
	if _, err := srv.Post(chattest.Message{ConversationID: "c1", SenderID: "bob", Content: "hello alice"}); err != nil {
		panic(err)
	}
	for m := range msgs { // closes when ctx ends or src closes
		fmt.Println(m.SenderID+":", m.Content)
		if m.SenderID == "bob" {
			break
		}
	}
	// Output:
	// sent: hi
	// alice: hi
	// bob: hello alice
}

// A token the server refuses fails Connect with domain.ErrUnauthorized
// (after the TokenSource, when there is one, was asked once more).
func ExampleChatWebSocketDataSource_Connect_unauthorized() {
	srv := chattest.NewServer(chattest.Options{})
	defer srv.Close()
	src, err := data.New(data.Options{BaseURL: srv.URL})
	if err != nil {
		panic(err)
	}
	defer src.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	err = src.Connect(ctx, "not-a-token")
	fmt.Println("unauthorized:", errors.Is(err, domain.ErrUnauthorized))
	// Output:
	// unauthorized: true
}
