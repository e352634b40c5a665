package domain_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/chatwire/chatwire/domain"
)

func TestMessageDraftValidate(t *testing.T) {
	ok := domain.MessageDraft{ConversationID: "c1", Content: "hi"}
	cases := []struct {
		name  string
		draft domain.MessageDraft
		want  string // a part of the error; empty means valid
	}{
		{"text", ok, ""},
		{"every kind", domain.MessageDraft{ConversationID: "c1", Content: "x", Kind: domain.KindSystem}, ""},
		{"attachment only", domain.MessageDraft{ConversationID: "c1", Kind: domain.KindImage,
			Attachments: []domain.Attachment{{URL: "https://x/a.png"}}}, ""},
		{"no conversation", domain.MessageDraft{Content: "hi"}, "conversation id"},
		{"blank conversation", domain.MessageDraft{ConversationID: " \t", Content: "hi"}, "conversation id"},
		{"nothing to send", domain.MessageDraft{ConversationID: "c1"}, "content and attachments"},
		{"unknown kind", domain.MessageDraft{ConversationID: "c1", Content: "hi", Kind: "video"}, `unknown kind "video"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			checkValidation(t, c.draft.Validate(), c.want)
		})
	}
}

func TestCallSignalValidate(t *testing.T) {
	sdp := []byte(`{"type":"offer"}`)
	cases := []struct {
		name string
		sig  domain.CallSignal
		want string
	}{
		{"invite", domain.CallSignal{Kind: domain.SignalInvite, CallID: "k", ConversationID: "c", CalleeIDs: []string{"bob"}}, ""},
		{"invite video", domain.CallSignal{Kind: domain.SignalInvite, CallID: "k", ConversationID: "c", CalleeIDs: []string{"bob"}, Media: domain.MediaVideo}, ""},
		{"accept", domain.CallSignal{Kind: domain.SignalAccept, CallID: "k"}, ""},
		{"end with reason", domain.CallSignal{Kind: domain.SignalEnd, CallID: "k", Reason: "bye"}, ""},
		{"offer", domain.CallSignal{Kind: domain.SignalOffer, CallID: "k", To: "bob", Signal: sdp}, ""},
		{"no call id", domain.CallSignal{Kind: domain.SignalAccept}, "call id"},
		{"unknown kind", domain.CallSignal{Kind: "ring", CallID: "k"}, `unknown call signal "ring"`},
		{"no kind", domain.CallSignal{CallID: "k"}, "unknown call signal"},
		{"invite without conversation", domain.CallSignal{Kind: domain.SignalInvite, CallID: "k", CalleeIDs: []string{"bob"}}, "conversation id"},
		{"invite without callees", domain.CallSignal{Kind: domain.SignalInvite, CallID: "k", ConversationID: "c"}, "callee ids"},
		{"invite with an empty callee", domain.CallSignal{Kind: domain.SignalInvite, CallID: "k", ConversationID: "c", CalleeIDs: []string{"bob", ""}}, "empty callee"},
		{"invite unknown media", domain.CallSignal{Kind: domain.SignalInvite, CallID: "k", ConversationID: "c", CalleeIDs: []string{"bob"}, Media: "hologram"}, "unknown media"},
		{"answer without recipient", domain.CallSignal{Kind: domain.SignalAnswer, CallID: "k", Signal: sdp}, "recipient"},
		{"candidate without payload", domain.CallSignal{Kind: domain.SignalICECandidate, CallID: "k", To: "bob"}, "payload"},
		{"offer not json", domain.CallSignal{Kind: domain.SignalOffer, CallID: "k", To: "bob", Signal: []byte("v=0")}, "not valid json"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			checkValidation(t, c.sig.Validate(), c.want)
		})
	}
}

func checkValidation(t *testing.T, err error, want string) {
	t.Helper()
	if want == "" {
		if err != nil {
			t.Fatalf("Validate() = %v, want nil", err)
		}
		return
	}
	if !errors.Is(err, domain.ErrInvalidDraft) {
		t.Fatalf("Validate() = %v, want an error wrapping ErrInvalidDraft", err)
	}
	if !strings.Contains(err.Error(), want) {
		t.Fatalf("Validate() = %q, want it to say %q", err, want)
	}
}
