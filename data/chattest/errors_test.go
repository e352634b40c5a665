package chattest

import (
	"strings"
	"testing"

	"github.com/gorilla/websocket"
)

func TestErrorFrames(t *testing.T) {
	srv, _ := newTestServer(t, Options{})
	mustNil(t, srv.CreateConversation("c1", "", "alice", "bob"))
	mustNil(t, srv.CreateConversation("c2", "", "bob"))
	alice := connect(t, srv, "alice")

	tests := []struct {
		name string
		raw  string
		code string
		ref  string
	}{
		{"not json", `{"type":`, CodeBadFrame, ""},
		{"not an object", `[1,2]`, CodeBadFrame, ""},
		{"no type", `{"payload":{}}`, CodeBadFrame, ""},
		{"type not a string", `{"type":7}`, CodeBadFrame, ""},
		{"empty type", `{"type":""}`, CodeBadFrame, ""},
		{"unknown type", `{"type":"chat.poke","payload":{}}`, CodeUnknownType, ""},
		{"server-only type", `{"type":"session.ready","payload":{}}`, CodeUnknownType, ""},
		{"payload not an object", `{"type":"chat.message","payload":[1]}`, CodeInvalidPayload, ""},
		{"content of the wrong type", `{"type":"chat.message","payload":{"client_id":"k1","conversation_id":"c1","content":5}}`, CodeInvalidPayload, "k1"},
		{"no conversation_id", `{"type":"chat.message","payload":{"client_id":"k2","content":"x"}}`, CodeInvalidPayload, "k2"},
		{"missing conversation", `{"type":"chat.message","payload":{"client_id":"k3","conversation_id":"zz","content":"x"}}`, CodeNotFound, "k3"},
		{"not a member", `{"type":"chat.message","payload":{"client_id":"k4","conversation_id":"c2","content":"x"}}`, CodeForbidden, "k4"},
		{"empty content, no attachments", `{"type":"chat.message","payload":{"client_id":"k5","conversation_id":"c1","content":""}}`, CodeInvalidPayload, "k5"},
		{"bad kind", `{"type":"chat.message","payload":{"client_id":"k6","conversation_id":"c1","content":"x","kind":"gif"}}`, CodeInvalidPayload, "k6"},
		{"attachment without url", `{"type":"chat.message","payload":{"client_id":"k7","conversation_id":"c1","attachments":[{"name":"a"}]}}`, CodeInvalidPayload, "k7"},
		{"reply_to a missing message", `{"type":"chat.message","payload":{"client_id":"k8","conversation_id":"c1","content":"x","reply_to":"m0"}}`, CodeNotFound, "k8"},
		{"typing in a missing conversation", `{"type":"typing.indicator","payload":{"conversation_id":"zz","is_typing":true}}`, CodeNotFound, ""},
		{"typing with is_typing a string", `{"type":"typing.indicator","payload":{"conversation_id":"c1","is_typing":"yes"}}`, CodeInvalidPayload, ""},
		{"read of a missing message", `{"type":"message.read","payload":{"conversation_id":"c1","message_id":"m0"}}`, CodeNotFound, ""},
		{"read without message_id", `{"type":"message.read","payload":{"conversation_id":"c1"}}`, CodeInvalidPayload, ""},
		{"read in another's conversation", `{"type":"message.read","payload":{"conversation_id":"c2","message_id":"m0"}}`, CodeForbidden, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			alice.sendRaw([]byte(tt.raw))
			f := alice.expect(TypeError)
			raw := fields(t, f)
			if raw["code"] != tt.code || raw["message"] == "" || raw["message"] != strings.ToLower(raw["message"].(string)) {
				t.Errorf("error %s, want code %s", f.Payload, tt.code)
			}
			if ref, _ := raw["ref"].(string); ref != tt.ref {
				t.Errorf("ref %q, want %q", ref, tt.ref)
			}
			if f.Seq != 0 {
				t.Error("error frame has a seq")
			}
		})
	}
	t.Run("binary frame", func(t *testing.T) {
		mustNil(t, alice.ws.WriteMessage(websocket.BinaryMessage, []byte(`{"type":"ping"}`)))
		if e := payloadOf[errorPayload](t, alice.expect(TypeError)); e.Code != CodeBadFrame {
			t.Errorf("binary: %+v", e)
		}
	})
	// The session goes on, nothing was stored, and a ping without payload works.
	alice.sendRaw([]byte(`{"type":"ping"}`))
	alice.expect(TypePong)
	if msgs, _ := srv.Messages("c1"); len(msgs) != 0 {
		t.Errorf("stored %d messages", len(msgs))
	}
	// The field name of a type error is given.
	alice.sendRaw([]byte(`{"type":"chat.message","payload":{"conversation_id":"c1","content":5}}`))
	if e := payloadOf[errorPayload](t, alice.expect(TypeError)); !strings.Contains(e.Message, "content") {
		t.Errorf("message %q does not name the field", e.Message)
	}
}

func TestPongAndUnknownFields(t *testing.T) {
	srv, _ := newTestServer(t, Options{})
	mustNil(t, srv.CreateConversation("c1", "", "alice"))
	alice := connect(t, srv, "alice")
	alice.sendRaw([]byte(`{"type":"ping","payload":{},"extra":1}`))
	f := alice.next()
	if f.Type != TypePong || string(f.Payload) != "{}" || f.Seq != 0 {
		t.Errorf("pong %+v", f)
	}
	alice.sendRaw([]byte(`{"type":"chat.message","id":"x","payload":{"conversation_id":"c1","content":"hi","mood":"happy"}}`))
	alice.expect(TypeChatMessage)
}

func TestOversizedFrameCloses4009(t *testing.T) {
	srv, _ := newTestServer(t, Options{MaxFrameBytes: 1024})
	mustNil(t, srv.CreateConversation("c1", "", "alice"))
	alice := connect(t, srv, "alice")
	other := connect(t, srv, "alice")

	// Exactly the limit is fine.
	msg := `{"type":"chat.message","payload":{"conversation_id":"c1","content":"`
	ok := msg + strings.Repeat("a", 1024-len(msg)-3) + `"}}`
	alice.sendRaw([]byte(ok))
	alice.expect(TypeChatMessage)
	other.expect(TypeChatMessage)

	big := msg + strings.Repeat("a", 64<<10) + `"}}`
	alice.sendRaw([]byte(big))
	if code, reason := alice.closeCode(); code != CloseFrameTooLarge || reason != "frame too large" {
		t.Errorf("close %d %q, want 4009", code, reason)
	}
	other.quiet() // the user's other connection is unaffected
	if msgs, _ := srv.Messages("c1"); len(msgs) != 1 {
		t.Errorf("stored %d messages", len(msgs))
	}
}
