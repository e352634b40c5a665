package chattest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/gorilla/websocket"

	"github.com/chatwire/chatwire/data"
	"github.com/chatwire/chatwire/data/chattest"
	"github.com/chatwire/chatwire/domain"
)

// A consumer's integration test starts the server, seeds a conversation,
// connects the SDK to it over a real socket on loopback, and checks what
// arrives and what the server stored.
func Example() {
	srv := chattest.NewServer(chattest.Options{})
	defer srv.Close()
	if err := srv.CreateConversation("general", "General", "alice", "bob"); err != nil {
		panic(err)
	}
	alice, err := data.New(data.Options{
		BaseURL:     srv.URL,
		TokenSource: func(context.Context) (string, error) { return srv.IssueToken("alice"), nil },
	})
	if err != nil {
		panic(err)
	}
	defer alice.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	inbox := alice.Messages(ctx)
	if err := alice.Connect(ctx, ""); err != nil {
		panic(err)
	}

	// Another member posts through the server; alice's app receives it.
	if _, err := srv.Post(chattest.Message{ConversationID: "general", SenderID: "bob", Content: "hello alice"}); err != nil {
		panic(err)
	}
	m := <-inbox
	fmt.Println(m.SenderID+":", m.Content)

	// Alice sends; SendMessage returns once the server's echo confirmed it.
	sent, err := alice.SendMessage(ctx, domain.MessageDraft{ConversationID: "general", Content: "hi bob"})
	if err != nil {
		panic(err)
	}
	fmt.Println("confirmed:", sent.Content, sent.ID != "")

	// The server's state is there to assert on.
	n, _ := srv.UnreadCount("general", "bob")
	fmt.Println("bob has", n, "unread")
	// Output:
	// bob: hello alice
	// confirmed: hi bob true
	// bob has 1 unread
}

// The wire protocol as a client in another language sees it: a raw gorilla
// connection stands in for the client under test.
func Example_rawProtocol() {
	srv := chattest.NewServer(chattest.Options{})
	defer srv.Close()
	if err := srv.CreateConversation("general", "General", "alice", "bob"); err != nil {
		panic(err)
	}

	// What the client under test is configured with.
	url, token := srv.URL+"/chat", srv.IssueToken("alice")

	ws, _, err := websocket.DefaultDialer.Dial(url, http.Header{"Authorization": {"Bearer " + token}})
	if err != nil {
		panic(err)
	}
	defer ws.Close()
	ready := read(ws)
	fmt.Println(ready.Type)

	// What happened before the client connected is replayed on sync.
	_ = ws.WriteJSON(map[string]any{"type": "sync", "payload": map[string]any{"since": 0}})
	created, done := read(ws), read(ws)
	fmt.Println(created.Type, created.Seq)
	fmt.Println(done.Type, string(done.Payload))

	// Another member posts; the client receives it with the next seq.
	if _, err := srv.Post(chattest.Message{ConversationID: "general", SenderID: "bob", Content: "hello alice"}); err != nil {
		panic(err)
	}
	posted := read(ws)
	var m chattest.Message
	_ = json.Unmarshal(posted.Payload, &m)
	fmt.Println(posted.Type, posted.Seq, m.SenderID+":", m.Content)

	// The client sends; the echo with its client_id is the acknowledgement.
	_ = ws.WriteJSON(map[string]any{"type": "chat.message", "payload": map[string]any{
		"client_id": "6f1c0c9e-1", "conversation_id": "general", "content": "hi bob",
	}})
	echo := read(ws)
	_ = json.Unmarshal(echo.Payload, &m)
	fmt.Println(echo.Type, echo.Seq, m.ClientID, m.Content)

	// The server's state is there to assert on.
	n, _ := srv.UnreadCount("general", "bob")
	fmt.Println("bob has", n, "unread")
	// Output:
	// session.ready
	// conversation.update 1
	// sync.done {"replayed":1,"complete":true}
	// chat.message 2 bob: hello alice
	// chat.message 3 6f1c0c9e-1 hi bob
	// bob has 1 unread
}

// read returns the next frame.
func read(ws *websocket.Conn) chattest.Frame {
	_ = ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	var f chattest.Frame
	if err := ws.ReadJSON(&f); err != nil {
		panic(err)
	}
	return f
}

// A chaos test takes the server down while the SDK is connected, lets the
// backend carry on, and brings it back on the same address: the SDK
// reconnects by itself and its sync fetches what it missed.
func ExampleServer_Stop() {
	srv := chattest.NewServer(chattest.Options{})
	defer srv.Close()
	_ = srv.CreateConversation("general", "", "alice", "bob")
	alice, err := data.New(data.Options{
		BaseURL:     srv.URL,
		TokenSource: func(context.Context) (string, error) { return srv.IssueToken("alice"), nil },
		Connection:  data.ConnectionOptions{ReconnectDelay: 50 * time.Millisecond, MaxReconnectDelay: 200 * time.Millisecond},
	})
	if err != nil {
		panic(err)
	}
	defer alice.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	inbox, states := alice.Messages(ctx), alice.ConnectionStates(ctx)
	if err := alice.Connect(ctx, ""); err != nil {
		panic(err)
	}

	srv.Stop() // the SDK sees its connection drop, then "connection refused"
	for st := range states {
		if st.Status == domain.Reconnecting {
			fmt.Println("the SDK is reconnecting")
			break
		}
	}
	_, _ = srv.Post(chattest.Message{ConversationID: "general", SenderID: "bob", Content: "you missed this"})
	if err := srv.Start(); err != nil {
		panic(err)
	}
	m := <-inbox
	fmt.Println("after the restart:", m.Content)
	// Output:
	// the SDK is reconnecting
	// after the restart: you missed this
}
