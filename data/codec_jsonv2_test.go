package data

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"github.com/chatwire/chatwire/domain"
)

// codecFrames are frames on which every codec must agree with encoding/json,
// field for field, error for error.
var codecFrames = []string{
	`{"type":"chat.message","seq":5,"payload":{"id":"m1","client_id":"c1","conversation_id":"conv","sender_id":"u1","content":"hi","kind":"image","created_at":"2026-11-22T10:00:00Z","reply_to":"m0","attachments":[{"url":"https://x/y.png","name":"y.png","mime":"image/png","size":42}],"extra":true}}`,
	`{"type":"chat.message","seq":1,"payload":{"id":"m1","conversation_id":"c","sender_id":"u","content":"\u00e9t\u00e9 \"quoted\"\n","created_at":"2026-11-22T10:00:00Z"}}`,
	"{\"type\":\"chat.message\",\"seq\":1,\"payload\":{\"id\":\"m1\",\"conversation_id\":\"c\",\"sender_id\":\"u\",\"content\":\"bad \xff utf-8, good é\"}}",
	`{"TYPE":"chat.message","Seq":2,"PayLoad":{"ID":"m1","Conversation_ID":"c","sender_id":"u","content":null}}`,
	`{"type":"chat.message","type":"pong","seq":3,"seq":4,"payload":{}}`,
	`{"\u0074ype":"typing.indicator","payload":{"conversation_id":"c","user_id":"u2","is_typing":true}}`,
	`{"type":"user.status","payload":{"user_id":"u2","status":"away","last_seen":"2026-11-22T10:00:00Z"}}`,
	`{"type":"conversation.update","seq":9,"payload":{"conversation_id":"c","action":"member_added","title":"T","participant_ids":["a","b"],"unread_count":7,"updated_at":"2026-11-22T10:00:00Z","last_message":{"id":"m1","conversation_id":"c","sender_id":"a","content":"x","created_at":"2026-11-22T10:00:00Z"}}}`,
	`{"type":"message.read","seq":3,"payload":{"conversation_id":"c","user_id":"u2","message_id":"m1","read_at":"2026-11-22T10:00:00Z"}}`,
	`{"type":"call.offer","seq":8,"payload":{"call_id":"k","from":"a","to":"b","sdp":{"type":"offer","sdp":"v=0"}}}`,
	`{"type":"call.ended","seq":6,"payload":{"call_id":"k","ended_by":"a","reason":"hangup","duration_ms":1500}}`,
	`{"type":"session.ready","payload":{"user_id":"u","session_id":"s","heartbeat_interval_ms":15000,"max_frame_bytes":65536,"last_seq":41}}`,
	`{"type":"sync.done","payload":{"replayed":3,"complete":false}}`,
	`{"type":"error","payload":{"code":"forbidden","message":"not a member","ref":"c1"}}`,
	`{"type":"fut\u0075re","seq":null,"payload":{"x":1}}`,
	`{"type":"pong","payload":{}} `,
	`null`, `[]`, `"x"`, `{"type":"pong"} {}`, `{"type":5}`, `{"type":"chat.message","seq":1.0,"payload":{}}`,
	`{"type":"chat.message","seq":-9223372036854775808}`, `{"type":"chat.message","seq":9223372036854775808}`,
	`{"type":"chat.message","seq":1,"payload":{"id":"m","conversation_id":"c","sender_id":"u","created_at":"yesterday"}}`,
	`{"type":"chat.message","seq":1,"payload":{"id":5}}`, `{"type":"chat.message","seq":1,"payload":"x"}`,
	`{"type":"chat.message","seq":1,"payload":null}`, `{"type":"typing.indicator","payload":{"conversation_id":"c","user_id":"u","is_typing":"yes"}}`,
	`{"type":"conversation.update","seq":2,"payload":{"conversation_id":"c","action":"updated","unread_count":"7"}}`,
	"\xff\xfe", `{"type":`, `{"type":"x",}`,
	// Fields after the payload, which the one-pass read must notice.
	`{"type":"chat.message","payload":{"id":"m","conversation_id":"c","sender_id":"u"},"seq":-1}`,
	`{"type":"chat.message","payload":{"id":"m","conversation_id":"c","sender_id":"u"},"Seq":7,"extra":[1]}`,
	`{"type":"pong","payload":{"id":"m"},"type":"chat.message"}`,
	`{"type":"chat.message","payload":{"id":"m"},"payload":{"id":"m","conversation_id":"c","sender_id":"u"}}`,
	`{"type":"chat.message","payload":{"id":5},"x":}`,
	`{"type":"chat.message","payload":{"id":5},"seq":"x"}`,
	`{"type":"chat.message","seq":1,"payload":{"id":"m","conversation_id":"c","sender_id":"u"}} x`,
	`{"type":"future","payload":{"a":[}}`,
	`{"type":"chat.message","seq":1,"payload":{"id":"m","conversation_id":"c","sender_id":"u","attachments":[{"url":"a","name":"n"},null,{"size":1.5}]}}`,
	`{"type":"chat.message","seq":1,"payload":{"id":"m","conversation_id":"c","sender_id":"u","attachments":[{"url":"a","name":"n"}],"attachments":[{"url":"b"}]}}`,
	`{"type":"chat.message","seq":1,"payload":{"id":"m","conversation_id":"c","sender_id":"u","attachments":{}}}`,
}

