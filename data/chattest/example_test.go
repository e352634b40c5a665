package chattest_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/gorilla/websocket"

	"github.com/chatwire/chatwire/data/chattest"
)

// A consumer's integration test starts the server, seeds a conversation,
// hands its client a token and the URL, and checks what arrives. Here a raw
// gorilla connection stands in for the client under test.
func Example() {
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

// A chaos test takes the server down while the client is connected, lets the
// backend carry on, and brings it back on the same address; the client's
// sync after reconnecting fetches what it missed.
func ExampleServer_Stop() {
	srv := chattest.NewServer(chattest.Options{Authenticate: chattest.DevAuthenticate})
	defer srv.Close()
	_ = srv.CreateConversation("general", "", "alice", "bob")
	url := srv.URL + "/chat?token=alice" // DevAuthenticate: the token is the user id

	ws, _, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		panic(err)
	}
	ready := read(ws)
	var s struct {
		LastSeq int64 `json:"last_seq"`
	}
	_ = json.Unmarshal(ready.Payload, &s)

	srv.Stop() // the client sees its connection drop, then "connection refused"
	_ = ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, _, err = ws.ReadMessage()
	fmt.Println("connection dropped:", err != nil)
	_ = ws.Close()
	_, _, err = websocket.DefaultDialer.Dial(url, nil)
	fmt.Println("dial while down fails:", err != nil)

	_, _ = srv.Post(chattest.Message{ConversationID: "general", SenderID: "bob", Content: "you missed this"})

	if err := srv.Start(); err != nil {
		panic(err)
	}
	ws, _, err = websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		panic(err)
	}
	defer ws.Close()
	read(ws) // session.ready
	_ = ws.WriteJSON(map[string]any{"type": "sync", "payload": map[string]any{"since": s.LastSeq}})
	missed, done := read(ws), read(ws)
	var m chattest.Message
	_ = json.Unmarshal(missed.Payload, &m)
	fmt.Println(missed.Type, m.Content)
	fmt.Println(done.Type, string(done.Payload))
	// Output:
	// connection dropped: true
	// dial while down fails: true
	// chat.message you missed this
	// sync.done {"replayed":1,"complete":true}
}
