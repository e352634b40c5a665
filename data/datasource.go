package data

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/chatwire/chatwire/core/clock"
	"github.com/chatwire/chatwire/core/network"
	"github.com/chatwire/chatwire/core/stream"
	"github.com/chatwire/chatwire/domain"
)

var _ domain.ChatWebSocketDataSource = (*ChatWebSocketDataSource)(nil)

// ChatWebSocketDataSource is the chat envelope protocol over a
// network.ConnectionManager: it decodes and routes frames into typed
// streams, acknowledges sends by their echo, de-duplicates, and catches up
// with a sync after every reconnect.
//
// Concurrency: every method is safe for concurrent use. One pump goroutine
// (started by the first Connect) decodes every inbound frame, off the socket
// reader; it never waits on a subscriber. Close waits for it, and nothing is
// sent on any stream after Close returns.
type ChatWebSocketDataSource struct {
	opts    Options
	codec   Codec
	clock   clock.Clock
	log     *slog.Logger
	mgr     *network.ConnectionManager
	pending *pendingSends
	hist    *history

	messages      *stream.Broadcaster[domain.Message]
	typing        *stream.Broadcaster[domain.TypingIndicator]
	statuses      *stream.Broadcaster[domain.UserStatusUpdate]
	conversations *stream.Broadcaster[domain.ConversationUpdate]
	reads         *stream.Broadcaster[domain.ReadReceipt]
	calls         *stream.Broadcaster[domain.CallEvent]
	raw           *stream.Broadcaster[domain.RawFrame]
	states        *stream.Broadcaster[domain.ConnectionState]
	errs          *stream.Broadcaster[error]

	mu          sync.Mutex
	token       string // the token given to Connect
	tokenFresh  bool   // the next attempt uses token without asking TokenSource
	state       domain.ConnectionState
	maxFrame    int64
	seqs        seqTracker  // guarded by mu: the pump writes, sends read
	held        []heldEvent // replayable events held until sync.done
	session     sessionDecision
	sessions    int // session.ready frames processed
	started     bool
	closed      bool
	stopPump    context.CancelFunc
	pumpStopped chan struct{}
	closeOnce   sync.Once
	closeErr    error
}

// New returns a data source for opts. It starts nothing until Connect.
func New(opts Options) *ChatWebSocketDataSource {
	s := &ChatWebSocketDataSource{
		opts:        opts,
		codec:       opts.Codec,
		clock:       opts.Clock,
		log:         opts.Logger,
		pending:     newPendingSends(),
		pumpStopped: make(chan struct{}),
	}
	s.session = sessionDecision{mu: &s.mu, since: -1, changed: make(chan struct{})}
	if s.codec == nil {
		s.codec = StdCodec()
	}
	if s.clock == nil {
		s.clock = clock.Real()
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	historySize := opts.HistorySize
	if historySize <= 0 {
		historySize = 100
	}
	s.hist = newHistory(historySize)

	evicted := func(error) { s.reportError(domain.ClassSubscription, false, domain.ErrSlowConsumer) }
	bo := stream.Options{Buffer: opts.StreamBuffer, OnEvict: evicted}
	s.messages = stream.NewBroadcaster[domain.Message](bo)
	s.typing = stream.NewBroadcaster[domain.TypingIndicator](bo)
	s.statuses = stream.NewBroadcaster[domain.UserStatusUpdate](bo)
	s.conversations = stream.NewBroadcaster[domain.ConversationUpdate](bo)
	s.reads = stream.NewBroadcaster[domain.ReadReceipt](bo)
	s.calls = stream.NewBroadcaster[domain.CallEvent](bo)
	s.raw = stream.NewBroadcaster[domain.RawFrame](bo)
	s.states = stream.NewBroadcaster[domain.ConnectionState](bo)
	s.errs = stream.NewBroadcaster[error](stream.Options{Buffer: opts.StreamBuffer})

	mo := opts.Connection
	mo.NewClient = opts.Transport
	if mo.NewClient == nil {
		mo.NewClient = func() network.WebSocketClient { return network.NewGorillaClient(network.GorillaOptions{}) }
	}
	mo.Endpoint = s.endpoint
	mo.Handshake = s.handshake
	mo.HeartbeatFrame = pingFrame
	mo.Clock = s.clock
	mo.Logger = opts.Logger
	s.mgr = network.NewConnectionManager(mo)
	return s
}

var pingFrame = []byte(`{"type":"ping","payload":{}}`)

// Connect opens the session with accessToken and waits until it is
// connected, has failed (for example with domain.ErrUnauthorized), or ctx
// ends. Calling it again after a failure starts over with the new token.
func (s *ChatWebSocketDataSource) Connect(ctx context.Context, accessToken string) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return domain.ErrClosed
	}
	s.token, s.tokenFresh = accessToken, true
	if !s.started {
		s.started = true
		s.startPump()
	}
	s.mu.Unlock()
	return toDomainError(s.mgr.Connect(ctx))
}

