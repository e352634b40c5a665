package data

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/chatwire/chatwire/domain"
)

// decoded is one inbound frame after decoding. Exactly one of the value
// fields is set for a known type; none for pong and unknown types.
type decoded struct {
	typ   string
	seq   int64
	event domain.Event // a typed stream event

	ready    *wireSessionReady
	syncDone *wireSyncDone
	srvErr   *domain.ServerError
}

var (
	errNoType         = errors.New("missing \"type\"")
	errMissingPayload = errors.New("missing \"payload\"")
)

// decodeFrame reads the envelope once and then decodes the payload once
// into its type. An unknown type is not an error: it yields no value.
func decodeFrame(c Codec, frame []byte) (decoded, error) {
	r := readerFor(c)
	defer r.release()
	d, err := decodeWith(r, frame)
	again, ferr := r.finish()
	switch {
	case again:
		return decodeWith(r, frame)
	case ferr != nil:
		return decoded{}, &domain.DecodeError{Err: ferr}
	}
	return d, err
}

func decodeWith(r frameReader, frame []byte) (decoded, error) {
	typ, seq, payload, err := r.envelope(frame)
	if err != nil {
		return decoded{}, &domain.DecodeError{Err: err}
	}
	d := decoded{typ: typ, seq: seq}
	if typ == "" {
		return d, &domain.DecodeError{Err: errNoType}
	}
	if seq < 0 {
		return d, &domain.DecodeError{Type: typ, Err: fmt.Errorf("negative seq %d", seq)}
	}
	switch {
	case typ == typePong:
		return d, nil
	case typ == typeSessionReady:
		d.ready = new(wireSessionReady)
		err = decodePayload(r, payload, d.ready, func() error {
			return require("user_id", d.ready.UserID)
		})
	case typ == typeSyncDone:
		d.syncDone = new(wireSyncDone)
		err = decodePayload(r, payload, d.syncDone, nil)
	case typ == typeError:
		var w wireError
		err = decodePayload(r, payload, &w, func() error { return require("code", w.Code) })
		d.srvErr = &domain.ServerError{Code: w.Code, Message: w.Message, Ref: w.Ref}
	case typ == typeChatMessage:
		// The hottest path: the reader's own wireMessage, so nothing but
		// the strings and the domain value is allocated.
		w := r.message()
		err = decodePayload(r, payload, w, w.validate)
		if err == nil {
			m := w.toDomain()
			m.Seq = seq
			d.event = m
		}
	case typ == typeTyping:
		var w wireTyping
		err = decodePayload(r, payload, &w, func() error {
			return require("conversation_id", w.ConversationID, "user_id", w.UserID)
		})
		d.event = domain.TypingIndicator{ConversationID: w.ConversationID, UserID: w.UserID, IsTyping: w.IsTyping}
	case typ == typeUserStatus:
		var w wireUserStatus
		err = decodePayload(r, payload, &w, func() error { return require("user_id", w.UserID, "status", w.Status) })
		d.event = domain.UserStatusUpdate{UserID: w.UserID, Status: domain.PresenceStatus(w.Status), LastSeen: deref(w.LastSeen)}
	case typ == typeConversationUpdate:
		var w wireConversationUpdate
		err = decodePayload(r, payload, &w, w.validate)
		d.event = w.toDomain(seq)
	case typ == typeMessageRead:
		var w wireRead
		err = decodePayload(r, payload, &w, func() error {
			return require("conversation_id", w.ConversationID, "user_id", w.UserID, "message_id", w.MessageID)
		})
		d.event = domain.ReadReceipt{ConversationID: w.ConversationID, UserID: w.UserID, MessageID: w.MessageID, ReadAt: deref(w.ReadAt), Seq: seq}
	case strings.HasPrefix(typ, callTypePrefix):
		kind := domain.CallEventKind(typ[len(callTypePrefix):])
		if !knownCallKind(kind) {
			return d, nil
		}
		var w wireCall
		err = decodePayload(r, payload, &w, func() error { return require("call_id", w.CallID) })
		d.event = w.toDomain(kind, seq)
	default:
		return d, nil
	}
	if err != nil {
		return decoded{typ: typ, seq: seq}, &domain.DecodeError{Type: typ, Err: err}
	}
	return d, nil
}

