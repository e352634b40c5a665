package pusher

import (
	"bytes"
	"encoding/json"
	"testing"
)

// decodeStd is DecodeFrame as encoding/json reads a frame: the reference
// the one-pass decoder must agree with.
func decodeStd(b []byte) (Frame, bool) {
	var w struct {
		Event   string          `json:"event"`
		Channel string          `json:"channel"`
		Data    json.RawMessage `json:"data"`
		UserID  json.RawMessage `json:"user_id"`
	}
	if json.Unmarshal(b, &w) != nil || w.Event == "" {
		return Frame{}, false
	}
	id, err := flexID(w.UserID)
	if err != nil {
		return Frame{}, false
	}
	f := Frame{Event: w.Event, Channel: w.Channel, Data: w.Data, UserID: id}
	if bytes.Equal(f.Data, []byte("null")) {
		f.Data = nil
	}
	return f, true
}

func FuzzDecodeFrameAgreesWithEncodingJSON(f *testing.F) {
	for _, seed := range []string{
		`{"event":"App\\Events\\MessageSent","channel":"private-c.1","data":"{\"id\":\"m1\"}"}`,
		`{"event":"client-typing","channel":"presence-r","data":{"typing":true},"user_id":42}`,
		`{"EVENT":"x","Channel":"c","data":null}`,
		`{"event":"a","event":"b","data":[1,2]}`,
		`{"event":"x"} trailing`,
		`{"event":"\ud83d\ude00","data":"\u0041"}`,
		"{\"event\":\"\xff\"}",
		`null`, `[]`, `{"event":1}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := DecodeFrame(b)
		want, ok := decodeStd(b)
		if (err == nil) != ok {
			t.Fatalf("DecodeFrame error %v, encoding/json ok %v", err, ok)
		}
		if !ok {
			return
		}
		if got.Event != want.Event || got.Channel != want.Channel || got.UserID != want.UserID || !bytes.Equal(got.Data, want.Data) {
			t.Fatalf("DecodeFrame %+v, encoding/json %+v", got, want)
		}
		if !bytes.Equal(got.Raw, b) {
			t.Fatal("Raw is not the input")
		}
	})
}

func TestDecodeFrameInterns(t *testing.T) {
	var d frameDecoder
	b := []byte(`{"event":"App\\Events\\MessageSent","channel":"private-c.1","data":"{}"}`)
	if _, err := d.decode(b); err != nil {
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := d.decode(b); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 0 {
		t.Fatalf("%v allocations per frame of known names, want 0", allocs)
	}
}
