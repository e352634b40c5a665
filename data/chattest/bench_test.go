package chattest

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/gorilla/websocket"
)

// BenchmarkEcho measures one chat.message round trip through the server:
// client write, decode, validate, store, fan-out to the sender and one
// other member, echo read back by the sender.
func BenchmarkEcho(b *testing.B) {
	srv := NewServer(Options{})
	defer srv.Close()
	if err := srv.CreateConversation("c1", "", "alice", "bob"); err != nil {
		b.Fatal(err)
	}
	dial := func(user string) *websocket.Conn {
		ws, _, err := websocket.DefaultDialer.Dial(srv.URL+"/chat", http.Header{"Authorization": {"Bearer " + srv.IssueToken(user)}})
		if err != nil {
			b.Fatal(err)
		}
		return ws
	}
	alice, bob := dial("alice"), dial("bob")
	defer alice.Close()
	defer bob.Close()
	// bob drains in the background so his queue never overflows.
	drained := make(chan struct{})
	go func() {
		defer close(drained)
		for {
			if _, _, err := bob.ReadMessage(); err != nil {
				return
			}
		}
	}()
	for { // skip session.ready and presence
		var f Frame
		if err := alice.ReadJSON(&f); err != nil {
			b.Fatal(err)
		}
		if f.Type == TypeSessionReady {
			break
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		msg := fmt.Appendf(nil, `{"type":"chat.message","payload":{"client_id":"b-%d","conversation_id":"c1","content":"hello"}}`, i)
		if err := alice.WriteMessage(websocket.TextMessage, msg); err != nil {
			b.Fatal(err)
		}
		for {
			var f Frame
			if err := alice.ReadJSON(&f); err != nil {
				b.Fatal(err)
			}
			if f.Type == TypeChatMessage {
				break
			}
		}
	}
	b.StopTimer()
	_ = bob.Close()
	<-drained
}
