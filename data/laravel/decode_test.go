package laravel

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/chatwire/chatwire/domain"
)

var (
	received = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	created  = time.Date(2026, 5, 1, 10, 0, 0, 123456000, time.UTC)
)

func intp(n int) *int { return &n }

func TestDecoders(t *testing.T) {
	full := domain.Message{
		ID: "m1", ClientID: "c1", ConversationID: "7", SenderID: "2", Content: "hello",
		Kind: domain.KindImage, CreatedAt: created, ReplyTo: "m0",
		Attachments: []domain.Attachment{{URL: "https://x/a.png", Name: "a.png", MIME: "image/png", Size: 42}},
	}
	for _, tc := range []struct {
		name string
		dec  Decoder
		ev   Event
		want domain.Event
	}{
		{
			name: "message wrapped in its public property",
			dec:  DecodeMessage,
			ev:   Event{Data: json.RawMessage(`{"message":{"id":"m1","client_id":"c1","conversation_id":"7","sender_id":"2","content":"hello","kind":"image","created_at":"2026-05-01T10:00:00.123456Z","reply_to":"m0","attachments":[{"url":"https://x/a.png","name":"a.png","mime":"image/png","size":42}]},"user":{"id":9}}`)},
			want: full,
		},
		{
			name: "message flat with Laravel column names and numeric ids",
			dec:  DecodeMessage,
			ev:   Event{Data: json.RawMessage(`{"id":1,"conversation_id":7,"user_id":2,"body":"hi","created_at":"2026-05-01 10:00:00","reply_to_id":null,"attachments":[{"url":"u","filename":"f.pdf","mime_type":"application/pdf","size":"10"}]}`)},
			want: domain.Message{ID: "1", ConversationID: "7", SenderID: "2", Content: "hi", Kind: domain.KindText,
				CreatedAt:   time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC),
				Attachments: []domain.Attachment{{URL: "u", Name: "f.pdf", MIME: "application/pdf", Size: 10}}},
		},
		{
			name: "message in an API resource, conversation from the channel, sender nested",
			dec:  DecodeMessage,
			ev:   Event{ConversationID: "7", Data: json.RawMessage(`{"data":{"id":"m2","message":"text in message","sender":{"id":"5"},"created_at":1777629600}}`)},
			want: domain.Message{ID: "m2", ConversationID: "7", SenderID: "5", Content: "text in message", Kind: domain.KindText,
				CreatedAt: time.Unix(1777629600, 0).UTC()},
		},
		{
			name: "typing whisper in Echo's shape",
			dec:  DecodeTyping,
			ev:   Event{ConversationID: "7", ReceivedAt: received, Data: json.RawMessage(`{"id":2,"name":"Bob","typing":false}`)},
			want: domain.TypingIndicator{ConversationID: "7", UserID: "2", IsTyping: false, ReceivedAt: received},
		},
		{
			name: "typing event without a flag means typing, user from the presence sender",
			dec:  DecodeTyping,
			ev:   Event{ConversationID: "7", UserID: "3", ReceivedAt: received, Data: json.RawMessage(`{"name":"Cy"}`)},
			want: domain.TypingIndicator{ConversationID: "7", UserID: "3", IsTyping: true, ReceivedAt: received},
		},
		{
			name: "typing server event with is_typing",
			dec:  DecodeTyping,
			ev:   Event{ReceivedAt: received, Data: json.RawMessage(`{"conversation_id":"9","user":{"id":"4"},"is_typing":1}`)},
			want: domain.TypingIndicator{ConversationID: "9", UserID: "4", IsTyping: true, ReceivedAt: received},
		},
		{
			name: "read receipt flat",
			dec:  DecodeRead,
			ev:   Event{Data: json.RawMessage(`{"conversation_id":7,"user_id":2,"message_id":41,"read_at":"2026-05-01T10:00:00.123456Z"}`)},
			want: domain.ReadReceipt{ConversationID: "7", UserID: "2", MessageID: "41", ReadAt: created},
		},
		{
			name: "read receipt wrapped, read_at defaults to arrival",
			dec:  DecodeRead,
			ev:   Event{ConversationID: "7", ReceivedAt: received, Data: json.RawMessage(`{"read":{"reader_id":"2","last_read_message_id":"m9"}}`)},
			want: domain.ReadReceipt{ConversationID: "7", UserID: "2", MessageID: "m9", ReadAt: received},
		},
		{
			name: "conversation update",
			dec:  ConversationDecoder(domain.ConversationUpdated),
			ev:   Event{Data: json.RawMessage(`{"conversation":{"id":7,"name":"Team","participants":[{"id":1},{"id":2}],"unread_count":3,"updated_at":"2026-05-01T10:00:00.123456Z","last_message":{"id":"m1","user_id":1,"body":"x"}}}`)},
			want: domain.ConversationUpdate{ConversationID: "7", Action: domain.ConversationUpdated, Title: "Team",
				ParticipantIDs: []string{"1", "2"}, UnreadCount: intp(3), UpdatedAt: created,
				LastMessage: &domain.Message{ID: "m1", ConversationID: "7", SenderID: "1", Content: "x", Kind: domain.KindText}},
		},
		{
			name: "conversation action from the payload",
			dec:  ConversationDecoder(domain.ConversationUpdated),
			ev:   Event{Data: json.RawMessage(`{"conversation_id":"7","action":"member_added","participant_ids":["1","5"]}`)},
			want: domain.ConversationUpdate{ConversationID: "7", Action: domain.ConversationMemberAdded, ParticipantIDs: []string{"1", "5"}},
		},
		{
			name: "incoming call",
			dec:  CallDecoder(domain.CallIncoming),
			ev:   Event{Data: json.RawMessage(`{"call":{"id":"c1","conversation_id":7,"caller_id":2,"callee_ids":[1,3],"media":"video","created_at":"2026-05-01T10:00:00.123456Z"}}`)},
			want: domain.CallEvent{Kind: domain.CallIncoming, CallID: "c1", ConversationID: "7", CallerID: "2",
				CalleeIDs: []string{"1", "3"}, Media: domain.MediaVideo, CreatedAt: created},
		},
		{
			name: "call ended with duration in seconds",
			dec:  CallDecoder(domain.CallEnded),
			ev:   Event{Data: json.RawMessage(`{"call_id":"c1","ended_by":2,"reason":"hangup","duration":61}`)},
			want: domain.CallEvent{Kind: domain.CallEnded, CallID: "c1", EndedBy: "2", Reason: "hangup", Duration: 61 * time.Second},
		},
		{
			name: "offer whisper keeps the sdp raw",
			dec:  CallDecoder(domain.CallOffer),
			ev:   Event{ConversationID: "7", Data: json.RawMessage(`{"call_id":"c1","from":"2","to":"1","sdp":{"type":"offer","sdp":"v=0"}}`)},
			want: domain.CallEvent{Kind: domain.CallOffer, CallID: "c1", ConversationID: "7", From: "2", To: "1",
				Signal: []byte(`{"type":"offer","sdp":"v=0"}`)},
		},
		{
			name: "accept whisper: user from from",
			dec:  CallDecoder(domain.CallAccepted),
			ev:   Event{ConversationID: "7", Data: json.RawMessage(`{"call_id":"c1","from":"3"}`)},
			want: domain.CallEvent{Kind: domain.CallAccepted, CallID: "c1", ConversationID: "7", From: "3", UserID: "3"},
		},
		{
			name: "user status with a boolean",
			dec:  DecodeUserStatus,
			ev:   Event{Data: json.RawMessage(`{"user":{"id":5},"online":false,"last_seen_at":"2026-05-01T10:00:00.123456Z"}`)},
			want: domain.UserStatusUpdate{UserID: "5", Status: domain.StatusOffline, LastSeen: created},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.dec(tc.ev)
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got  %#v\nwant %#v", got, tc.want)
			}
		})
	}
}

