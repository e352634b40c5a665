package data

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/chatwire/chatwire/domain"
)

func TestDecodeFrameTypedEvents(t *testing.T) {
	at := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	seven := 7
	tests := []struct {
		name  string
		frame string
		want  domain.Event
	}{
		{
			name: "chat.message with every field",
			frame: `{"type":"chat.message","seq":5,"payload":{"id":"m1","client_id":"c1","conversation_id":"conv","sender_id":"u1",
				"content":"hi","kind":"image","created_at":"2026-11-22T10:00:00Z","reply_to":"m0",
				"attachments":[{"url":"https://x/y.png","name":"y.png","mime":"image/png","size":42}],"extra":true}}`,
			want: domain.Message{ID: "m1", ClientID: "c1", ConversationID: "conv", SenderID: "u1", Content: "hi",
				Kind: domain.KindImage, CreatedAt: at, ReplyTo: "m0", Seq: 5,
				Attachments: []domain.Attachment{{URL: "https://x/y.png", Name: "y.png", MIME: "image/png", Size: 42}}},
		},
		{
			name:  "chat.message kind defaults to text",
			frame: `{"type":"chat.message","seq":1,"payload":{"id":"m1","conversation_id":"c","sender_id":"u","content":"x","created_at":"2026-11-22T10:00:00Z"}}`,
			want:  domain.Message{ID: "m1", ConversationID: "c", SenderID: "u", Content: "x", Kind: domain.KindText, CreatedAt: at, Seq: 1},
		},
		{
			name:  "typing.indicator",
			frame: `{"type":"typing.indicator","payload":{"conversation_id":"c","user_id":"u2","is_typing":true}}`,
			want:  domain.TypingIndicator{ConversationID: "c", UserID: "u2", IsTyping: true},
		},
		{
			name:  "user.status",
			frame: `{"type":"user.status","payload":{"user_id":"u2","status":"away","last_seen":"2026-11-22T10:00:00Z"}}`,
			want:  domain.UserStatusUpdate{UserID: "u2", Status: domain.StatusAway, LastSeen: at},
		},
		{
			name: "conversation.update",
			frame: `{"type":"conversation.update","seq":9,"payload":{"conversation_id":"c","action":"member_added","title":"T",
				"participant_ids":["a","b"],"unread_count":7,"updated_at":"2026-11-22T10:00:00Z",
				"last_message":{"id":"m1","conversation_id":"c","sender_id":"a","content":"x","created_at":"2026-11-22T10:00:00Z"}}}`,
			want: domain.ConversationUpdate{ConversationID: "c", Action: domain.ConversationMemberAdded, Title: "T",
				ParticipantIDs: []string{"a", "b"}, UnreadCount: &seven, UpdatedAt: at, Seq: 9,
				LastMessage: &domain.Message{ID: "m1", ConversationID: "c", SenderID: "a", Content: "x", Kind: domain.KindText, CreatedAt: at}},
		},
		{
			name:  "message.read",
			frame: `{"type":"message.read","seq":3,"payload":{"conversation_id":"c","user_id":"u2","message_id":"m1","read_at":"2026-11-22T10:00:00Z"}}`,
			want:  domain.ReadReceipt{ConversationID: "c", UserID: "u2", MessageID: "m1", ReadAt: at, Seq: 3},
		},
		{
			name: "call.incoming",
			frame: `{"type":"call.incoming","seq":4,"payload":{"call_id":"k","conversation_id":"c","caller_id":"a",
				"callee_ids":["b"],"media":"video","created_at":"2026-11-22T10:00:00Z"}}`,
			want: domain.CallEvent{Kind: domain.CallIncoming, CallID: "k", ConversationID: "c", CallerID: "a",
				CalleeIDs: []string{"b"}, Media: domain.MediaVideo, CreatedAt: at, Seq: 4},
		},
		{
			name:  "call.ended",
			frame: `{"type":"call.ended","seq":6,"payload":{"call_id":"k","ended_by":"a","reason":"hangup","duration_ms":1500}}`,
			want:  domain.CallEvent{Kind: domain.CallEnded, CallID: "k", EndedBy: "a", Reason: "hangup", Duration: 1500 * time.Millisecond, Seq: 6},
		},
		{
			name:  "call.offer keeps the sdp verbatim",
			frame: `{"type":"call.offer","seq":8,"payload":{"call_id":"k","from":"a","to":"b","sdp":{"type":"offer","sdp":"v=0"}}}`,
			want:  domain.CallEvent{Kind: domain.CallOffer, CallID: "k", From: "a", To: "b", Signal: []byte(`{"type":"offer","sdp":"v=0"}`), Seq: 8},
		},
		{
			name:  "call.ice_candidate",
			frame: `{"type":"call.ice_candidate","payload":{"call_id":"k","from":"a","to":"b","candidate":{"candidate":"c1"}}}`,
			want:  domain.CallEvent{Kind: domain.CallICECandidate, CallID: "k", From: "a", To: "b", Signal: []byte(`{"candidate":"c1"}`)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := decodeFrame(StdCodec(), []byte(tt.frame))
			if err != nil {
				t.Fatalf("decodeFrame: %v", err)
			}
			if !reflect.DeepEqual(d.event, tt.want) {
				t.Errorf("event\n got %#v\nwant %#v", d.event, tt.want)
			}
		})
	}
}

