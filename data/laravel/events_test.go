package laravel

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/chatwire/chatwire/domain"
)

// marker decoders tell which key matched.
func marker(name string) Decoder {
	return func(Event) (domain.Event, error) { return domain.RawFrame{Type: name}, nil }
}

func matched(t *testing.T, table *eventTable, wire string) string {
	t.Helper()
	d, ok := table.lookup(wire)
	if !ok {
		return ""
	}
	ev, _ := d(Event{})
	return ev.(domain.RawFrame).Type
}

func TestEventNameMatching(t *testing.T) {
	table, err := newEventTable(map[string]Decoder{
		"MessageSent":               marker("bare"),
		".message.sent":             marker("dot"),
		`App\Events\MessagesRead`:   marker("class"),
		`\Chat\TypingStarted`:       marker("backslash"),
		"Chat.CallIncoming":         marker("dotted-bare"),
		"client-typing":             marker("whisper"),
		`Domain\Events\MessageSent`: marker("other-namespace"),
	}, "App.Events")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ wire, want string }{
		{`App\Events\MessageSent`, "bare"},               // Echo's namespaced form
		{"MessageSent", "bare"},                          // the bare name as broadcast
		{`Other\Events\MessageSent`, "bare"},             // last segment
		{`Domain\Events\MessageSent`, "other-namespace"}, // exact wins over last segment
		{"message.sent", "dot"},                          // broadcastAs with the dot removed
		{".message.sent", ""},                            // the dot is not on the wire
		{`App\Events\MessagesRead`, "class"},
		{"MessagesRead", ""}, // a class key matches only itself
		{`Chat\TypingStarted`, "backslash"},
		{`App\Events\Chat\CallIncoming`, "dotted-bare"},
		{"client-typing", "whisper"},
		{"client-other", ""},
		{`App\Events\Unknown`, ""},
	} {
		if got := matched(t, table, tc.wire); got != tc.want {
			t.Errorf("%q matched %q, want %q", tc.wire, got, tc.want)
		}
	}
}

func TestEventTableRefusesAmbiguousKeys(t *testing.T) {
	for _, tc := range []struct {
		name   string
		events map[string]Decoder
	}{
		{"bare and class", map[string]Decoder{"MessageSent": DecodeMessage, `App\Events\MessageSent`: DecodeMessage}},
		{"dot and bare", map[string]Decoder{".MessageSent": DecodeMessage, "MessageSent": DecodeMessage}},
		{"nil decoder", map[string]Decoder{"MessageSent": nil}},
		{"empty name", map[string]Decoder{".": DecodeMessage}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := newEventTable(tc.events, DefaultNamespace); err == nil || !strings.HasPrefix(err.Error(), "laravel: options:") {
				t.Fatalf("err = %v, want an options error", err)
			}
		})
	}
}

func TestDefaultEventsCompileAndRoute(t *testing.T) {
	table, err := newEventTable(DefaultEvents(), DefaultNamespace)
	if err != nil {
		t.Fatal(err)
	}
	payloads := map[string]string{
		"message":      `{"message":{"id":1,"conversation_id":7,"user_id":2,"body":"hi"}}`,
		"typing":       `{"user_id":2,"conversation_id":7,"typing":true}`,
		"read":         `{"user_id":2,"conversation_id":7,"message_id":1}`,
		"conversation": `{"conversation":{"id":7,"title":"T"}}`,
		"call":         `{"call":{"id":"c1","conversation_id":7,"caller_id":2}}`,
		"status":       `{"user_id":2,"status":"away"}`,
	}
	for _, tc := range []struct {
		wire, payload, want string
	}{
		{`App\Events\MessageSent`, "message", "chat.message"},
		{"message.sent", "message", "chat.message"},
		{`App\Events\UserIsTyping`, "typing", "typing.indicator"},
		{"user.typing", "typing", "typing.indicator"},
		{"client-typing", "typing", "typing.indicator"},
		{`App\Events\MessagesRead`, "read", "message.read"},
		{"messages.read", "read", "message.read"},
		{"client-read", "read", "message.read"},
		{`App\Events\ConversationUpdated`, "conversation", "conversation.update"},
		{"conversation.created", "conversation", "conversation.update"},
		{`App\Events\CallIncoming`, "call", "call.incoming"},
		{"call.ended", "call", "call.ended"},
		{"client-call.invite", "call", "call.incoming"},
		{"client-call.ice_candidate", "call", "call.ice_candidate"},
		{`App\Events\UserStatusChanged`, "status", "user.status"},
	} {
		d, ok := table.lookup(tc.wire)
		if !ok {
			t.Errorf("%q: no decoder", tc.wire)
			continue
		}
		ev, err := d(Event{Name: tc.wire, Data: json.RawMessage(payloads[tc.payload])})
		if err != nil {
			t.Errorf("%q: %v", tc.wire, err)
			continue
		}
		if ev.EventType() != tc.want {
			t.Errorf("%q decoded to %s, want %s", tc.wire, ev.EventType(), tc.want)
		}
	}
}
