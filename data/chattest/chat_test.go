package chattest

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

func TestChatMessageFanOutWithEveryField(t *testing.T) {
	srv, fc := newTestServer(t, Options{})
	mustNil(t, srv.CreateConversation("c1", "Team", "alice", "bob"))
	first, err := srv.Post(Message{ConversationID: "c1", SenderID: "bob", Content: "hi"})
	mustNil(t, err)
	if first.Kind != "text" || first.ID == "" || !first.CreatedAt.Equal(t0) {
		t.Fatalf("Post returned %+v", first)
	}
	alice := connect(t, srv, "alice")
	bob := connect(t, srv, "bob")
	fc.Advance(time.Second)

	alice.send(TypeChatMessage, map[string]any{
		"client_id":       "cid-1",
		"conversation_id": "c1",
		"content":         "see attached",
		"kind":            "image",
		"reply_to":        first.ID,
		"attachments":     []map[string]any{{"url": "https://x/cat.png", "name": "cat.png", "mime": "image/png", "size": 1234}},
		"future_field":    true,
	})
	for _, c := range []*client{alice, bob} {
		f := c.expect(TypeChatMessage)
		if f.Seq <= c.ready.LastSeq {
			t.Errorf("seq %d not above last_seq %d", f.Seq, c.ready.LastSeq)
		}
		raw := fields(t, f)
		for _, k := range []string{"id", "client_id", "conversation_id", "sender_id", "content", "kind", "created_at", "reply_to", "attachments"} {
			if _, ok := raw[k]; !ok {
				t.Errorf("chat.message lacks %s: %s", k, f.Payload)
			}
		}
		if got := raw["created_at"]; got != "2026-03-04T05:06:08Z" {
			t.Errorf("created_at %v, want RFC 3339 UTC", got)
		}
		m := payloadOf[Message](t, f)
		want := Message{
			ID: m.ID, ClientID: "cid-1", ConversationID: "c1", SenderID: "alice", Content: "see attached",
			Kind: "image", CreatedAt: t0.Add(time.Second), ReplyTo: first.ID,
			Attachments: []Attachment{{URL: "https://x/cat.png", Name: "cat.png", MIME: "image/png", Size: 1234}},
		}
		if !reflect.DeepEqual(m, want) {
			t.Errorf("chat.message\n got %+v\nwant %+v", m, want)
		}
	}

	// kind defaults to text; client_id is optional and then left out.
	bob.send(TypeChatMessage, map[string]any{"conversation_id": "c1", "content": "plain"})
	f := alice.expect(TypeChatMessage)
	if raw := fields(t, f); raw["kind"] != "text" || raw["client_id"] != nil || raw["reply_to"] != nil || raw["attachments"] != nil {
		t.Errorf("defaults: %s", f.Payload)
	}
	msgs, err := srv.Messages("c1")
	mustNil(t, err)
	if len(msgs) != 3 || msgs[1].ClientID != "cid-1" || msgs[2].Content != "plain" {
		t.Errorf("stored %+v", msgs)
	}
}

func TestDedupByClientID(t *testing.T) {
	srv, _ := newTestServer(t, Options{})
	mustNil(t, srv.CreateConversation("c1", "", "alice", "bob"))
	a1 := connect(t, srv, "alice")
	a2 := connect(t, srv, "alice")
	bob := connect(t, srv, "bob")

	msg := map[string]any{"client_id": "same", "conversation_id": "c1", "content": "once"}
	a1.send(TypeChatMessage, msg)
	orig := a1.expect(TypeChatMessage)
	a2.expect(TypeChatMessage)
	bob.expect(TypeChatMessage)
	seqBefore := srv.LastSeq("alice")

	// The resend differs: the server ignores the difference and echoes the original.
	msg["content"] = "twice"
	a1.send(TypeChatMessage, msg)
	for _, c := range []*client{a1, a2} {
		f := c.expect(TypeChatMessage)
		if f.Seq != 0 {
			t.Errorf("re-echo carries seq %d; it is not a new event", f.Seq)
		}
		if string(f.Payload) != string(orig.Payload) {
			t.Errorf("re-echo %s, want original %s", f.Payload, orig.Payload)
		}
	}
	bob.quiet()
	if msgs, _ := srv.Messages("c1"); len(msgs) != 1 {
		t.Errorf("stored %d messages, want 1", len(msgs))
	}
	if srv.LastSeq("alice") != seqBefore {
		t.Error("a resend took a seq")
	}
	// Another sender may reuse the same client_id.
	bob.send(TypeChatMessage, msg)
	if m := payloadOf[Message](t, a1.expect(TypeChatMessage)); m.SenderID != "bob" || m.Content != "twice" {
		t.Errorf("bob's message with alice's client_id: %+v", m)
	}
	// Post dedups the same way.
	again, err := srv.Post(Message{ConversationID: "c1", SenderID: "alice", ClientID: "same", Content: "x"})
	mustNil(t, err)
	if again.Content != "once" {
		t.Errorf("Post with a used client_id returned %+v", again)
	}
}

