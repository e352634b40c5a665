package data_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/chatwire/chatwire/data/chattest"
	"github.com/chatwire/chatwire/domain"
)

// Every server→client frame type of docs/protocol.md reaches its typed
// stream with every field, over loopback against the reference server.
func TestEveryFrameTypeReachesItsStream(t *testing.T) {
	srv := newServer(t, chattest.Options{})
	if err := srv.CreateConversation("general", "General", "alice", "bob"); err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	alice := dial(t, srv, "alice")
	msgs, typing, statuses := alice.Messages(ctx), alice.Typing(ctx), alice.UserStatuses(ctx)
	updates, reads, calls, raw := alice.ConversationUpdates(ctx), alice.ReadReceipts(ctx), alice.Calls(ctx), alice.RawMessages(ctx)

	bob := dial(t, srv, "bob")
	online := recvWhere(t, statuses, func(u domain.UserStatusUpdate) bool { return u.UserID == "bob" })
	if online.Status != domain.StatusOnline {
		t.Errorf("bob's status = %q, want online", online.Status)
	}

	// chat.message with every field, confirmed to the sender by its echo.
	ctxSend, cancel := context.WithTimeout(ctx, waitFor)
	defer cancel()
	draft := domain.MessageDraft{ConversationID: "general", Content: "look", Kind: domain.KindImage,
		Attachments: []domain.Attachment{{URL: "https://cdn.example/cat.png", Name: "cat.png", MIME: "image/png", Size: 1234}}}
	confirmed, err := bob.SendMessage(ctxSend, draft)
	if err != nil {
		t.Fatalf("SendMessage: %v", err)
	}
	got := recv(t, msgs)
	if got.ID == "" || got.ID != confirmed.ID || got.ClientID == "" || got.ClientID != confirmed.ClientID ||
		got.SenderID != "bob" || got.ConversationID != "general" || got.Content != "look" || got.Kind != domain.KindImage ||
		got.CreatedAt.IsZero() || got.Seq == 0 || len(got.Attachments) != 1 || got.Attachments[0] != draft.Attachments[0] {
		t.Errorf("message = %+v\nconfirmed = %+v", got, confirmed)
	}
	replyTo, err := bob.SendMessage(ctxSend, domain.MessageDraft{ConversationID: "general", Content: "re", ReplyTo: got.ID})
	if err != nil {
		t.Fatal(err)
	}
	recvWhere(t, msgs, func(m domain.Message) bool { return m.ID == replyTo.ID && m.ReplyTo == got.ID })

	// typing.indicator
	if err := bob.SendTyping(ctx, "general", true); err != nil {
		t.Fatal(err)
	}
	if ti := recv(t, typing); ti != (domain.TypingIndicator{ConversationID: "general", UserID: "bob", IsTyping: true, ReceivedAt: ti.ReceivedAt}) || ti.ReceivedAt.IsZero() {
		t.Errorf("typing = %+v", ti)
	}

	// message.read reaches alice as a receipt.
	if err := bob.MarkRead(ctx, "general", got.ID); err != nil {
		t.Fatal(err)
	}
	rr := recv(t, reads)
	if rr.ConversationID != "general" || rr.UserID != "bob" || rr.MessageID != got.ID || rr.ReadAt.IsZero() || rr.Seq == 0 {
		t.Errorf("receipt = %+v", rr)
	}

	// conversation.update when a conversation is created.
	if err := srv.CreateConversation("design", "Design", "alice", "bob"); err != nil {
		t.Fatal(err)
	}
	cu := recvWhere(t, updates, func(u domain.ConversationUpdate) bool { return u.ConversationID == "design" })
	if cu.Action != domain.ConversationCreated || cu.Title != "Design" || len(cu.ParticipantIDs) != 2 || cu.Seq == 0 {
		t.Errorf("update = %+v", cu)
	}

	// call.* : invite, accept, signalling kept verbatim, end.
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(bob.SendCallSignal(ctx, domain.CallSignal{Kind: domain.SignalInvite, CallID: "call-1", ConversationID: "general", CalleeIDs: []string{"alice"}, Media: domain.MediaVideo}))
	in := recv(t, calls)
	if in.Kind != domain.CallIncoming || in.CallID != "call-1" || in.CallerID != "bob" || in.ConversationID != "general" ||
		len(in.CalleeIDs) != 1 || in.CalleeIDs[0] != "alice" || in.Media != domain.MediaVideo || in.CreatedAt.IsZero() {
		t.Errorf("incoming = %+v", in)
	}
	must(alice.SendCallSignal(ctx, domain.CallSignal{Kind: domain.SignalAccept, CallID: "call-1"}))
	acc := recvWhere(t, calls, func(e domain.CallEvent) bool { return e.Kind == domain.CallAccepted })
	if acc.UserID != "alice" {
		t.Errorf("accepted = %+v", acc)
	}
	sdp := json.RawMessage(`{"type":"offer","sdp":"v=0\r\no=- 1 2 IN IP4 127.0.0.1"}`)
	must(bob.SendCallSignal(ctx, domain.CallSignal{Kind: domain.SignalOffer, CallID: "call-1", To: "alice", Signal: sdp}))
	offer := recvWhere(t, calls, func(e domain.CallEvent) bool { return e.Kind == domain.CallOffer })
	if offer.From != "bob" || offer.To != "alice" || string(offer.Signal) != string(sdp) {
		t.Errorf("offer = %+v signal %s", offer, offer.Signal)
	}
	must(bob.SendCallSignal(ctx, domain.CallSignal{Kind: domain.SignalICECandidate, CallID: "call-1", To: "alice", Signal: json.RawMessage(`{"candidate":"candidate:1"}`)}))
	ice := recvWhere(t, calls, func(e domain.CallEvent) bool { return e.Kind == domain.CallICECandidate })
	if string(ice.Signal) != `{"candidate":"candidate:1"}` {
		t.Errorf("ice = %s", ice.Signal)
	}
	must(bob.SendCallSignal(ctx, domain.CallSignal{Kind: domain.SignalEnd, CallID: "call-1", Reason: "done"}))
	end := recvWhere(t, calls, func(e domain.CallEvent) bool { return e.Kind == domain.CallEnded })
	if end.EndedBy != "bob" || end.Reason != "done" {
		t.Errorf("ended = %+v", end)
	}

	// user.status offline with last_seen when bob leaves.
	must(bob.Close())
	off := recvWhere(t, statuses, func(u domain.UserStatusUpdate) bool { return u.UserID == "bob" && u.Status == domain.StatusOffline })
	if off.LastSeen.IsZero() {
		t.Errorf("offline without last_seen: %+v", off)
	}

	// Every frame also reached the raw stream, unknown ones included.
	srv.Inject("alice", []byte(`{"type":"future.feature","payload":{"x":1}}`))
	recvWhere(t, raw, func(f domain.RawFrame) bool { return f.Type == "future.feature" && string(f.Data) != "" })
	if h := alice.History(); len(h) == 0 {
		t.Error("History is empty")
	}
}

