package presentation

import (
	"testing"

	"github.com/chatwire/chatwire/domain"
	"github.com/chatwire/chatwire/domain/domaintest"
)

// Every signal names the call's conversation: the Pusher backend whispers
// call signals on the conversation's channel and refuses one without it.
func TestCallSignalsNameTheConversation(t *testing.T) {
	src := newFake(t, domaintest.Options{})
	n := NewCallNotifier(src, CallOptions{})
	t.Cleanup(n.Close)
	changes := n.Changes(t.Context())

	c, err := n.Call(t.Context(), "c1", []string{"bob"}, domain.MediaVideo)
	if err != nil {
		t.Fatal(err)
	}
	src.Push(domain.CallEvent{Kind: domain.CallAccepted, CallID: c.ID, UserID: "bob"})
	waitFor(t, changes, "active", func(c Call) bool { return c.Phase == CallActive })
	if err := n.Signal(t.Context(), domain.SignalOffer, "bob", []byte(`{"sdp":"v=0"}`)); err != nil {
		t.Fatal(err)
	}
	if err := n.Hangup(t.Context(), c.ID); err != nil {
		t.Fatal(err)
	}
	src.Push(domain.CallEvent{Kind: domain.CallIncoming, CallID: "k2", ConversationID: "c2", CallerID: "carol", CalleeIDs: []string{me}})
	waitFor(t, changes, "incoming", func(c Call) bool { return c.ID == "k2" && c.Phase == CallIncomingRinging })
	if err := n.Accept(t.Context(), "k2"); err != nil {
		t.Fatal(err)
	}
	want := []struct {
		kind domain.CallSignalKind
		conv string
	}{{domain.SignalInvite, "c1"}, {domain.SignalOffer, "c1"}, {domain.SignalEnd, "c1"}, {domain.SignalAccept, "c2"}}
	sent := src.Sent()
	if len(sent) != len(want) {
		t.Fatalf("sent %v", sent)
	}
	for i, w := range want {
		if s := sent[i].Signal; s.Kind != w.kind || s.ConversationID != w.conv {
			t.Fatalf("signal %d = %s in %q, want %s in %q", i, s.Kind, s.ConversationID, w.kind, w.conv)
		}
	}
}

// Accept succeeds when the server's echo made the call active, and the
// peer hung up, before the accept's send returned: the call was answered.
func TestAcceptSucceedsWhenTheAnsweredCallEndedMeanwhile(t *testing.T) {
	src := newFake(t, domaintest.Options{Answer: domaintest.Hang})
	n := NewCallNotifier(src, CallOptions{})
	t.Cleanup(n.Close)
	changes := n.Changes(t.Context())
	src.Push(domain.CallEvent{Kind: domain.CallIncoming, CallID: "k1", ConversationID: "c1", CallerID: "bob", CalleeIDs: []string{me}})
	waitFor(t, changes, "ringing", func(c Call) bool { return c.Phase == CallIncomingRinging })
	done := make(chan error, 1)
	go func() { done <- n.Accept(t.Context(), "k1") }()
	send := nextSend(t, src)
	src.Push(domain.CallEvent{Kind: domain.CallAccepted, CallID: "k1", UserID: me})
	waitFor(t, changes, "active", func(c Call) bool { return c.Phase == CallActive })
	src.Push(domain.CallEvent{Kind: domain.CallEnded, CallID: "k1", EndedBy: "bob"})
	waitFor(t, changes, "ended", func(c Call) bool { return c.Phase == CallEnded })
	send.Confirm()
	if err := <-done; err != nil {
		t.Fatalf("Accept = %v, want nil: the call was answered", err)
	}
}
