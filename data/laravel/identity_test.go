package laravel

import (
	"testing"

	"github.com/chatwire/chatwire/core/pusher"
)

// Issue 12, defect 8: a message is its id, or (sender, client id) when it
// has none; never the client id alone.
func TestMessageIdentityIsNotTheClientIDAlone(t *testing.T) {
	s := newOffline(t, nil)
	ctx := testCtx(t)
	msgs := s.Messages(ctx)
	ch := "private-conversation.7"
	// Two users whose apps picked the same client id.
	s.handleFrame(frame(msgSent, ch, `{"message":{"id":"m1","client_id":"c-1","sender_id":"2","content":"from 2"}}`))
	s.handleFrame(frame(msgSent, ch, `{"message":{"id":"m2","client_id":"c-1","sender_id":"3","content":"from 3"}}`))
	// A backend that sets one client id for every message of a sender.
	s.handleFrame(frame(msgSent, ch, `{"message":{"id":"m3","client_id":"web","sender_id":"2","content":"a"}}`))
	s.handleFrame(frame(msgSent, ch, `{"message":{"id":"m4","client_id":"web","sender_id":"2","content":"b"}}`))
	// A second copy of m2 is still one message.
	s.handleFrame(frame(msgSent, "private-user.1", `{"message":{"id":"m2","client_id":"c-1","sender_id":"3","content":"from 3"}}`))
	for _, want := range []string{"m1", "m2", "m3", "m4"} {
		if m := recv(t, msgs, "message "+want); m.ID != want {
			t.Fatalf("got %s, want %s", m.ID, want)
		}
	}
	none(t, msgs, "second copy of m2")

	// The sets start empty and grow with use.
	s.mu.Lock()
	defer s.mu.Unlock()
	if n := cap(s.messageIDs.ring); n > 64 {
		t.Fatalf("message id set holds room for %d keys after 4 messages", n)
	}
	if s.messageKeys.keys != nil || s.receiptKeys.keys != nil {
		t.Fatal("unused de-duplication sets were allocated")
	}
}

// Issue 12, defect 6: a malformed member event is reported by the protocol
// client (see core/pusher TestBadFramesAreReported), not again here.
func TestMalformedMemberEventIsNotReportedTwice(t *testing.T) {
	s := newOffline(t, nil)
	ctx := testCtx(t)
	errs, st := s.Errors(ctx), s.UserStatuses(ctx)
	s.handleFrame(frame(pusher.EventMemberAdded, "presence-online", `{"user_info":{}}`))
	s.handleFrame(frame(pusher.EventSubscriptionSucceeded, "presence-online", `{"presence":{"ids":{}}}`))
	none(t, errs, "errors")
	none(t, st, "statuses")
}

func TestRecentSetForgetsTheOldest(t *testing.T) {
	r := recentSet{max: 3}
	for _, k := range []string{"a", "b", "c", "d"} {
		if !r.add(k) {
			t.Fatalf("%s not new", k)
		}
	}
	if r.has("a") || !r.has("b") || !r.has("d") || r.add("c") {
		t.Fatalf("set %v", r.keys)
	}
	if len(r.ring) != 3 {
		t.Fatalf("ring grew to %d", len(r.ring))
	}
}
