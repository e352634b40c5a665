package data_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/chatwire/chatwire/core/network"
	"github.com/chatwire/chatwire/core/network/coderws"
	"github.com/chatwire/chatwire/data"
	"github.com/chatwire/chatwire/data/chattest"
	"github.com/chatwire/chatwire/domain"
)

// The default wiring dials with the gorilla client; Options.Transport swaps
// in any network.WebSocketClient, here the coder/websocket one. The data
// source asks the factory for a fresh client on every (re)connect.
func ExampleNew_coderws() {
	srv := chattest.NewServer(chattest.Options{})
	defer srv.Close()
	if err := srv.CreateConversation("general", "General", "alice", "bob"); err != nil {
		panic(err)
	}

	var dials atomic.Int32
	src, err := data.New(data.Options{
		BaseURL: srv.URL,
		Transport: func() network.WebSocketClient {
			dials.Add(1)
			return coderws.NewClient(coderws.Options{})
		},
	})
	if err != nil {
		panic(err)
	}
	defer src.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	msgs := src.Messages(ctx)
	if err := src.Connect(ctx, srv.IssueToken("alice")); err != nil {
		panic(err)
	}

	// Bob posts; it reaches alice over coder/websocket.
	if _, err := srv.Post(chattest.Message{ConversationID: "general", SenderID: "bob", Content: "hello alice"}); err != nil {
		panic(err)
	}
	m := <-msgs
	fmt.Println(m.SenderID+":", m.Content)

	// Alice answers; SendMessage returns once the server's echo arrived.
	sent, err := src.SendMessage(ctx, domain.MessageDraft{ConversationID: "general", Content: "hi bob"})
	if err != nil {
		panic(err)
	}
	fmt.Println(sent.SenderID+":", sent.Content)
	fmt.Println("coder/websocket connections:", dials.Load())
	// Output:
	// bob: hello alice
	// alice: hi bob
	// coder/websocket connections: 1
}
