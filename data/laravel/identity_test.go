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
