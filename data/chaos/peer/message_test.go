package peer

import (
	"encoding/json"
	"testing"
)

func TestEnvelopeIs347BytesAndValid(t *testing.T) {
	for _, seq := range []int64{FirstSeq, FirstSeq + 123456, 9_999_999} {
		for _, stamp := range []int64{0, 1764791234123456789} {
			b := AppendEnvelope(nil, seq, stamp)
			if len(b) != EnvelopeSize {
				t.Errorf("seq %d: %d bytes, want %d", seq, len(b), EnvelopeSize)
			}
			var f struct {
				Type    string `json:"type"`
				Seq     int64  `json:"seq"`
				Payload struct {
					ID      string `json:"id"`
					Content string `json:"content"`
				} `json:"payload"`
			}
			if err := json.Unmarshal(b, &f); err != nil {
				t.Fatalf("%s: %v", b, err)
			}
			got, err := Stamp(f.Payload.Content)
			if f.Type != "chat.message" || f.Seq != seq || err != nil || got != stamp {
				t.Errorf("decoded %+v stamp %d %v", f, got, err)
			}
			if got, err := StampIn(b); err != nil || got != stamp {
				t.Errorf("StampIn = %d, %v", got, err)
			}
		}
	}
}
