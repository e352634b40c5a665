package chaos_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"github.com/chatwire/chatwire/core/pusher"
)

// FuzzPusherFrame feeds arbitrary bytes to the Pusher frame decoder and the
// double-encoded data unwrapping. It never panics; a frame it accepts has
// an event, a Payload that is nil or valid JSON, and survives an
// encode/decode round trip; a frame it refuses fails with ErrMalformed.
// (core/pusher has no fuzz target of its own; this one lives here because
// its files belong to another owner.)
func FuzzPusherFrame(f *testing.F) {
	for _, seed := range []string{
		`{"event":"pusher:connection_established","data":"{\"socket_id\":\"1.2\",\"activity_timeout\":30}"}`,
		`{"event":"pusher:pong","data":{}}`,
		`{"event":"pusher:pong","data":"{}"}`,
		`{"event":"pusher_internal:subscription_succeeded","channel":"presence-online","data":"{\"presence\":{\"ids\":[\"1\",2],\"hash\":{},\"count\":2}}"}`,
		`{"event":"pusher:error","data":{"code":null,"message":"x"}}`,
		`{"event":"client-typing","channel":"private-c.1","data":"not json","user_id":7}`,
		`{"event":"App\\Events\\MessageSent","channel":"private-conversation.7","data":"\"\\\"nested\\\"\""}`,
		`{"event":"x","data":null}`,
		`{"event":""}`,
		`[]`,
		"{\"event\":\"\xff\"}",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fr, err := pusher.DecodeFrame(b)
		if err != nil {
			if !errors.Is(err, pusher.ErrMalformed) {
				t.Fatalf("error %v does not match ErrMalformed", err)
			}
			return
		}
		if fr.Event == "" {
			t.Fatal("accepted a frame without an event")
		}
		p := fr.Payload()
		if p != nil && !json.Valid(p) {
			t.Fatalf("Payload %q is not valid JSON", p)
		}
		enc, err := pusher.EncodeFrame(fr)
		if err != nil {
			t.Fatalf("EncodeFrame of a decoded frame: %v", err)
		}
		again, err := pusher.DecodeFrame(enc)
		if err != nil {
			t.Fatalf("re-decoding %q: %v", enc, err)
		}
		if again.Event != fr.Event || again.Channel != fr.Channel || again.UserID != fr.UserID {
			t.Fatalf("round trip changed the frame: %+v -> %+v", fr, again)
		}
		if len(fr.Data) > 0 && !reflect.DeepEqual(value(t, again.Payload()), value(t, p)) {
			t.Fatalf("round trip changed the payload: %q -> %q", p, again.Payload())
		}
	})
}

// value decodes JSON for a comparison by meaning (json.Marshal escapes
// "&" as \u0026, which is the same string).
func value(t *testing.T, b []byte) any {
	if b == nil {
		return nil
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber() // 1e400 is valid JSON but no float64
	var v any
	if err := d.Decode(&v); err != nil {
		t.Fatalf("decode %q: %v", b, err)
	}
	return v
}
