package laravel

import (
	"context"
	"errors"
	"fmt"

	"github.com/chatwire/chatwire/core/pusher"
	"github.com/chatwire/chatwire/domain"
	"github.com/chatwire/chatwire/internal/ids"
)

// SendMessage stores draft through the MessageSender (the app's HTTP API)
// and returns the message as stored. It is delivered on Messages too, once:
// the broadcast copy that may follow (or precede) it is dropped by id (or,
// when the backend gives none, by sender and client id). The draft is
// checked with MessageDraft.Validate; draft.ClientID is generated when
// empty. Without a sender it fails with domain.ErrUnsupported. The send
// does not need the socket.
func (s *DataSource) SendMessage(ctx context.Context, draft domain.MessageDraft) (domain.Message, error) {
	if s.isClosing() {
		return domain.Message{}, domain.ErrClosed
	}
	if s.sender == nil {
		return domain.Message{}, fmt.Errorf("%w: no message sender configured", domain.ErrUnsupported)
	}
	if err := draft.Validate(); err != nil {
		return domain.Message{}, err
	}
	if draft.Kind == "" {
		draft.Kind = domain.KindText
	}
	if draft.ClientID == "" {
		draft.ClientID = ids.New()
	}
	draft.Attachments = append([]domain.Attachment(nil), draft.Attachments...)
	m, err := s.sender.SendMessage(ctx, draft)
	if err != nil {
		return domain.Message{}, err
	}
	if m.ClientID == "" {
		m.ClientID = draft.ClientID
	}
	if m.ConversationID == "" {
		m.ConversationID = draft.ConversationID
	}
	s.mu.Lock()
	fresh := !s.closed && s.freshMessageLocked(m)
	s.mu.Unlock()
	if fresh {
		// Published under no lock; Close may have begun, and a publish on
		// a closed broadcaster is dropped.
		s.hub.Publish(m)
	}
	return m, nil
}

// typingWhisper is the data of a typing whisper, in Echo's shape plus the
// ids other SDKs read.
type typingWhisper struct {
	UserID         string `json:"user_id"`
	ID             string `json:"id"`
	Name           string `json:"name,omitempty"`
	ConversationID string `json:"conversation_id"`
	Typing         bool   `json:"typing"`
}

// SendTyping whispers Options.TypingEvent ("client-typing") on the
// conversation's channel. It is never queued: offline it fails with
// domain.ErrNotConnected, on a conversation not joined with ErrNotJoined,
// and above the protocol's 10 client events per second with
// pusher.ErrRateLimited.
func (s *DataSource) SendTyping(ctx context.Context, conversationID string, isTyping bool) error {
	return s.whisper(ctx, conversationID, s.opts.TypingEvent, typingWhisper{
		UserID: s.opts.UserID, ID: s.opts.UserID, Name: s.opts.UserName,
		ConversationID: conversationID, Typing: isTyping,
	})
}

// readWhisper is the data of a read whisper.
type readWhisper struct {
	UserID         string `json:"user_id"`
	ConversationID string `json:"conversation_id"`
	MessageID      string `json:"message_id"`
	ReadAt         string `json:"read_at"`
}

// MarkRead records the read position through the ReadMarker (the app's
// HTTP API, which broadcasts MessagesRead), or, with Options.ReadWhisper,
// whispers Options.ReadEvent ("client-read") on the conversation's channel
// (not queued, like SendTyping). Without either it fails with
// domain.ErrUnsupported.
func (s *DataSource) MarkRead(ctx context.Context, conversationID, messageID string) error {
	if conversationID == "" || messageID == "" {
		return fmt.Errorf("%w: missing conversation or message id", domain.ErrInvalidDraft)
	}
	if s.isClosing() {
		return domain.ErrClosed
	}
	if s.opts.ReadWhisper {
		return s.whisper(ctx, conversationID, s.opts.ReadEvent, readWhisper{
			UserID: s.opts.UserID, ConversationID: conversationID, MessageID: messageID,
			ReadAt: s.clock.Now().UTC().Format("2006-01-02T15:04:05.000000Z07:00"),
		})
	}
	if s.reader == nil {
		return fmt.Errorf("%w: no read marker configured", domain.ErrUnsupported)
	}
	return s.reader.MarkRead(ctx, conversationID, messageID)
}

