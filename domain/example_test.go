package domain_test

import (
	"errors"
	"fmt"

	"github.com/chatwire/chatwire/domain"
)

// Every layer checks a draft the same way before it goes anywhere.
func ExampleMessageDraft_Validate() {
	for _, d := range []domain.MessageDraft{
		{ConversationID: "general", Content: "hello"},
		{ConversationID: "general"},
		{ConversationID: "general", Content: "hi", Kind: "sticker"},
	} {
		err := d.Validate()
		fmt.Println(err, errors.Is(err, domain.ErrInvalidDraft))
	}
	// Output:
	// <nil> false
	// chatwire: invalid draft: content and attachments are both empty true
	// chatwire: invalid draft: unknown kind "sticker" true
}

func ExampleCallSignal_Validate() {
	invite := domain.CallSignal{Kind: domain.SignalInvite, CallID: "call-1", ConversationID: "general",
		CalleeIDs: []string{"bob"}, Media: domain.MediaVideo}
	offer := domain.CallSignal{Kind: domain.SignalOffer, CallID: "call-1", To: "bob", Signal: []byte(`v=0`)}
	fmt.Println(invite.Validate())
	fmt.Println(offer.Validate())
	// Output:
	// <nil>
	// chatwire: invalid draft: the offer payload is not valid json
}

// Asynchronous failures arrive on a data source's Errors stream as
// *domain.Error: the class and Fatal tell a UI whether to show a toast or
// a dialog, and errors.Is sees the cause.
func ExampleError() {
	var err error = &domain.Error{Class: domain.ClassConnection, Fatal: true, Err: domain.ErrUnauthorized}

	var de *domain.Error
	if errors.As(err, &de) && de.Fatal {
		fmt.Println("dialog:", err)
	}
	fmt.Println(errors.Is(err, domain.ErrUnauthorized))
	// Output:
	// dialog: connection: chatwire: unauthorized
	// true
}

// A UI shows the connection from a ConnectionState.
func ExampleConnectionState() {
	st := domain.ConnectionState{Status: domain.Reconnecting, Attempt: 2, Sync: domain.SyncNone}
	fmt.Printf("%s (attempt %d), catch-up: %s\n", st.Status, st.Attempt, st.Sync)
	// Output: reconnecting (attempt 2), catch-up: none
}
