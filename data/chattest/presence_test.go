package chattest

import (
	"testing"
	"time"
)

func TestPresence(t *testing.T) {
	srv, fc := newTestServer(t, Options{})
	mustNil(t, srv.CreateConversation("c1", "", "alice", "bob"))
	mustNil(t, srv.CreateConversation("c2", "", "carol", "dave")) // shares nothing with alice or bob

	alice := connect(t, srv, "alice")
	carol := connect(t, srv, "carol")
	alice.quiet() // nobody alice knows is online yet

	// bob's first connection: alice is told; bob learns alice is online.
	b1 := connect(t, srv, "bob")
	if s := payloadOf[userStatusPayload](t, alice.expect(TypeUserStatus)); s.UserID != "bob" || s.Status != "online" || s.LastSeen != nil {
		t.Errorf("alice got %+v", s)
	}
	if f := b1.next(); f.Type != TypeUserStatus {
		t.Errorf("bob's frame after session.ready: %s", f.Type)
	} else if s := fields(t, f); s["user_id"] != "alice" || s["status"] != "online" {
		t.Errorf("bob's snapshot %v", s)
	}

	// bob's second connection says nothing new to alice.
	b2 := connect(t, srv, "bob")
	b2.expect(TypeUserStatus) // the snapshot
	alice.quiet()

	// Closing one of two connections: still online.
	_ = b1.ws.Close()
	waitFor(t, "bob's first connection to end", func() bool { return srv.Connections("bob") == 1 })
	alice.quiet()

	// The last one: offline, with last_seen on the server clock.
	fc.Advance(time.Minute)
	_ = b2.ws.Close()
	f := alice.expect(TypeUserStatus)
	raw := fields(t, f)
	if raw["user_id"] != "bob" || raw["status"] != "offline" || raw["last_seen"] != "2026-03-04T05:07:07Z" {
		t.Errorf("offline frame %s", f.Payload)
	}
	if f.Seq != 0 {
		t.Error("user.status carries a seq; it is not replayable")
	}
	if got := srv.LastSeen("bob"); !got.Equal(t0.Add(time.Minute)) {
		t.Errorf("LastSeen %v", got)
	}
	for _, fr := range carol.barrier() {
		t.Errorf("carol, who shares no conversation, got %s %s", fr.Type, fr.Payload)
	}
}

func TestTypingRelay(t *testing.T) {
	srv, _ := newTestServer(t, Options{})
	mustNil(t, srv.CreateConversation("c1", "", "alice", "bob", "carol"))
	a1 := connect(t, srv, "alice")
	a2 := connect(t, srv, "alice")
	bob := connect(t, srv, "bob")
	carol := connect(t, srv, "carol")

	for _, typing := range []bool{true, false} {
		a1.send(TypeTypingIndicator, map[string]any{"conversation_id": "c1", "is_typing": typing})
		for _, c := range []*client{bob, carol} {
			f := c.expect(TypeTypingIndicator)
			raw := fields(t, f)
			if raw["conversation_id"] != "c1" || raw["user_id"] != "alice" || raw["is_typing"] != typing || len(raw) != 3 {
				t.Errorf("typing frame %s", f.Payload)
			}
			if f.Seq != 0 {
				t.Error("typing.indicator carries a seq")
			}
		}
	}
	// Never to the sender, not even to the sender's other connection.
	a1.quiet()
	a2.quiet()
	// Not replayable.
	bob.send(TypeSync, map[string]any{"since": bob.ready.LastSeq})
	if d := payloadOf[syncDonePayload](t, bob.expect(TypeSyncDone)); d.Replayed != 0 {
		t.Errorf("typing was replayed: %+v", d)
	}
}
