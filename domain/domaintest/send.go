package domaintest

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"sync"

	"github.com/chatwire/chatwire/domain"
)

// SendKind says which port method made a Send.
type SendKind int

const (
	SendMessage SendKind = iota + 1
	SendTyping
	MarkRead
	SendCallSignal
)

func (k SendKind) String() string {
	switch k {
	case SendMessage:
		return "SendMessage"
	case SendTyping:
		return "SendTyping"
	case MarkRead:
		return "MarkRead"
	case SendCallSignal:
		return "SendCallSignal"
	}
	return "unknown"
}

// Send is one call of a send method, recorded. The fields its Kind does
// not use are zero. Confirm and Fail answer it; the first answer counts.
type Send struct {
	Kind SendKind
	// Draft is what SendMessage was given (its ClientID filled in when
	// empty, as a real data source does).
	Draft domain.MessageDraft
	// ConversationID is SendTyping's or MarkRead's conversation.
	ConversationID string
	// IsTyping is SendTyping's flag.
	IsTyping bool
	// MessageID is MarkRead's message.
	MessageID string
	// Signal is what SendCallSignal was given.
	Signal domain.CallSignal

	src      *Source
	once     sync.Once
	answered chan struct{}
	msg      domain.Message
	err      error
}

// Answerer answers a send as it is made, on the sender's goroutine: it
// calls Confirm or Fail, or neither (the send then waits).
type Answerer func(*Send)

// Confirm confirms every send at once.
func Confirm(s *Send) { s.Confirm() }

// Hang leaves every send waiting for the test to answer it (see
// Source.NextSend), for its ctx to end or for the Source to close.
func Hang(*Send) {}

// Fail fails every send with err.
func Fail(err error) Answerer { return func(s *Send) { s.Fail(err) } }

// Confirm answers the send with success. A message is confirmed as the
// server would store it: an id ("m-1", "m-2"...), the sender
// Options.UserID, the time Options.Now and its draft's fields; it is
// returned to SendMessage's caller and delivered on Messages.
func (s *Send) Confirm() {
	if s.Kind != SendMessage {
		s.answer(domain.Message{}, nil)
		return
	}
	m := domain.Message{ClientID: s.Draft.ClientID, ConversationID: s.Draft.ConversationID,
		SenderID: s.src.opts.UserID, Content: s.Draft.Content, Kind: s.Draft.Kind,
		CreatedAt: s.src.opts.Now(), ReplyTo: s.Draft.ReplyTo, Attachments: slices.Clone(s.Draft.Attachments)}
	if m.Kind == "" {
		m.Kind = domain.KindText
	}
	s.src.mu.Lock()
	s.src.messageSeq++
	m.ID = "m-" + strconv.Itoa(s.src.messageSeq)
	s.src.mu.Unlock()
	s.ConfirmWith(m)
}

// ConfirmWith confirms a SendMessage with m, as the server stored it: m is
// returned to the caller and delivered on Messages. For other kinds it is
// Confirm.
func (s *Send) ConfirmWith(m domain.Message) {
	if s.Kind != SendMessage {
		s.answer(domain.Message{}, nil)
		return
	}
	if s.answer(m, nil) {
		s.src.Push(m)
	}
}

// Fail answers the send with err.
func (s *Send) Fail(err error) { s.answer(domain.Message{}, err) }

// answer records the outcome once and reports whether this was the first.
func (s *Send) answer(m domain.Message, err error) bool {
	first := false
	s.once.Do(func() {
		s.msg, s.err, first = m, err, true
		close(s.answered)
	})
	return first
}

// Answered reports whether the send has been answered.
func (s *Send) Answered() bool {
	select {
	case <-s.answered:
		return true
	default:
		return false
	}
}

