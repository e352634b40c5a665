package presentation

import (
	"errors"
	"testing"

	"github.com/chatwire/chatwire/domain"
	"github.com/chatwire/chatwire/domain/domaintest"
)

// Issue 13, defect 2: after message.read the server sends its own
// conversation.update with the new unread_count, often before the send
// has returned. The server's count wins over the notifier's local reset.

func threeFromBob(t *testing.T, src *domaintest.Source, changes <-chan Conversations) {
	t.Helper()
	for _, id := range []string{"m1", "m2", "m3"} {
		src.Push(domain.Message{ID: id, ConversationID: "c1", SenderID: "bob", Content: id, CreatedAt: t0})
	}
	waitFor(t, changes, "three unread", func(c Conversations) bool { x, _ := c.Get("c1"); return x.UnreadCount == 3 })
}

// withThreeUnread returns a conversations notifier whose c1 holds three
// unread messages from bob, over a fake that answers sends with answer.
func withThreeUnread(t *testing.T, answer domaintest.Answerer) (*domaintest.Source, *ConversationsNotifier, <-chan Conversations) {
	t.Helper()
	src := newFake(t, domaintest.Options{Answer: answer})
	n := NewConversationsNotifier(src, ConversationsOptions{})
	t.Cleanup(n.Close)
	changes := n.Changes(t.Context())
	threeFromBob(t, src, changes)
	return src, n, changes
}

// markReadHanging starts MarkRead, which waits for the test's answer.
func markReadHanging(t *testing.T, src *domaintest.Source, n *ConversationsNotifier, messageID string) (*domaintest.Send, <-chan error) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- n.MarkRead(t.Context(), "c1", messageID) }()
	return nextSend(t, src), done
}

func unreadOf(n *ConversationsNotifier) int {
	x, _ := n.Value().Get("c1")
	return x.UnreadCount
}

func TestMarkReadServerCountArrivingFirstWins(t *testing.T) {
	src, n, changes := withThreeUnread(t, domaintest.Hang)

	send, done := markReadHanging(t, src, n, "m2") // message 2 of 3
	// The optimistic count: m3 is still unread.
	waitFor(t, changes, "the optimistic count", func(c Conversations) bool { x, _ := c.Get("c1"); return x.UnreadCount == 1 })
	// The server answers with its own count before the send returns; it
	// counts a message this notifier never saw, so it says 2.
	src.Push(domain.ConversationUpdate{ConversationID: "c1", Action: domain.ConversationUpdated, UnreadCount: intp(2)})
	waitFor(t, changes, "the server's count", func(c Conversations) bool { x, _ := c.Get("c1"); return x.UnreadCount == 2 })
	send.Confirm()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := unreadOf(n); got != 2 {
		t.Fatalf("unread after MarkRead returned = %d, want the server's 2", got)
	}
}

func TestMarkReadOfTheNewestMessageResetsAtOnce(t *testing.T) {
	src, n, changes := withThreeUnread(t, domaintest.Hang)
	send, done := markReadHanging(t, src, n, "m3")
	waitFor(t, changes, "zero unread before the answer", func(c Conversations) bool { x, _ := c.Get("c1"); return x.UnreadCount == 0 })
	src.Push(domain.Message{ID: "m4", ConversationID: "c1", SenderID: "bob", CreatedAt: t0})
	waitFor(t, changes, "m4 counted", func(c Conversations) bool { x, _ := c.Get("c1"); return x.UnreadCount == 1 })
	send.Confirm()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := unreadOf(n); got != 1 {
		t.Fatalf("unread = %d, want 1 (m4 came after the read)", got)
	}
}

func TestMarkReadFailurePutsTheCountBack(t *testing.T) {
	_, n, _ := withThreeUnread(t, domaintest.Fail(domain.ErrNotConnected))
	if err := n.MarkRead(t.Context(), "c1", "m3"); !errors.Is(err, domain.ErrNotConnected) {
		t.Fatalf("MarkRead = %v", err)
	}
	if got := unreadOf(n); got != 3 {
		t.Fatalf("unread after a failed MarkRead = %d, want 3", got)
	}
}

// A server count that came while the send was in flight is kept even
// when the send then fails: the server has spoken.
func TestMarkReadFailureKeepsAServerCount(t *testing.T) {
	src, n, changes := withThreeUnread(t, domaintest.Hang)
	send, done := markReadHanging(t, src, n, "m3")
	src.Push(domain.ConversationUpdate{ConversationID: "c1", Action: domain.ConversationUpdated, UnreadCount: intp(0)})
	src.Push(domain.Message{ID: "m4", ConversationID: "c1", SenderID: "bob", CreatedAt: t0})
	waitFor(t, changes, "server 0 then m4", func(c Conversations) bool {
		x, _ := c.Get("c1")
		return x.UnreadCount == 1 && x.LastMessage.ID == "m4"
	})
	send.Fail(domain.ErrNotConnected)
	if err := <-done; !errors.Is(err, domain.ErrNotConnected) {
		t.Fatalf("MarkRead = %v", err)
	}
	if got := unreadOf(n); got != 1 {
		t.Fatalf("unread = %d, want 1", got)
	}
}
