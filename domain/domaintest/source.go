package domaintest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/chatwire/chatwire/domain"
)

var _ domain.ChatWebSocketDataSource = (*Source)(nil)

// DefaultHistorySize is how many typed events History keeps when
// Options.HistorySize is zero, as the real data sources do.
const DefaultHistorySize = 100

// Options configure a Source. The zero value is ready to use.
type Options struct {
	// UserID is the user the session is for: the UserID of the connected
	// state, and the sender of confirmed messages.
	UserID string
	// TokenSource is asked for a token when Connect is given an empty one,
	// as the real data sources ask theirs. Nil leaves the token empty.
	TokenSource domain.TokenSource
	// Connect, if set, decides each Connect: it gets the token, and an
	// error it returns is returned by Connect with the state left as it is
	// (set it with SetState). Nil, or a nil error, makes the session
	// Connected.
	Connect func(ctx context.Context, token string) error
	// Answer answers every send. Nil means Confirm.
	Answer Answerer
	// HistorySize is how many typed events History keeps. Zero means
	// DefaultHistorySize.
	HistorySize int
	// Now stamps states and confirmed messages. Nil means time.Now.
	Now func() time.Time
}

// Source is a fake data source the test drives. Every method is safe for
// concurrent use.
type Source struct {
	opts Options

	messages      *stream[domain.Message]
	typing        *stream[domain.TypingIndicator]
	statuses      *stream[domain.UserStatusUpdate]
	conversations *stream[domain.ConversationUpdate]
	reads         *stream[domain.ReadReceipt]
	calls         *stream[domain.CallEvent]
	raw           *stream[domain.RawFrame]
	states        *stream[domain.ConnectionState]
	errs          *stream[error]

	pushMu sync.Mutex // one Push at a time, so that every subscriber sees one order

	mu       sync.Mutex
	state    domain.ConnectionState
	answer   Answerer
	history  []domain.Event
	tokens   []string
	sent     []*Send
	nextRead int           // the first send NextSend has not returned
	sentMore chan struct{} // closed and replaced when a send is recorded
	// messageSeq and clientSeq number the ids the Source makes up.
	messageSeq, clientSeq int
	closed                bool
	done                  chan struct{} // closed by Close
}

// NewSource returns a disconnected Source.
func NewSource(opts Options) *Source {
	if opts.HistorySize <= 0 {
		opts.HistorySize = DefaultHistorySize
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Answer == nil {
		opts.Answer = Confirm
	}
	done := make(chan struct{})
	return &Source{
		opts:          opts,
		answer:        opts.Answer,
		messages:      newStream[domain.Message](done),
		typing:        newStream[domain.TypingIndicator](done),
		statuses:      newStream[domain.UserStatusUpdate](done),
		conversations: newStream[domain.ConversationUpdate](done),
		reads:         newStream[domain.ReadReceipt](done),
		calls:         newStream[domain.CallEvent](done),
		raw:           newStream[domain.RawFrame](done),
		states:        newStream[domain.ConnectionState](done),
		errs:          newStream[error](done),
		sentMore:      make(chan struct{}),
		done:          done,
	}
}

// Connect records the token (asking Options.TokenSource when it is empty),
// asks Options.Connect, and makes the session Connected with
// Options.UserID.
func (s *Source) Connect(ctx context.Context, accessToken string) error {
	if s.isClosed() {
		return domain.ErrClosed
	}
	if accessToken == "" && s.opts.TokenSource != nil {
		t, err := s.opts.TokenSource(ctx)
		if err != nil {
			return fmt.Errorf("domaintest: token source: %w", err)
		}
		accessToken = t
	}
	s.mu.Lock()
	s.tokens = append(s.tokens, accessToken)
	s.mu.Unlock()
	if s.opts.Connect != nil {
		if err := s.opts.Connect(ctx, accessToken); err != nil {
			return err
		}
	}
	s.SetState(domain.ConnectionState{Status: domain.Connected, UserID: s.opts.UserID,
		SessionID: "domaintest-session", Sync: domain.SyncComplete})
	return nil
}

// Close makes the state Closed, fails the sends still waiting with
// domain.ErrClosed and closes every stream. Idempotent; nothing is sent on
// any stream after it returns.
func (s *Source) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.state.Status, s.state.At, s.state.NextRetryAt = domain.Closed, s.opts.Now(), time.Time{}
	st := s.state
	close(s.done) // releases a Push waiting for room, and the sends waiting for an answer
	s.mu.Unlock()

	s.pushMu.Lock()
	defer s.pushMu.Unlock()
	s.states.offer(st) // as a real source says Closed before its streams close
	for _, c := range []interface{ closeAll() }{s.messages, s.typing, s.statuses, s.conversations,
		s.reads, s.calls, s.raw, s.states, s.errs} {
		c.closeAll()
	}
	return nil
}