func (s *Send) String() string {
	switch s.Kind {
	case SendMessage:
		return fmt.Sprintf("SendMessage(%s: %q)", s.Draft.ConversationID, s.Draft.Content)
	case SendTyping:
		return fmt.Sprintf("SendTyping(%s, %t)", s.ConversationID, s.IsTyping)
	case MarkRead:
		return fmt.Sprintf("MarkRead(%s, %s)", s.ConversationID, s.MessageID)
	case SendCallSignal:
		return fmt.Sprintf("SendCallSignal(%s %s)", s.Signal.Kind, s.Signal.CallID)
	}
	return "unknown send"
}

// SetAnswer replaces the Answerer for the sends made from now on.
func (s *Source) SetAnswer(a Answerer) {
	if a == nil {
		a = Confirm
	}
	s.mu.Lock()
	s.answer = a
	s.mu.Unlock()
}

// Sent returns every send recorded, oldest first.
func (s *Source) Sent() []*Send {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.sent)
}

// NextSend returns the oldest send it has not returned yet, waiting for
// one until ctx ends.
func (s *Source) NextSend(ctx context.Context) (*Send, error) {
	for {
		s.mu.Lock()
		if s.nextRead < len(s.sent) {
			x := s.sent[s.nextRead]
			s.nextRead++
			s.mu.Unlock()
			return x, nil
		}
		more := s.sentMore
		s.mu.Unlock()
		select {
		case <-more:
		case <-ctx.Done():
			return nil, fmt.Errorf("domaintest: no send came: %w", ctx.Err())
		}
	}
}

// send records x, has it answered and waits for the answer.
func (s *Source) send(ctx context.Context, x *Send) (domain.Message, error) {
	x.src, x.answered = s, make(chan struct{})
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return domain.Message{}, domain.ErrClosed
	}
	s.sent = append(s.sent, x)
	close(s.sentMore)
	s.sentMore = make(chan struct{})
	answer := s.answer
	s.mu.Unlock()

	answer(x)
	select {
	case <-x.answered:
		return x.msg, x.err
	case <-ctx.Done():
		x.answer(domain.Message{}, ctx.Err())
	case <-s.done:
		x.answer(domain.Message{}, domain.ErrClosed)
	}
	<-x.answered
	return x.msg, x.err
}

// SendMessage records the send and returns its answer. An invalid draft
// is refused with domain.ErrInvalidDraft and not recorded, as a real data
// source refuses it.
func (s *Source) SendMessage(ctx context.Context, draft domain.MessageDraft) (domain.Message, error) {
	if err := draft.Validate(); err != nil {
		return domain.Message{}, err
	}
	if draft.ClientID == "" {
		s.mu.Lock()
		s.clientSeq++
		draft.ClientID = "client-" + strconv.Itoa(s.clientSeq)
		s.mu.Unlock()
	}
	draft.Attachments = slices.Clone(draft.Attachments)
	return s.send(ctx, &Send{Kind: SendMessage, Draft: draft})
}

// SendTyping records the send and returns its answer.
func (s *Source) SendTyping(ctx context.Context, conversationID string, isTyping bool) error {
	_, err := s.send(ctx, &Send{Kind: SendTyping, ConversationID: conversationID, IsTyping: isTyping})
	return err
}

// MarkRead records the send and returns its answer.
func (s *Source) MarkRead(ctx context.Context, conversationID, messageID string) error {
	_, err := s.send(ctx, &Send{Kind: MarkRead, ConversationID: conversationID, MessageID: messageID})
	return err
}

// SendCallSignal records the send and returns its answer. An invalid
// signal is refused with domain.ErrInvalidDraft and not recorded.
func (s *Source) SendCallSignal(ctx context.Context, signal domain.CallSignal) error {
	if err := signal.Validate(); err != nil {
		return err
	}
	signal.CalleeIDs = slices.Clone(signal.CalleeIDs)
	signal.Signal = slices.Clone(signal.Signal)
	_, err := s.send(ctx, &Send{Kind: SendCallSignal, Signal: signal})
	return err
}
