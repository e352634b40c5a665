package chattest

import (
	"testing"
	"time"
)

func TestReadReceiptsAndUnreadCounts(t *testing.T) {
	srv, fc := newTestServer(t, Options{})
	mustNil(t, srv.CreateConversation("c1", "", "alice", "bob"))
	var ids []string
	for _, s := range []string{"one", "two", "three"} {
		m, err := srv.Post(Message{ConversationID: "c1", SenderID: "bob", Content: s})
		mustNil(t, err)
		ids = append(ids, m.ID)
	}
	_, err := srv.Post(Message{ConversationID: "c1", SenderID: "alice", Content: "mine"})
	mustNil(t, err)
	if n, _ := srv.UnreadCount("c1", "alice"); n != 3 {
		t.Fatalf("alice unread %d, want 3 (her own message does not count)", n)
	}
	if n, _ := srv.UnreadCount("c1", "bob"); n != 1 {
		t.Fatalf("bob unread %d, want 1", n)
	}

	a1 := connect(t, srv, "alice")
	a2 := connect(t, srv, "alice")
	bob := connect(t, srv, "bob")
	fc.Advance(time.Second)

	a1.send(TypeMessageRead, map[string]any{"conversation_id": "c1", "message_id": ids[1]})
	for _, c := range []*client{a1, a2, bob} {
		f := c.expect(TypeMessageRead)
		raw := fields(t, f)
		if raw["conversation_id"] != "c1" || raw["user_id"] != "alice" || raw["message_id"] != ids[1] || raw["read_at"] != "2026-03-04T05:06:08Z" {
			t.Errorf("message.read %s", f.Payload)
		}
		if f.Seq == 0 {
			t.Error("message.read without seq")
		}
	}
	for _, c := range []*client{a1, a2} {
		f := c.expect(TypeConversationUpdate)
		u := payloadOf[conversationUpdatePayload](t, f)
		if u.ConversationID != "c1" || u.Action != "updated" || u.UnreadCount == nil || *u.UnreadCount != 1 {
			t.Errorf("reader's conversation.update %s", f.Payload)
		}
		if u.LastMessage == nil || u.LastMessage.Content != "mine" {
			t.Errorf("last_message %+v", u.LastMessage)
		}
	}
	bob.quiet() // the unread update is the reader's alone
	if n, _ := srv.UnreadCount("c1", "alice"); n != 1 {
		t.Errorf("alice unread %d, want 1", n)
	}

	// Reading an older message does not move the marker back.
	a1.send(TypeMessageRead, map[string]any{"conversation_id": "c1", "message_id": ids[0]})
	a1.expect(TypeMessageRead)
	if u := payloadOf[conversationUpdatePayload](t, a1.expect(TypeConversationUpdate)); *u.UnreadCount != 1 {
		t.Errorf("unread after reading an older message: %d", *u.UnreadCount)
	}
	a1.send(TypeMessageRead, map[string]any{"conversation_id": "c1", "message_id": ids[2]})
	a1.expect(TypeMessageRead)
	if u := payloadOf[conversationUpdatePayload](t, a1.expect(TypeConversationUpdate)); *u.UnreadCount != 0 {
		t.Errorf("unread after reading the last message: %d", *u.UnreadCount)
	}
	if _, err := srv.UnreadCount("c1", "zed"); err == nil {
		t.Error("UnreadCount of a non-member succeeded")
	}
}