func (s *Source) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// Push delivers ev to every subscriber of its stream, in order, and
// records it in History. ev is a Message, TypingIndicator,
// UserStatusUpdate, ConversationUpdate, ReadReceipt or CallEvent, or a
// RawFrame (delivered on RawMessages, not recorded); anything else panics,
// as a mistake in the test. Push waits while a subscriber that has not
// taken its previous events holds it back (each has a buffer of 64), as a
// real data source holds back the socket; a subscriber's ctx ending or
// Close releases it. It does nothing after Close.
func (s *Source) Push(ev domain.Event) {
	s.pushMu.Lock()
	defer s.pushMu.Unlock()
	if s.isClosed() {
		return
	}
	if _, raw := ev.(domain.RawFrame); !raw {
		s.record(ev)
	}
	switch e := ev.(type) {
	case domain.Message:
		s.messages.publish(e)
	case domain.TypingIndicator:
		s.typing.publish(e)
	case domain.UserStatusUpdate:
		s.statuses.publish(e)
	case domain.ConversationUpdate:
		s.conversations.publish(e)
	case domain.ReadReceipt:
		s.reads.publish(e)
	case domain.CallEvent:
		s.calls.publish(e)
	case domain.RawFrame:
		s.raw.publish(e)
	default:
		panic(fmt.Sprintf("domaintest: Push of %T, which no stream carries", ev))
	}
}

func (s *Source) record(ev domain.Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.history = append(s.history, ev)
	if over := len(s.history) - s.opts.HistorySize; over > 0 {
		s.history = append([]domain.Event(nil), s.history[over:]...)
	}
}

// PushError reports err on Errors, as a *domain.Error (of ClassConnection
// unless err is one already).
func (s *Source) PushError(err error) {
	var de *domain.Error
	if !errors.As(err, &de) {
		de = &domain.Error{Class: domain.ClassConnection, Err: err}
	}
	s.pushMu.Lock()
	defer s.pushMu.Unlock()
	if !s.isClosed() {
		s.errs.publish(de)
	}
}

// SetState makes st the connection state and publishes it on
// ConnectionStates. A zero At is stamped with Options.Now.
func (s *Source) SetState(st domain.ConnectionState) {
	if st.At.IsZero() {
		st.At = s.opts.Now()
	}
	s.pushMu.Lock()
	defer s.pushMu.Unlock()
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.state = st
	s.mu.Unlock()
	s.states.publish(st)
}

// CutOff ends every current subscription of one stream, as a real data
// source cuts off a subscriber that stopped reading, and reports
// domain.ErrSlowConsumer on Errors. Later subscriptions work as before.
func (s *Source) CutOff(name Stream) {
	s.pushMu.Lock()
	defer s.pushMu.Unlock()
	if s.isClosed() {
		return
	}
	switch name {
	case Messages:
		s.messages.closeAll()
	case Typing:
		s.typing.closeAll()
	case UserStatuses:
		s.statuses.closeAll()
	case ConversationUpdates:
		s.conversations.closeAll()
	case ReadReceipts:
		s.reads.closeAll()
	case Calls:
		s.calls.closeAll()
	case RawMessages:
		s.raw.closeAll()
	case ConnectionStates:
		s.states.closeAll()
	case Errors:
		s.errs.closeAll()
	default:
		panic(fmt.Sprintf("domaintest: CutOff of unknown stream %q", name))
	}
	if name != Errors {
		s.errs.publish(&domain.Error{Class: domain.ClassSubscription, Err: domain.ErrSlowConsumer})
	}
}

// Tokens returns the tokens Connect was called with, oldest first.
func (s *Source) Tokens() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.tokens...)
}

// Subscribers returns how many subscriptions of a stream are open.
func (s *Source) Subscribers(name Stream) int {
	switch name {
	case Messages:
		return s.messages.len()
	case Typing:
		return s.typing.len()
	case UserStatuses:
		return s.statuses.len()
	case ConversationUpdates:
		return s.conversations.len()
	case ReadReceipts:
		return s.reads.len()
	case Calls:
		return s.calls.len()
	case RawMessages:
		return s.raw.len()
	case ConnectionStates:
		return s.states.len()
	case Errors:
		return s.errs.len()
	}
	return 0
}

// ConnectionState returns the state last set.
func (s *Source) ConnectionState() domain.ConnectionState {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state
}

// History returns the typed events pushed, the most recent
// Options.HistorySize of them, oldest first.
func (s *Source) History() []domain.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]domain.Event(nil), s.history...)
}

// Messages returns the messages pushed from now on.
func (s *Source) Messages(ctx context.Context) <-chan domain.Message {
	return s.messages.subscribe(ctx)
}

// Typing returns the typing indicators pushed from now on.
func (s *Source) Typing(ctx context.Context) <-chan domain.TypingIndicator {
	return s.typing.subscribe(ctx)
}

// UserStatuses returns the user statuses pushed from now on.
func (s *Source) UserStatuses(ctx context.Context) <-chan domain.UserStatusUpdate {
	return s.statuses.subscribe(ctx)
}

// ConversationUpdates returns the conversation updates pushed from now on.
func (s *Source) ConversationUpdates(ctx context.Context) <-chan domain.ConversationUpdate {
	return s.conversations.subscribe(ctx)
}

// ReadReceipts returns the read receipts pushed from now on.
func (s *Source) ReadReceipts(ctx context.Context) <-chan domain.ReadReceipt {
	return s.reads.subscribe(ctx)
}

// Calls returns the call events pushed from now on.
func (s *Source) Calls(ctx context.Context) <-chan domain.CallEvent { return s.calls.subscribe(ctx) }

// RawMessages returns the raw frames pushed from now on.
func (s *Source) RawMessages(ctx context.Context) <-chan domain.RawFrame {
	return s.raw.subscribe(ctx)
}

// ConnectionStates returns the states set from now on.
func (s *Source) ConnectionStates(ctx context.Context) <-chan domain.ConnectionState {
	return s.states.subscribe(ctx)
}

// Errors returns the errors reported from now on, each a *domain.Error.
func (s *Source) Errors(ctx context.Context) <-chan error { return s.errs.subscribe(ctx) }