func TestDecodeFrameControlFrames(t *testing.T) {
	d, err := decodeFrame(StdCodec(), []byte(`{"type":"session.ready","payload":{"user_id":"u","session_id":"s","heartbeat_interval_ms":15000,"max_frame_bytes":65536,"last_seq":41}}`))
	if err != nil || d.ready == nil {
		t.Fatalf("session.ready: %v %+v", err, d)
	}
	if *d.ready != (wireSessionReady{UserID: "u", SessionID: "s", HeartbeatIntervalMS: 15000, MaxFrameBytes: 65536, LastSeq: 41}) {
		t.Errorf("session.ready = %+v", *d.ready)
	}
	d, err = decodeFrame(StdCodec(), []byte(`{"type":"sync.done","payload":{"replayed":3,"complete":false}}`))
	if err != nil || d.syncDone == nil || *d.syncDone != (wireSyncDone{Replayed: 3, Complete: false}) {
		t.Errorf("sync.done: %v %+v", err, d.syncDone)
	}
	d, err = decodeFrame(StdCodec(), []byte(`{"type":"error","payload":{"code":"forbidden","message":"not a member","ref":"c1"}}`))
	if err != nil || d.srvErr == nil || *d.srvErr != (domain.ServerError{Code: "forbidden", Message: "not a member", Ref: "c1"}) {
		t.Errorf("error: %v %+v", err, d.srvErr)
	}
	for _, f := range []string{`{"type":"pong","payload":{}}`, `{"type":"future.thing","payload":{"x":1}}`, `{"type":"call.unknown","payload":{}}`} {
		d, err := decodeFrame(StdCodec(), []byte(f))
		if err != nil || d.event != nil || d.ready != nil || d.syncDone != nil || d.srvErr != nil {
			t.Errorf("%s: want no value and no error, got %v %+v", f, err, d)
		}
	}
}

func TestDecodeFrameRejectsBadInput(t *testing.T) {
	tests := []struct {
		name, frame, wantType string
	}{
		{"not json", `{"type":`, ""},
		{"invalid utf-8 is still json text", "\xff\xfe", ""},
		{"no type", `{"payload":{}}`, ""},
		{"type of the wrong kind", `{"type":5,"payload":{}}`, ""},
		{"negative seq", `{"type":"chat.message","seq":-1,"payload":{}}`, "chat.message"},
		{"seq overflows int64", `{"type":"chat.message","seq":99999999999999999999,"payload":{}}`, ""},
		{"missing payload", `{"type":"chat.message","seq":1}`, "chat.message"},
		{"payload not an object", `{"type":"chat.message","seq":1,"payload":"x"}`, "chat.message"},
		{"missing id", `{"type":"chat.message","seq":1,"payload":{"conversation_id":"c","sender_id":"u"}}`, "chat.message"},
		{"content of the wrong type", `{"type":"chat.message","seq":1,"payload":{"id":"m","conversation_id":"c","sender_id":"u","content":5}}`, "chat.message"},
		{"bad timestamp", `{"type":"chat.message","seq":1,"payload":{"id":"m","conversation_id":"c","sender_id":"u","created_at":"yesterday"}}`, "chat.message"},
		{"is_typing as a string", `{"type":"typing.indicator","payload":{"conversation_id":"c","user_id":"u","is_typing":"yes"}}`, "typing.indicator"},
		{"read without message id", `{"type":"message.read","seq":2,"payload":{"conversation_id":"c","user_id":"u"}}`, "message.read"},
		{"update with a bad last message", `{"type":"conversation.update","seq":2,"payload":{"conversation_id":"c","action":"updated","last_message":{"id":"m"}}}`, "conversation.update"},
		{"call without call id", `{"type":"call.accepted","seq":2,"payload":{"user_id":"u"}}`, "call.accepted"},
		{"error without code", `{"type":"error","payload":{"message":"x"}}`, "error"},
		{"unread count as a string", `{"type":"conversation.update","seq":2,"payload":{"conversation_id":"c","action":"updated","unread_count":"7"}}`, "conversation.update"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := decodeFrame(StdCodec(), []byte(tt.frame))
			var de *domain.DecodeError
			if !errors.As(err, &de) || !errors.Is(err, domain.ErrMalformed) {
				t.Fatalf("err = %v, want a *domain.DecodeError matching ErrMalformed", err)
			}
			if de.Type != tt.wantType {
				t.Errorf("DecodeError.Type = %q, want %q", de.Type, tt.wantType)
			}
		})
	}
}