func TestServerErrorFailsTheSend(t *testing.T) {
	srv := newServer(t, chattest.Options{})
	if err := srv.CreateConversation("general", "", "alice", "bob"); err != nil {
		t.Fatal(err)
	}
	carol := dial(t, srv, "carol")
	ctx, cancel := context.WithTimeout(t.Context(), waitFor)
	defer cancel()
	_, err := carol.SendMessage(ctx, domain.MessageDraft{ConversationID: "general", Content: "let me in"})
	var se *domain.ServerError
	if !errors.As(err, &se) || se.Code != domain.CodeForbidden && se.Code != domain.CodeNotFound {
		t.Fatalf("err = %v, want a forbidden/not_found *domain.ServerError", err)
	}
}

func TestInvalidDraftsFailBeforeSending(t *testing.T) {
	srv := newServer(t, chattest.Options{MaxFrameBytes: 512})
	if err := srv.CreateConversation("general", "", "alice"); err != nil {
		t.Fatal(err)
	}
	alice := dial(t, srv, "alice")
	raw := alice.RawMessages(t.Context())
	for _, d := range []struct {
		draft domain.MessageDraft
		want  error
	}{
		{domain.MessageDraft{Content: "x"}, domain.ErrInvalidDraft},
		{domain.MessageDraft{ConversationID: "general"}, domain.ErrInvalidDraft},
		{domain.MessageDraft{ConversationID: "general", Content: "x", Kind: "video"}, domain.ErrInvalidDraft},
		{domain.MessageDraft{ConversationID: "general", Content: string(make([]byte, 600))}, domain.ErrFrameTooLarge},
	} {
		if _, err := alice.SendMessage(t.Context(), d.draft); !errors.Is(err, d.want) {
			t.Errorf("SendMessage(%+v) = %v, want %v", d.draft.Kind, err, d.want)
		}
	}
	quiet(t, raw, "frame after refused drafts")
	if msgs, _ := srv.Messages("general"); len(msgs) != 0 {
		t.Errorf("server stored %d messages", len(msgs))
	}
}

