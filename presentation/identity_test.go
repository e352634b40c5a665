package presentation

import (
	"testing"

	"github.com/chatwire/chatwire/domain"
	"github.com/chatwire/chatwire/domain/domaintest"
)

// Issue 13, defect 1: a message is its server id, or its sender and client
// id. Client ids are made by each sender's SDK, so another user may use
// mine: their message must not replace my send, nor make it refused.

func TestMessagesOthersClientIDDoesNotReplaceMySend(t *testing.T) {
	src := newFake(t, domaintest.Options{Answer: domaintest.Hang})
	n := NewMessagesNotifier(src, MessagesOptions{})
	t.Cleanup(n.Close)
	changes := n.Changes(t.Context())

	sent := make(chan Message, 1)
	go func() {
		m, _ := n.Send(t.Context(), domain.MessageDraft{ConversationID: "c1", Content: "mine", ClientID: "dup"})
		sent <- m
	}()
	send := nextSend(t, src)
	src.Push(domain.Message{ID: "b1", ClientID: "dup", ConversationID: "c1", SenderID: "bob", Content: "bob's", CreatedAt: t0})
	v := waitFor(t, changes, "bob's message beside mine", func(s Messages) bool { return len(s.In("c1")) == 2 })
	for _, m := range v.In("c1") {
		switch m.SenderID {
		case me:
			if m.Status != MessageSending || m.Content != "mine" || m.ID != "" {
				t.Fatalf("my message became %+v", m)
			}
		case "bob":
			if m.Status != MessageSent || m.ID != "b1" {
				t.Fatalf("bob's message is %+v", m)
			}
		default:
			t.Fatalf("unexpected %+v", m)
		}
	}

	send.Confirm()
	got := <-sent
	if got.Status != MessageSent || got.ID != "m-1" || got.Content != "mine" {
		t.Fatalf("Send returned %+v", got)
	}
	v = waitFor(t, changes, "my message confirmed", func(s Messages) bool {
		return len(s.In("c1")) == 2 && s.In("c1")[0].ID != "" && s.In("c1")[1].ID != ""
	})
	ids := map[string]string{}
	for _, m := range v.In("c1") {
		ids[m.SenderID] = m.ID
	}
	if ids[me] != "m-1" || ids["bob"] != "b1" {
		t.Fatalf("after confirmation: %+v", v.In("c1"))
	}
}

func TestMessagesSendNotRefusedForAClientIDSomeoneElseUsed(t *testing.T) {
	src := newFake(t, domaintest.Options{})
	n := NewMessagesNotifier(src, MessagesOptions{})
	t.Cleanup(n.Close)
	changes := n.Changes(t.Context())
	src.Push(domain.Message{ID: "b1", ClientID: "dup", ConversationID: "c1", SenderID: "bob", CreatedAt: t0})
	waitFor(t, changes, "bob's message", func(s Messages) bool { return len(s.In("c1")) == 1 })

	m, err := n.Send(t.Context(), domain.MessageDraft{ConversationID: "c1", Content: "mine", ClientID: "dup"})
	if err != nil {
		t.Fatalf("Send refused: %v", err)
	}
	if m.SenderID != me || m.Status != MessageSent {
		t.Fatalf("Send returned %+v", m)
	}
	v := waitFor(t, changes, "both messages", func(s Messages) bool { return len(s.In("c1")) == 2 })
	if v.In("c1")[0].SenderID == v.In("c1")[1].SenderID {
		t.Fatalf("one replaced the other: %+v", v.In("c1"))
	}
	// My own client id, still in my list, is refused: that is a real reuse.
	if _, err := n.Send(t.Context(), domain.MessageDraft{ConversationID: "c1", Content: "again", ClientID: "dup"}); err == nil {
		t.Fatal("a client id I already used was accepted again")
	}
}