func TestCodecsAgreeWithEncodingJSON(t *testing.T) {
	for _, f := range codecFrames {
		checkAgree(t, []byte(f))
	}
}

// The pooled reader's scratch must not leak into values already returned.
func TestJSONv2CodecReusesNothingItHandsOut(t *testing.T) {
	a := []byte(codecFrames[0])
	d1, err := decodeFrame(JSONv2Codec(), a)
	if err != nil {
		t.Fatal(err)
	}
	b := []byte(`{"type":"chat.message","seq":6,"payload":{"id":"m2","conversation_id":"c","sender_id":"u","attachments":[{"url":"z"}]}}`)
	if _, err := decodeFrame(JSONv2Codec(), b); err != nil {
		t.Fatal(err)
	}
	m := d1.event.(domain.Message)
	want := domain.Attachment{URL: "https://x/y.png", Name: "y.png", MIME: "image/png", Size: 42}
	if len(m.Attachments) != 1 || m.Attachments[0] != want || m.ID != "m1" {
		t.Errorf("first message changed by a later decode: %+v", m)
	}
}

func TestJSONv2CodecMarshalsLikeEncodingJSON(t *testing.T) {
	for _, v := range []any{
		outbound{Type: typeChatMessage, Payload: wireMessage{ClientID: "c", ConversationID: "<k>", Content: "a&b"}},
		outbound{Type: typeSync, Payload: wireSync{Since: 0}},
		outbound{Type: "call.offer", Payload: wireCall{CallID: "k", SDP: json.RawMessage(`{"sdp":"v=0"}`)}},
	} {
		want, err1 := json.Marshal(v)
		got, err2 := JSONv2Codec().Marshal(v)
		if err1 != nil || err2 != nil || string(got) != string(want) {
			t.Errorf("Marshal(%+v)\n got %s %v\nwant %s %v", v, got, err2, want, err1)
		}
	}
}

func checkAgree(t *testing.T, frame []byte) {
	t.Helper()
	want, werr := decodeFrame(StdCodec(), frame)
	for name, c := range map[string]Codec{"jsonv2": JSONv2Codec(), "other": plainCodec{}} {
		got, gerr := decodeFrame(c, frame)
		if (werr == nil) != (gerr == nil) {
			t.Fatalf("%s: %q: err = %v, encoding/json says %v", name, frame, gerr, werr)
		}
		var wde, gde *domain.DecodeError
		if werr != nil && (!errors.As(werr, &wde) || !errors.As(gerr, &gde) || wde.Type != gde.Type) {
			t.Fatalf("%s: %q: err = %#v, encoding/json says %#v", name, frame, gerr, werr)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: %q:\n got %#v\nwant %#v", name, frame, got, want)
		}
	}
}

// plainCodec is a Codec without a fast path of its own.
type plainCodec struct{}

func (plainCodec) Marshal(v any) ([]byte, error)      { return json.Marshal(v) }
func (plainCodec) Unmarshal(data []byte, v any) error { return json.Unmarshal(data, v) }

// FuzzCodecsAgree: JSONv2Codec decodes every input as encoding/json does.
func FuzzCodecsAgree(f *testing.F) {
	for _, s := range codecFrames {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, frame []byte) { checkAgree(t, frame) })
}

// A frame whose payload comes twice is decoded again from scratch (the last
// payload wins, as in encoding/json): nothing of the first payload may stay
// in the reader's message. Found by FuzzCodecsAgree.
func TestDuplicatePayloadKeepsNothingOfTheFirst(t *testing.T) {
	frame := []byte(`{"tYpe":"chat.message","pAYloAd":{"id":"0"},"pAYloAd":{"ConversAtion_id":"0","sender_id":"0"}}`)
	for name, c := range map[string]Codec{"std": StdCodec(), "jsonv2": JSONv2Codec()} {
		if d, err := decodeFrame(c, frame); err == nil {
			t.Errorf("%s decoded %+v, want missing id", name, d.event)
		}
	}
}