func decodePayload(r frameReader, payload bool, into any, validate func() error) error {
	if !payload {
		return errMissingPayload
	}
	if err := r.payload(into); err != nil {
		return err
	}
	if validate != nil {
		return validate()
	}
	return nil
}

// require takes name, value pairs and reports the first empty value.
func require(pairs ...string) error {
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i+1] == "" {
			return fmt.Errorf("missing %q", pairs[i])
		}
	}
	return nil
}

func (w *wireMessage) validate() error {
	return require("id", w.ID, "conversation_id", w.ConversationID, "sender_id", w.SenderID)
}

func (w *wireMessage) toDomain() domain.Message {
	kind := domain.MessageKind(w.Kind)
	if kind == "" {
		kind = domain.KindText
	}
	m := domain.Message{
		ID:             w.ID,
		ClientID:       w.ClientID,
		ConversationID: w.ConversationID,
		SenderID:       w.SenderID,
		Content:        w.Content,
		Kind:           kind,
		CreatedAt:      w.CreatedAt,
		ReplyTo:        w.ReplyTo,
	}
	if len(w.Attachments) > 0 {
		m.Attachments = make([]domain.Attachment, len(w.Attachments))
		for i, a := range w.Attachments {
			m.Attachments[i] = domain.Attachment{URL: a.URL, Name: a.Name, MIME: a.MIME, Size: a.Size}
		}
	}
	return m
}

func (w *wireConversationUpdate) validate() error {
	if err := require("conversation_id", w.ConversationID, "action", w.Action); err != nil {
		return err
	}
	if w.LastMessage != nil {
		if err := w.LastMessage.validate(); err != nil {
			return fmt.Errorf("last_message: %w", err)
		}
	}
	return nil
}

func (w *wireConversationUpdate) toDomain(seq int64) domain.ConversationUpdate {
	u := domain.ConversationUpdate{
		ConversationID: w.ConversationID,
		Action:         domain.ConversationAction(w.Action),
		Title:          w.Title,
		ParticipantIDs: w.ParticipantIDs,
		UnreadCount:    w.UnreadCount,
		UpdatedAt:      deref(w.UpdatedAt),
		Seq:            seq,
	}
	if w.LastMessage != nil {
		m := w.LastMessage.toDomain()
		u.LastMessage = &m
	}
	return u
}

func knownCallKind(k domain.CallEventKind) bool {
	switch k {
	case domain.CallIncoming, domain.CallAccepted, domain.CallRejected, domain.CallCancelled,
		domain.CallEnded, domain.CallOffer, domain.CallAnswer, domain.CallICECandidate:
		return true
	}
	return false
}

func (w *wireCall) toDomain(kind domain.CallEventKind, seq int64) domain.CallEvent {
	e := domain.CallEvent{
		Kind:           kind,
		CallID:         w.CallID,
		ConversationID: w.ConversationID,
		CallerID:       w.CallerID,
		CalleeIDs:      w.CalleeIDs,
		Media:          domain.Media(w.Media),
		UserID:         w.UserID,
		Reason:         w.Reason,
		EndedBy:        w.EndedBy,
		Duration:       time.Duration(w.DurationMS) * time.Millisecond,
		From:           w.From,
		To:             w.To,
		CreatedAt:      deref(w.CreatedAt),
		Seq:            seq,
	}
	switch {
	case len(w.SDP) > 0:
		e.Signal = w.SDP
	case len(w.Candidate) > 0:
		e.Signal = w.Candidate
	}
	return e
}

func deref(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}