func TestDecodersRefuseBadPayloads(t *testing.T) {
	for _, tc := range []struct {
		name string
		dec  Decoder
		data string
	}{
		{"message without id", DecodeMessage, `{"message":{"conversation_id":"7","content":"x"}}`},
		{"message without conversation", DecodeMessage, `{"id":"m1","content":"x"}`},
		{"message not an object", DecodeMessage, `"hello"`},
		{"message with a bad time", DecodeMessage, `{"id":"m1","conversation_id":"7","created_at":"yesterday"}`},
		{"message id an object", DecodeMessage, `{"id":{"x":1},"conversation_id":"7"}`},
		{"attachments not a list", DecodeMessage, `{"id":"m1","conversation_id":"7","attachments":"no"}`},
		{"typing without user", DecodeTyping, `{"conversation_id":"7"}`},
		{"typing with a bad flag", DecodeTyping, `{"conversation_id":"7","user_id":"1","typing":"maybe"}`},
		{"read without message", DecodeRead, `{"conversation_id":"7","user_id":"1"}`},
		{"conversation without id", ConversationDecoder(domain.ConversationUpdated), `{"title":"x"}`},
		{"conversation bad unread count", ConversationDecoder(domain.ConversationUpdated), `{"id":"7","unread_count":"many"}`},
		{"call without id", CallDecoder(domain.CallIncoming), `{"conversation_id":"7"}`},
		{"status without status", DecodeUserStatus, `{"user_id":"1"}`},
		{"empty data", DecodeMessage, ``},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev, err := tc.dec(Event{Data: json.RawMessage(tc.data)})
			if err == nil {
				t.Fatalf("decoded %#v, want an error", ev)
			}
			if tc.data == `"hello"` && !errors.Is(err, errNotObject) {
				t.Fatalf("err = %v, want errNotObject", err)
			}
		})
	}
}
