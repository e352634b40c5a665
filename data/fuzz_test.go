package data

import (
	"errors"
	"testing"

	"github.com/chatwire/chatwire/domain"
)

// FuzzDecodeFrame: no input panics the decoder, and every failure is a
// classified *domain.DecodeError.
func FuzzDecodeFrame(f *testing.F) {
	for _, seed := range []string{
		`{"type":"session.ready","payload":{"user_id":"u","session_id":"s","heartbeat_interval_ms":30000,"max_frame_bytes":1048576,"last_seq":0}}`,
		`{"type":"chat.message","seq":1,"payload":{"id":"m","client_id":"c","conversation_id":"k","sender_id":"u","content":"hi","kind":"text","created_at":"2026-11-22T10:00:00Z","attachments":[{"url":"u","name":"n","mime":"m","size":1}]}}`,
		`{"type":"typing.indicator","payload":{"conversation_id":"k","user_id":"u","is_typing":true}}`,
		`{"type":"user.status","payload":{"user_id":"u","status":"online","last_seen":"2026-11-22T10:00:00Z"}}`,
		`{"type":"conversation.update","seq":2,"payload":{"conversation_id":"k","action":"updated","unread_count":3,"last_message":{"id":"m","conversation_id":"k","sender_id":"u","content":"x","created_at":"2026-11-22T10:00:00Z"}}}`,
		`{"type":"message.read","seq":3,"payload":{"conversation_id":"k","user_id":"u","message_id":"m","read_at":"2026-11-22T10:00:00Z"}}`,
		`{"type":"call.incoming","seq":4,"payload":{"call_id":"c","conversation_id":"k","caller_id":"a","callee_ids":["b"],"media":"audio","created_at":"2026-11-22T10:00:00Z"}}`,
		`{"type":"call.offer","seq":5,"payload":{"call_id":"c","from":"a","to":"b","sdp":{"type":"offer","sdp":"v=0"}}}`,
		`{"type":"sync.done","payload":{"replayed":2,"complete":true}}`,
		`{"type":"error","payload":{"code":"forbidden","message":"no","ref":"c"}}`,
		`{"type":"pong","payload":{}}`,
		`{"type":"x.unknown","payload":[1,2,3]}`,
		`{"type":"chat.message","seq":-1}`,
		`[[[[[[[[[[]]]]]]]]]]`,
		"\xff",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, frame []byte) {
		d, err := decodeFrame(StdCodec(), frame)
		if err != nil {
			var de *domain.DecodeError
			if !errors.As(err, &de) || !errors.Is(err, domain.ErrMalformed) {
				t.Fatalf("error %v (%T) is not a *domain.DecodeError", err, err)
			}
			if d.event != nil || d.ready != nil || d.syncDone != nil || d.srvErr != nil {
				t.Fatalf("a failed decode returned a value: %+v", d)
			}
		}
	})
}