func TestBadInputIsReportedAndTheSessionGoesOn(t *testing.T) {
	srv := newServer(t, chattest.Options{})
	if err := srv.CreateConversation("general", "", "alice", "bob"); err != nil {
		t.Fatal(err)
	}
	alice := dial(t, srv, "alice")
	errs, msgs, raw := alice.Errors(t.Context()), alice.Messages(t.Context()), alice.RawMessages(t.Context())
	for _, frame := range []string{
		`{"type":"chat.message","seq":`,
		`{"type":"chat.message","seq":1000,"payload":{"id":5}}`,
		`{"type":"typing.indicator","payload":{"conversation_id":"general","user_id":"bob","is_typing":"yes"}}`,
		`not json at all`,
	} {
		srv.Inject("alice", []byte(frame))
		err := recv(t, errs)
		var de *domain.Error
		if !errors.As(err, &de) || de.Class != domain.ClassDecode || de.Fatal || !errors.Is(err, domain.ErrMalformed) {
			t.Errorf("frame %q: error %v, want a non-fatal decode error", frame, err)
		}
		recvWhere(t, raw, func(f domain.RawFrame) bool { return string(f.Data) == frame })
	}
	for range 50 {
		srv.Inject("alice", []byte(`{"type":"x.unknown","payload":{}}`))
	}
	quiet(t, errs, "error for an unknown type")
	bob := dial(t, srv, "bob")
	m := send(t, bob, "general", "still here?")
	if got := recv(t, msgs); got.ID != m.ID {
		t.Errorf("after bad input got %+v, want %s", got, m.ID)
	}
	if alice.ConnectionState().Status != domain.Connected {
		t.Errorf("status = %v, want connected", alice.ConnectionState().Status)
	}
}

func TestOversizedInboundFrameIsReportedThenReconnects(t *testing.T) {
	srv := newServer(t, chattest.Options{})
	if err := srv.CreateConversation("general", "", "alice", "bob"); err != nil {
		t.Fatal(err)
	}
	alice := dial(t, srv, "alice")
	errs, states, msgs := alice.Errors(t.Context()), alice.ConnectionStates(t.Context()), alice.Messages(t.Context())
	big := make([]byte, 10<<20)
	copy(big, `{"type":"chat.message","payload":{"content":"`)
	for i := 45; i < len(big); i++ {
		big[i] = 'a'
	}
	srv.Inject("alice", big)
	recvWhere(t, errs, func(err error) bool { return errors.Is(err, domain.ErrFrameTooLarge) })
	recvWhere(t, states, func(s domain.ConnectionState) bool { return s.Status == domain.Reconnecting })
	recvWhere(t, states, func(s domain.ConnectionState) bool { return s.Status == domain.Connected })
	bob := dial(t, srv, "bob")
	m := send(t, bob, "general", "after the big one")
	recvWhere(t, msgs, func(got domain.Message) bool { return got.ID == m.ID })
}
