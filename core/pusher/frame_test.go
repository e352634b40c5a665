package pusher

import (
	"encoding/json"
	"errors"
	"testing"
)

func TestDecodeFrame(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		event   string
		channel string
		payload string // Payload(), "" for none
		userID  string
	}{
		{
			name:    "double-encoded data",
			in:      `{"event":"pusher:connection_established","data":"{\"socket_id\":\"1.2\",\"activity_timeout\":30}"}`,
			event:   EventConnectionEstablished,
			payload: `{"socket_id":"1.2","activity_timeout":30}`,
		},
		{
			name:    "object data",
			in:      `{"event":"App\\Events\\MessageSent","channel":"private-c.1","data":{"id":"m1"}}`,
			event:   `App\Events\MessageSent`,
			channel: "private-c.1",
			payload: `{"id":"m1"}`,
		},
		{
			name:    "string data that is not json",
			in:      `{"event":"e","channel":"c","data":"hello"}`,
			event:   "e",
			channel: "c",
			payload: `"hello"`,
		},
		{name: "pong with object", in: `{"event":"pusher:pong","data":{}}`, event: EventPong, payload: `{}`},
		{name: "pong with string", in: `{"event":"pusher:pong","data":"{}"}`, event: EventPong, payload: `{}`},
		{name: "no data", in: `{"event":"pusher:pong"}`, event: EventPong},
		{name: "null data", in: `{"event":"pusher:pong","data":null}`, event: EventPong},
		{
			name:    "numeric user id",
			in:      `{"event":"client-typing","channel":"presence-x","data":{},"user_id":42}`,
			event:   "client-typing",
			channel: "presence-x",
			payload: `{}`,
			userID:  "42",
		},
		{
			name:    "string user id",
			in:      `{"event":"client-typing","channel":"presence-x","data":"{\"a\":[1]}","user_id":"u-1"}`,
			event:   "client-typing",
			channel: "presence-x",
			payload: `{"a":[1]}`,
			userID:  "u-1",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := DecodeFrame([]byte(tt.in))
			if err != nil {
				t.Fatalf("DecodeFrame: %v", err)
			}
			if f.Event != tt.event || f.Channel != tt.channel || f.UserID != tt.userID {
				t.Fatalf("got event %q channel %q user %q", f.Event, f.Channel, f.UserID)
			}
			if got := string(f.Payload()); got != tt.payload {
				t.Fatalf("Payload() = %s, want %s", got, tt.payload)
			}
		})
	}
}

func TestDecodeFrameErrors(t *testing.T) {
	for _, in := range []string{
		``,
		`not json`,
		`{"data":{}}`,
		`{"event":""}`,
		`{"event":"e","user_id":{}}`,
		`["event"]`,
	} {
		_, err := DecodeFrame([]byte(in))
		if !errors.Is(err, ErrMalformed) {
			t.Errorf("DecodeFrame(%q) = %v, want ErrMalformed", in, err)
		}
		var de *DecodeError
		if !errors.As(err, &de) {
			t.Errorf("DecodeFrame(%q) error is %T, want *DecodeError", in, err)
		}
	}
}

