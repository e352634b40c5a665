package presentation

import (
	"testing"
	"time"

	"github.com/chatwire/chatwire/domain"
	"github.com/chatwire/chatwire/domain/domaintest"
)

// seqMsg is a message from bob numbered seq by the server.
func seqMsg(id string, seq int64) domain.Message {
	m := msg(id, "c1", "bob", time.Duration(seq)*time.Second)
	m.Seq = seq
	return m
}

// seqCount is the server's unread count for c1 as of seq.
func seqCount(count int, seq int64) domain.ConversationUpdate {
	return domain.ConversationUpdate{ConversationID: "c1", Action: domain.ConversationUpdated, UnreadCount: unread(count), Seq: seq}
}

// The server's count is as of its update's seq, and updates and messages
// come on two streams: whichever the notifier handles first, the count
// ends up the server's plus the messages after it, each once.
func TestUnreadCountAsOfTheUpdatesSeq(t *testing.T) {
	cases := []struct {
		name  string
		steps []domain.Event // each handled before the next is pushed
		want  int
	}{
		// bob's m5 is in the server's count of 1 as of seq 6, but the
		// count is handled first.
		{"message in the count handled after it", []domain.Event{seqCount(1, 6), seqMsg("m5", 5)}, 1},
		// m7 came after the count of 1 as of seq 6, and was handled before.
		{"message after the count handled before it", []domain.Event{seqMsg("m7", 7), seqCount(1, 6)}, 2},
		// m5 is in the count of 1 and was handled before it: replaced.
		{"message in the count handled before it", []domain.Event{seqMsg("m5", 5), seqCount(1, 6)}, 1},
		{"message after the count handled after it", []domain.Event{seqCount(1, 6), seqMsg("m7", 7)}, 2},
		// Without seqs the count replaces what was counted.
		{"no seqs", []domain.Event{seqMsg("m7", 0), seqCount(1, 0)}, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			src := newFake(t, domaintest.Options{})
			n := NewConversationsNotifier(src, ConversationsOptions{UserID: me})
			defer n.Close()
			events := n.Events(t.Context())
			for _, ev := range tc.steps {
				src.Push(ev)
				nextEvent(t, events)
			}
			if c, _ := n.Value().Get("c1"); c.UnreadCount != tc.want {
				t.Fatalf("unread = %d, want %d", c.UnreadCount, tc.want)
			}
		})
	}
}

// Seqs of another session are not compared: a new epoch may number from
// 1 again, and its messages are new.
func TestUnreadCountSeqsOfAnotherSession(t *testing.T) {
	src := newFake(t, domaintest.Options{})
	n := NewConversationsNotifier(src, ConversationsOptions{UserID: me})
	defer n.Close()
	events := n.Events(t.Context())
	src.Push(seqCount(0, 40))
	nextEvent(t, events)
	src.SetState(domain.ConnectionState{Status: domain.Connected, UserID: me, SessionID: "after-a-server-restart"})
	src.Push(seqMsg("m1", 1))
	if e := nextEvent(t, events); e.Conversation.UnreadCount != 1 {
		t.Fatalf("unread = %d, want 1: a message numbered in a new session counts", e.Conversation.UnreadCount)
	}
}