func TestConversationUpdates(t *testing.T) {
	srv, fc := newTestServer(t, Options{})
	alice := connect(t, srv, "alice")
	bob := connect(t, srv, "bob")
	carol := connect(t, srv, "carol")

	mustNil(t, srv.CreateConversation("c1", "Team", "alice", "bob"))
	for _, c := range []*client{alice, bob} {
		f := c.expect(TypeConversationUpdate)
		raw := fields(t, f)
		if raw["conversation_id"] != "c1" || raw["action"] != "created" || raw["title"] != "Team" ||
			raw["unread_count"] != 0.0 || raw["updated_at"] != "2026-03-04T05:06:07Z" || raw["last_message"] != nil {
			t.Errorf("created %s", f.Payload)
		}
		if ids := payloadOf[conversationUpdatePayload](t, f).ParticipantIDs; len(ids) != 2 || ids[0] != "alice" || ids[1] != "bob" {
			t.Errorf("participant_ids %v", ids)
		}
	}
	carol.quiet()

	_, err := srv.Post(Message{ConversationID: "c1", SenderID: "alice", Content: "before carol"})
	mustNil(t, err)
	alice.expect(TypeChatMessage)
	bob.expect(TypeChatMessage)

	fc.Advance(time.Second)
	mustNil(t, srv.AddMember("c1", "carol"))
	for _, c := range []*client{alice, bob, carol} {
		u := payloadOf[conversationUpdatePayload](t, c.expect(TypeConversationUpdate))
		if u.Action != "member_added" || len(u.ParticipantIDs) != 3 || u.LastMessage == nil || u.LastMessage.Content != "before carol" || !u.UpdatedAt.Equal(t0.Add(time.Second)) {
			t.Errorf("member_added %+v", u)
		}
	}
	if n, _ := srv.UnreadCount("c1", "carol"); n != 0 {
		t.Errorf("a new member starts with %d unread", n)
	}

	mustNil(t, srv.RenameConversation("c1", "Team 2"))
	for _, c := range []*client{alice, bob, carol} {
		if u := payloadOf[conversationUpdatePayload](t, c.expect(TypeConversationUpdate)); u.Action != "updated" || u.Title != "Team 2" {
			t.Errorf("updated %+v", u)
		}
	}

	mustNil(t, srv.RemoveMember("c1", "bob"))
	for _, c := range []*client{alice, bob, carol} {
		u := payloadOf[conversationUpdatePayload](t, c.expect(TypeConversationUpdate))
		if u.Action != "member_removed" || len(u.ParticipantIDs) != 2 {
			t.Errorf("member_removed %+v", u)
		}
		if (c == bob) != (u.UnreadCount == nil) {
			t.Errorf("unread_count %v for %s", u.UnreadCount, c.ready.UserID)
		}
	}
	bob.send(TypeChatMessage, map[string]any{"client_id": "x", "conversation_id": "c1", "content": "still here?"})
	if e := payloadOf[errorPayload](t, bob.expect(TypeError)); e.Code != CodeForbidden || e.Ref != "x" {
		t.Errorf("removed member sends: %+v", e)
	}

	mustNil(t, srv.DeleteConversation("c1"))
	for _, c := range []*client{alice, carol} {
		f := c.expect(TypeConversationUpdate)
		if raw := fields(t, f); raw["action"] != "deleted" || raw["conversation_id"] != "c1" || len(raw) != 3 {
			t.Errorf("deleted %s", f.Payload)
		}
	}
	bob.quiet()

	// Errors of the management API.
	tests := []struct {
		name string
		err  error
		want error
	}{
		{"create empty id", srv.CreateConversation("", "x"), ErrInvalid},
		{"create twice", func() error { _ = srv.CreateConversation("c2", "", "alice"); return srv.CreateConversation("c2", "") }(), ErrExists},
		{"add to missing", srv.AddMember("nope", "alice"), ErrNotFound},
		{"add twice", srv.AddMember("c2", "alice"), ErrExists},
		{"remove non-member", srv.RemoveMember("c2", "bob"), ErrNotFound},
		{"rename missing", srv.RenameConversation("nope", "x"), ErrNotFound},
		{"delete missing", srv.DeleteConversation("nope"), ErrNotFound},
		{"post to missing", func() error {
			_, err := srv.Post(Message{ConversationID: "nope", SenderID: "a", Content: "x"})
			return err
		}(), ErrNotFound},
		{"post empty", func() error { _, err := srv.Post(Message{ConversationID: "c2", SenderID: "alice"}); return err }(), ErrInvalid},
		{"messages of missing", func() error { _, err := srv.Messages("nope"); return err }(), ErrNotFound},
	}
	for _, tt := range tests {
		if !errorsIs(tt.err, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, tt.err, tt.want)
		}
	}
}