func TestEncodeFrame(t *testing.T) {
	b, err := EncodeFrame(Frame{Event: "client-typing", Channel: "private-a", Data: json.RawMessage(`{"typing":true}`)})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"event":"client-typing","channel":"private-a","data":{"typing":true}}`; string(b) != want {
		t.Fatalf("got %s, want %s", b, want)
	}
	b, err = EncodeFrame(Frame{Event: EventPing})
	if err != nil || string(b) != `{"event":"pusher:ping","data":{}}` {
		t.Fatalf("empty data: got %s, %v", b, err)
	}
	if _, err := EncodeFrame(Frame{}); err == nil {
		t.Fatal("no event: want an error")
	}
	if _, err := EncodeFrame(Frame{Event: "e", Data: json.RawMessage(`{`)}); err == nil {
		t.Fatal("invalid data: want an error")
	}
	if got := string(PingFrame()); got != `{"event":"pusher:ping","data":{}}` {
		t.Fatalf("PingFrame() = %s", got)
	}
}

func TestSubscribeFrames(t *testing.T) {
	got := string(encodeSubscribe("public", Auth{}))
	if want := `{"event":"pusher:subscribe","data":{"channel":"public"}}`; got != want {
		t.Fatalf("public: %s, want %s", got, want)
	}
	got = string(encodeSubscribe("presence-p", Auth{Auth: "k:sig", ChannelData: `{"user_id":"1"}`}))
	want := `{"event":"pusher:subscribe","data":{"channel":"presence-p","auth":"k:sig","channel_data":"{\"user_id\":\"1\"}"}}`
	if got != want {
		t.Fatalf("presence: %s, want %s", got, want)
	}
	got = string(encodeUnsubscribe("private-x"))
	if want := `{"event":"pusher:unsubscribe","data":{"channel":"private-x"}}`; got != want {
		t.Fatalf("unsubscribe: %s, want %s", got, want)
	}
}

func TestDecodeProtocolError(t *testing.T) {
	f, _ := DecodeFrame([]byte(`{"event":"pusher:error","data":{"code":4001,"message":"App key x does not exist."}}`))
	pe, err := decodeProtocolError(f)
	if err != nil || pe.Code != 4001 || pe.Message != "App key x does not exist." {
		t.Fatalf("got %+v, %v", pe, err)
	}
	f, _ = DecodeFrame([]byte(`{"event":"pusher:error","data":"{\"code\":null,\"message\":\"Invalid signature\"}"}`))
	pe, err = decodeProtocolError(f)
	if err != nil || pe.Code != 0 || pe.Message != "Invalid signature" {
		t.Fatalf("null code: got %+v, %v", pe, err)
	}
	if pe.Error() != "pusher: server error: Invalid signature" {
		t.Fatalf("Error() = %q", pe.Error())
	}

	// Servers that echo signatures do not get them into error strings.
	sig := SignChannel("key", "secret", "1.1", "private-x", "")
	f, _ = DecodeFrame([]byte(`{"event":"pusher:error","data":{"code":null,"message":"Invalid signature: expected ` + sig[4:] + `, got ` + sig + `"}}`))
	pe, _ = decodeProtocolError(f)
	if want := "Invalid signature: expected [redacted], got [redacted]"; pe.Message != want {
		t.Fatalf("Message = %q, want %q", pe.Message, want)
	}
}

func TestDecodeMembers(t *testing.T) {
	f, _ := DecodeFrame([]byte(`{"event":"pusher_internal:subscription_succeeded","channel":"presence-a","data":"{\"presence\":{\"ids\":[\"1\",2],\"hash\":{\"1\":{\"name\":\"Ann\"},\"2\":null},\"count\":2}}"}`))
	m, err := decodeMembers(f)
	if err != nil {
		t.Fatal(err)
	}
	got := sortedMembers(m)
	if len(got) != 2 || got[0].ID != "1" || string(got[0].Info) != `{"name":"Ann"}` || got[1].ID != "2" || got[1].Info != nil {
		t.Fatalf("members = %+v", got)
	}

	f, _ = DecodeFrame([]byte(`{"event":"pusher_internal:member_added","channel":"presence-a","data":"{\"user_id\":7,\"user_info\":{\"n\":1}}"}`))
	mb, err := decodeMember(f)
	if err != nil || mb.ID != "7" || string(mb.Info) != `{"n":1}` {
		t.Fatalf("member_added: %+v, %v", mb, err)
	}
	f, _ = DecodeFrame([]byte(`{"event":"pusher_internal:member_removed","channel":"presence-a","data":{"user_info":{}}}`))
	if _, err := decodeMember(f); !errors.Is(err, ErrMalformed) {
		t.Fatalf("member without id: %v, want ErrMalformed", err)
	}
	if id := channelDataUserID(`{"user_id":12,"user_info":{}}`); id != "12" {
		t.Fatalf("channelDataUserID = %q", id)
	}
	if id := channelDataUserID(``); id != "" {
		t.Fatalf("channelDataUserID(empty) = %q", id)
	}
}