// callWhisper is the data of a client-call.* event; CallDecoder reads it.
type callWhisper struct {
	CallID         string   `json:"call_id"`
	ConversationID string   `json:"conversation_id"`
	From           string   `json:"from"`
	CallerID       string   `json:"caller_id,omitempty"`
	CalleeIDs      []string `json:"callee_ids,omitempty"`
	Media          string   `json:"media,omitempty"`
	UserID         string   `json:"user_id,omitempty"`
	EndedBy        string   `json:"ended_by,omitempty"`
	Reason         string   `json:"reason,omitempty"`
	To             string   `json:"to,omitempty"`
	SDP            rawJSON  `json:"sdp,omitempty"`
	Candidate      rawJSON  `json:"candidate,omitempty"`
	CreatedAt      string   `json:"created_at,omitempty"`
}

// rawJSON is signalling JSON passed through as is.
type rawJSON []byte

func (r rawJSON) MarshalJSON() ([]byte, error) { return r, nil }

// SendCallSignal whispers "client-call.<kind>" (client-call.invite,
// client-call.offer...) on the conversation's channel, so signal.
// ConversationID is required and the conversation must be joined. Other
// SDKs decode it with CallDecoder: invite arrives as an incoming call,
// accept as accepted, and so on. Client events are never queued and share
// the limit of 10 per second (pusher.ErrRateLimited), and on private
// channels the server does not vouch for the sender: a backend that needs
// either should broadcast call events itself. With
// Options.DisableCallWhispers it fails with domain.ErrUnsupported.
func (s *DataSource) SendCallSignal(ctx context.Context, sig domain.CallSignal) error {
	if s.opts.DisableCallWhispers {
		return fmt.Errorf("%w: call whispers are disabled", domain.ErrUnsupported)
	}
	if err := sig.Validate(); err != nil {
		return err
	}
	if sig.ConversationID == "" {
		// The whisper goes on the conversation's channel.
		return fmt.Errorf("%w: missing conversation id", domain.ErrInvalidDraft)
	}
	me := s.opts.UserID
	w := callWhisper{CallID: sig.CallID, ConversationID: sig.ConversationID, From: me, Reason: sig.Reason}
	switch sig.Kind {
	case domain.SignalInvite:
		w.CallerID, w.CalleeIDs, w.Media = me, sig.CalleeIDs, string(sig.Media)
		w.CreatedAt = s.clock.Now().UTC().Format("2006-01-02T15:04:05.000000Z07:00")
	case domain.SignalAccept, domain.SignalReject, domain.SignalCancel:
		w.UserID = me
	case domain.SignalEnd:
		w.UserID, w.EndedBy = me, me
	case domain.SignalOffer, domain.SignalAnswer, domain.SignalICECandidate:
		w.To = sig.To
		if sig.Kind == domain.SignalICECandidate {
			w.Candidate = rawJSON(sig.Signal)
		} else {
			w.SDP = rawJSON(sig.Signal)
		}
	default:
		return fmt.Errorf("%w: unknown call signal %q", domain.ErrInvalidDraft, sig.Kind)
	}
	return s.whisper(ctx, sig.ConversationID, CallEventPrefix+string(sig.Kind), w)
}

// whisper triggers a client event on a joined conversation's channel.
func (s *DataSource) whisper(ctx context.Context, conversationID, event string, data any) error {
	if conversationID == "" {
		return fmt.Errorf("%w: missing conversation id", domain.ErrInvalidDraft)
	}
	s.mu.Lock()
	closed := s.closed
	name, joined := s.joined[conversationID]
	s.mu.Unlock()
	switch {
	case closed:
		return domain.ErrClosed
	case !joined:
		return fmt.Errorf("%w: %s", ErrNotJoined, conversationID)
	}
	err := s.client.Trigger(ctx, name, event, data)
	if errors.Is(err, pusher.ErrNotSubscribed) {
		// Joined but not (re)subscribed yet: the connection is not up.
		return fmt.Errorf("%w: %w", domain.ErrNotConnected, err)
	}
	return toDomainError(err)
}

// isClosing reports whether Close has begun.
func (s *DataSource) isClosing() bool {
	select {
	case <-s.closing:
		return true
	default:
		return false
	}
}
