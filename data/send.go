package data

import (
	"context"
	"fmt"

	"github.com/chatwire/chatwire/domain"
	"github.com/chatwire/chatwire/internal/ids"
)

// SendMessage sends draft and returns the message as the server stored it
// (its echo from this user with the draft's client id). While offline the
// message waits in the outbox; after a reconnect it is written again until
// acknowledged. Every call ends within Options.Connection.OutboxTTL (2m by
// default), whatever ctx: confirmed, failed (a server error naming it,
// domain.ErrFrameTooLarge), expired (domain.ErrSendExpired) or cancelled by
// ctx. A ctx that ends before the message was written guarantees it was not
// sent; after, the error says it may have been (its echo then appears once
// on Messages).
func (s *ChatWebSocketDataSource) SendMessage(ctx context.Context, draft domain.MessageDraft) (domain.Message, error) {
	out, err := newMessageOut(draft)
	if err != nil {
		return domain.Message{}, err
	}
	frame, err := s.encode(typeChatMessage, out)
	if err != nil {
		return domain.Message{}, err
	}
	if err := ctx.Err(); err != nil {
		return domain.Message{}, err
	}
	// Stored and queued under one lock: concurrent sends reach the store
	// and the ledger in one order, which a restart then keeps.
	s.enqueue.Lock()
	if s.ledger.has(out.ClientID) {
		// Refused before the store sees it: its record is the first send's.
		s.enqueue.Unlock()
		return domain.Message{}, inFlightError(out.ClientID)
	}
	s.storeSend(ctx, out, draft)
	e, err := s.ledger.add(out.ClientID, frame)
	s.enqueue.Unlock()
	if err != nil {
		s.forgetSend(out.ClientID)
		return domain.Message{}, err
	}
	s.ledger.writeIfOpen(ctx, e)
	select {
	case r := <-e.done:
		return r.msg, r.err
	case <-ctx.Done():
	}
	r, ended, maybeSent := s.ledger.cancel(e)
	switch {
	case ended:
		return r.msg, r.err
	case maybeSent:
		return domain.Message{}, fmt.Errorf("%w: message sent but not confirmed: %w", ErrUnconfirmed, ctx.Err())
	}
	return domain.Message{}, ctx.Err()
}

// SendTyping reports typing. It is never queued: offline it fails with
// domain.ErrNotConnected.
func (s *ChatWebSocketDataSource) SendTyping(ctx context.Context, conversationID string, isTyping bool) error {
	if conversationID == "" {
		return fmt.Errorf("%w: missing conversation id", domain.ErrInvalidDraft)
	}
	frame, err := s.encode(typeTyping, wireTyping{ConversationID: conversationID, IsTyping: isTyping})
	if err != nil {
		return err
	}
	return toDomainError(s.mgr.SendVolatile(ctx, frame))
}

// MarkRead marks conversationID read up to and including messageID. It
// waits in the outbox while offline.
func (s *ChatWebSocketDataSource) MarkRead(ctx context.Context, conversationID, messageID string) error {
	if conversationID == "" || messageID == "" {
		return fmt.Errorf("%w: missing conversation or message id", domain.ErrInvalidDraft)
	}
	frame, err := s.encode(typeMessageRead, wireReadOut{ConversationID: conversationID, MessageID: messageID})
	if err != nil {
		return err
	}
	return s.sendQueued(ctx, frame)
}

// SendCallSignal sends a call action or signalling payload. It waits in the
// outbox while offline (a ring timeout upstream bounds how long that matters).
func (s *ChatWebSocketDataSource) SendCallSignal(ctx context.Context, sig domain.CallSignal) error {
	if err := sig.Validate(); err != nil {
		return err
	}
	w := wireCall{CallID: sig.CallID, Reason: sig.Reason}
	switch sig.Kind {
	case domain.SignalInvite:
		media := sig.Media
		if media == "" {
			media = domain.MediaAudio
		}
		w.ConversationID, w.CalleeIDs, w.Media = sig.ConversationID, sig.CalleeIDs, string(media)
	case domain.SignalOffer, domain.SignalAnswer:
		w.To, w.SDP = sig.To, sig.Signal
	case domain.SignalICECandidate:
		w.To, w.Candidate = sig.To, sig.Signal
	}
	frame, err := s.encode(callTypePrefix+string(sig.Kind), w)
	if err != nil {
		return err
	}
	return s.sendQueued(ctx, frame)
}

func (s *ChatWebSocketDataSource) encode(typ string, payload any) ([]byte, error) {
	frame, err := s.codec.Marshal(outbound{Type: typ, Payload: payload})
	if err != nil {
		return nil, fmt.Errorf("chatwire: encode %s: %w", typ, err)
	}
	return frame, nil
}

// sendQueued sends a frame other than a chat message through the manager's
// outbox, after checking it against the announced limit.
func (s *ChatWebSocketDataSource) sendQueued(ctx context.Context, frame []byte) error {
	if max := s.ledger.maxFrameBytes(); max > 0 && int64(len(frame)) > max {
		return tooLarge(len(frame), max)
	}
	if err := s.mgr.Send(ctx, frame); err != nil {
		return toDomainError(err)
	}
	s.ledger.wroteOther(len(frame))
	return nil
}

// messageOut is the payload of an outbound chat.message.
type messageOut struct {
	ClientID       string           `json:"client_id"`
	ConversationID string           `json:"conversation_id"`
	Content        string           `json:"content"`
	Kind           string           `json:"kind"`
	ReplyTo        string           `json:"reply_to,omitempty"`
	Attachments    []wireAttachment `json:"attachments,omitempty"`
}

func newMessageOut(d domain.MessageDraft) (messageOut, error) {
	if err := d.Validate(); err != nil {
		return messageOut{}, err
	}
	kind := d.Kind
	if kind == "" {
		kind = domain.KindText
	}
	out := messageOut{ClientID: d.ClientID, ConversationID: d.ConversationID, Content: d.Content, Kind: string(kind), ReplyTo: d.ReplyTo}
	if out.ClientID == "" {
		out.ClientID = ids.New()
	}
	for _, a := range d.Attachments {
		out.Attachments = append(out.Attachments, wireAttachment{URL: a.URL, Name: a.Name, MIME: a.MIME, Size: a.Size})
	}
	return out, nil
}