func TestSeqIncreasesAcrossConnections(t *testing.T) {
	srv, _ := newTestServer(t, Options{})
	mustNil(t, srv.CreateConversation("c1", "", "alice", "bob"))
	a1 := connect(t, srv, "alice")
	a2 := connect(t, srv, "alice")
	bob := connect(t, srv, "bob")

	// Replayable events of every origin: alice's own sends, bob's sends,
	// reads, server-side changes, calls.
	a1.send(TypeChatMessage, map[string]any{"conversation_id": "c1", "content": "1"})
	bob.send(TypeChatMessage, map[string]any{"conversation_id": "c1", "content": "2"})
	a2.send(TypeChatMessage, map[string]any{"conversation_id": "c1", "content": "3"})
	mustNil(t, srv.RenameConversation("c1", "renamed"))
	bob.send(TypeCallInvite, map[string]any{"call_id": "k1", "conversation_id": "c1", "callee_ids": []string{"alice"}, "media": "audio"})

	// Both connections see the same 5 events with the same strictly
	// increasing seqs, continuing from session.ready's last_seq.
	var got [2][]Frame
	for i, c := range []*client{a1, a2} {
		for len(got[i]) < 5 {
			if f := c.next(); f.Seq != 0 {
				got[i] = append(got[i], f)
			}
		}
	}
	types := map[string]int{}
	for i := range 5 {
		f1, f2 := got[0][i], got[1][i]
		if f1.Seq != a1.ready.LastSeq+int64(i)+1 {
			t.Errorf("event %d: seq %d, want %d", i, f1.Seq, a1.ready.LastSeq+int64(i)+1)
		}
		if f1.Seq != f2.Seq || string(f1.Payload) != string(f2.Payload) {
			t.Errorf("event %d differs between connections: %d %s / %d %s", i, f1.Seq, f1.Payload, f2.Seq, f2.Payload)
		}
		types[f1.Type]++
	}
	if want := map[string]int{TypeChatMessage: 3, TypeConversationUpdate: 1, TypeCallIncoming: 1}; !reflect.DeepEqual(types, want) {
		t.Errorf("event types %v, want %v", types, want)
	}
	if last := srv.LastSeq("alice"); last != got[0][4].Seq {
		t.Errorf("LastSeq %d, want %d", last, got[0][4].Seq)
	}
	// History holds the same events, message ids included.
	var hist []Replayable
	for _, r := range srv.History("alice") {
		if r.Seq >= got[0][0].Seq {
			hist = append(hist, r)
		}
	}
	if len(hist) != 5 {
		t.Fatalf("History has %d of the 5 events: %+v", len(hist), hist)
	}
	for i, r := range hist {
		var p struct{ ID string }
		_ = json.Unmarshal(got[0][i].Payload, &p)
		wantID := ""
		if got[0][i].Type == TypeChatMessage {
			wantID = p.ID
		}
		if r.Seq != got[0][i].Seq || r.Type != got[0][i].Type || r.MessageID != wantID || (r.Type == TypeChatMessage && wantID == "") {
			t.Errorf("History[%d] = %+v, want seq %d %s id %q", i, r, got[0][i].Seq, got[0][i].Type, wantID)
		}
	}
}