// Close ends the session: the connection closes with 1000, unacknowledged
// sends fail with domain.ErrClosed, and every stream closes. Idempotent.
func (s *ChatWebSocketDataSource) Close() error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		started := s.started
		s.mu.Unlock()

		s.closeErr = s.mgr.Close()
		if started {
			s.stopPump()
			<-s.pumpStopped
		}
		s.pending.failAll(domain.ErrClosed)
		s.messages.Close()
		s.typing.Close()
		s.statuses.Close()
		s.conversations.Close()
		s.reads.Close()
		s.calls.Close()
		s.raw.Close()
		s.states.Close()
		s.errs.Close()
	})
	return s.closeErr
}

// endpoint builds the URL and headers of one attempt with a fresh token.
func (s *ChatWebSocketDataSource) endpoint(ctx context.Context) (string, http.Header, error) {
	s.mu.Lock()
	token, fresh := s.token, s.tokenFresh
	s.tokenFresh = false
	s.mu.Unlock()
	if !fresh && s.opts.TokenSource != nil {
		t, err := s.opts.TokenSource(ctx)
		if err != nil {
			return "", nil, err
		}
		token = t
		s.mu.Lock()
		s.token = t
		s.mu.Unlock()
	}
	u := strings.TrimSuffix(s.opts.BaseURL, "/") + "/chat"
	if s.opts.TokenInQuery {
		u += "?token=" + url.QueryEscape(token)
	}
	header := s.opts.Header.Clone()
	if header == nil {
		header = make(http.Header)
	}
	header.Set("Authorization", "Bearer "+token)
	return u, header, nil
}

// Messages returns chat messages, each once, as the server stored them.
func (s *ChatWebSocketDataSource) Messages(ctx context.Context) <-chan domain.Message {
	return s.messages.Subscribe(ctx)
}

// Typing returns typing indicators of other users.
func (s *ChatWebSocketDataSource) Typing(ctx context.Context) <-chan domain.TypingIndicator {
	return s.typing.Subscribe(ctx)
}

// UserStatuses returns presence changes.
func (s *ChatWebSocketDataSource) UserStatuses(ctx context.Context) <-chan domain.UserStatusUpdate {
	return s.statuses.Subscribe(ctx)
}

// ConversationUpdates returns conversation changes, each once.
func (s *ChatWebSocketDataSource) ConversationUpdates(ctx context.Context) <-chan domain.ConversationUpdate {
	return s.conversations.Subscribe(ctx)
}

// ReadReceipts returns read receipts, each once.
func (s *ChatWebSocketDataSource) ReadReceipts(ctx context.Context) <-chan domain.ReadReceipt {
	return s.reads.Subscribe(ctx)
}

// Calls returns call events and signalling, each once.
func (s *ChatWebSocketDataSource) Calls(ctx context.Context) <-chan domain.CallEvent {
	return s.calls.Subscribe(ctx)
}

// RawMessages returns every inbound frame, typed or not, duplicates included.
func (s *ChatWebSocketDataSource) RawMessages(ctx context.Context) <-chan domain.RawFrame {
	return s.raw.Subscribe(ctx)
}

// ConnectionStates returns every connection state change.
func (s *ChatWebSocketDataSource) ConnectionStates(ctx context.Context) <-chan domain.ConnectionState {
	return s.states.Subscribe(ctx)
}

// Errors returns asynchronous failures as *domain.Error.
func (s *ChatWebSocketDataSource) Errors(ctx context.Context) <-chan error {
	return s.errs.Subscribe(ctx)
}

// ConnectionState returns the latest connection state.
func (s *ChatWebSocketDataSource) ConnectionState() domain.ConnectionState {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state
}

// History returns the most recent typed events, oldest first.
func (s *ChatWebSocketDataSource) History() []domain.Event { return s.hist.snapshot() }

func (s *ChatWebSocketDataSource) reportError(class domain.ErrorClass, fatal bool, err error) {
	s.errs.Publish(&domain.Error{Class: class, Fatal: fatal, Err: err})
}