func TestSessionMergesReplayWithLiveFrames(t *testing.T) {
	ss := newSession(domain.Position{})
	ss.begin(1, &wireSessionReady{UserID: "u", LastSeq: 10})
	if ss.accept(10) || !ss.accept(11) || ss.accept(11) {
		t.Fatal("live frames: want 10 rejected, 11 accepted once")
	}
	d, status, _ := ss.begin(2, &wireSessionReady{UserID: "u", LastSeq: 20})
	if !d.sync || d.since != 11 || status != domain.Syncing {
		t.Fatalf("reconnect: decision %+v status %v, want a sync since 11", d, status)
	}
	// A live frame overtakes the replay, then the replay arrives, including it again.
	for _, c := range []struct {
		seq  int64
		want bool
	}{{15, true}, {12, true}, {13, true}, {14, true}, {15, false}, {11, false}} {
		if got := ss.accept(c.seq); got != c.want {
			t.Errorf("during sync accept(%d) = %v, want %v", c.seq, got, c.want)
		}
	}
	// The connection drops mid-sync: the next sync asks from the same since.
	if again, _, _ := ss.begin(3, &wireSessionReady{UserID: "u", LastSeq: 20}); again.since != d.since {
		t.Errorf("interrupted sync restarted from %d, want %d", again.since, d.since)
	}
	ss.endSync()
	if ss.accept(14) || !ss.accept(16) {
		t.Error("after sync: want 14 rejected, 16 accepted")
	}
}

func TestSessionEpochChangeSyncsTheNewHistoryFromZero(t *testing.T) {
	ss := newSession(domain.Position{})
	ss.begin(1, &wireSessionReady{UserID: "u", LastSeq: 40, Epoch: "e1"})
	ss.accept(41)
	d, status, _ := ss.begin(2, &wireSessionReady{UserID: "u", LastSeq: 3, Epoch: "e2"})
	if !d.sync || d.since != 0 || d.epoch != "e2" || status != domain.Syncing {
		t.Fatalf("decision %+v status %v, want sync since 0 in e2", d, status)
	}
	if !ss.accept(1) || !ss.accept(2) || ss.accept(2) {
		t.Error("the new epoch's events: want 1 and 2 accepted once")
	}
	if got := ss.sync.outcome(true); got != domain.SyncIncomplete {
		t.Errorf("outcome after an epoch change = %v, want incomplete", got)
	}
	// No epoch from a server that never sent one: the last_seq rule.
	old := newSession(domain.Position{})
	old.begin(1, &wireSessionReady{UserID: "u", LastSeq: 40})
	if d, status, _ := old.begin(2, &wireSessionReady{UserID: "u", LastSeq: 3}); d.sync || status != domain.SyncIncomplete || old.high != 3 {
		t.Errorf("last_seq went backwards: decision %+v status %v high %d, want no sync, incomplete, high 3", d, status, old.high)
	}
}

func TestSessionRejectsAbsurdJumps(t *testing.T) {
	ss := newSession(domain.Position{})
	ss.begin(1, &wireSessionReady{UserID: "u", LastSeq: 10})
	if ss.plausible(1<<63 - 1) {
		t.Error("seq 2^63-1 after 10 is plausible")
	}
	if !ss.plausible(11) || !ss.plausible(10+maxSeqJump) {
		t.Error("ordinary seqs are implausible")
	}
	ss.announced = 5_000_000 // a long absence: session.ready says the server is far ahead
	if !ss.plausible(5_000_001) {
		t.Error("a seq just past the announced last_seq is implausible")
	}
}

// An event a server sends out of order outside a sync still arrives once,
// and a reconnect syncs from before the oldest one still missing.
func TestSessionFillsGapsOnce(t *testing.T) {
	ss := newSession(domain.Position{})
	ss.begin(1, &wireSessionReady{UserID: "u"})
	for _, c := range []struct {
		seq  int64
		want bool
	}{{1, true}, {4, true}, {3, true}, {3, false}, {4, false}, {1, false}} {
		if got := ss.accept(c.seq); got != c.want {
			t.Errorf("accept(%d) = %v, want %v", c.seq, got, c.want)
		}
	}
	d, _, _ := ss.begin(2, &wireSessionReady{UserID: "u", LastSeq: 5})
	if d.since != 1 {
		t.Fatalf("sync since %d, want 1: seq 2 is still missing", d.since)
	}
	for _, c := range []struct {
		seq  int64
		want bool
	}{{2, true}, {3, false}, {4, false}, {5, true}, {2, false}} {
		if got := ss.accept(c.seq); got != c.want {
			t.Errorf("replay accept(%d) = %v, want %v", c.seq, got, c.want)
		}
	}
}
