package data

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/chatwire/chatwire/core/clock"
	"github.com/chatwire/chatwire/core/network"
	"github.com/chatwire/chatwire/data/internal/streams"
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
	hub     *streams.Hub // the typed streams and History

	mu          sync.Mutex
	token       string // the token given to Connect
	tokenFresh  bool   // the next attempt uses token without asking TokenSource
	state       domain.ConnectionState
	maxFrame    int64
	seqs        seqTracker      // the pump's; under mu with the state it decides
	held        []heldEvent     // the pump's: replayable events held until sync.done
	syncRound   uint64          // counts syncs asked for; tags their timeouts
	stopSync    func() bool     // cancels the running sync timeout, if any
	session     sessionDecision // also counts the session.ready frames processed
	started     bool
	closed      bool
	stopPump    context.CancelFunc
	pumpStopped chan struct{}
	syncTimeout time.Duration
	syncExpired chan uint64 // a sync's timeout fired; read by the pump
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
		syncTimeout: opts.SyncTimeout,
		syncExpired: make(chan uint64, 1),
	}
	if s.syncTimeout <= 0 {
		s.syncTimeout = defaultSyncTimeout
	}
	s.session = sessionDecision{mu: &s.mu, since: -1, changed: make(chan struct{})}
	if s.codec == nil {
		s.codec = DefaultCodec()
	}
	if s.clock == nil {
		s.clock = clock.Real()
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.hub = streams.New(streams.Options{Buffer: opts.StreamBuffer, HistorySize: opts.HistorySize})

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
// sends fail with domain.ErrClosed, the state becomes domain.Closed, and
// every stream closes. Idempotent; concurrent calls wait for the first.
func (s *ChatWebSocketDataSource) Close() error {
	s.closeOnce.Do(func() {
		s.hub.StopWaiting() // a pump held up by a stalled subscriber goes on
		s.mu.Lock()
		s.closed = true
		started := s.started
		s.mu.Unlock()

		// The manager first: until its loop has stopped it may be
		// publishing a frame to the pump (lossless, so blocking) or have a
		// handshake waiting on the pump's session decision.
		s.closeErr = s.mgr.Close()
		if started {
			s.stopPump()
			<-s.pumpStopped
		}
		s.mu.Lock()
		s.stopSyncTimeoutLocked()
		s.mu.Unlock()
		s.pending.failAll(domain.ErrClosed)
		s.closeState()
		s.hub.Close()
	})
	return s.closeErr
}

// closeState makes the state Closed, which the pump may not have seen (or
// never will, when Connect was never called), and publishes the change.
func (s *ChatWebSocketDataSource) closeState() {
	s.mu.Lock()
	changed := s.state.Status != domain.Closed
	if changed {
		s.state.Status, s.state.At, s.state.NextRetryAt = domain.Closed, s.clock.Now(), time.Time{}
	}
	state := s.state
	s.mu.Unlock()
	if changed {
		s.hub.PublishState(state)
	}
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
	return s.hub.Messages(ctx)
}

// Typing returns typing indicators of other users.
func (s *ChatWebSocketDataSource) Typing(ctx context.Context) <-chan domain.TypingIndicator {
	return s.hub.Typing(ctx)
}

// UserStatuses returns presence changes.
func (s *ChatWebSocketDataSource) UserStatuses(ctx context.Context) <-chan domain.UserStatusUpdate {
	return s.hub.UserStatuses(ctx)
}

// ConversationUpdates returns conversation changes, each once.
func (s *ChatWebSocketDataSource) ConversationUpdates(ctx context.Context) <-chan domain.ConversationUpdate {
	return s.hub.ConversationUpdates(ctx)
}

// ReadReceipts returns read receipts, each once.
func (s *ChatWebSocketDataSource) ReadReceipts(ctx context.Context) <-chan domain.ReadReceipt {
	return s.hub.ReadReceipts(ctx)
}

// Calls returns call events and signalling, each once.
func (s *ChatWebSocketDataSource) Calls(ctx context.Context) <-chan domain.CallEvent {
	return s.hub.Calls(ctx)
}

// RawMessages returns every inbound frame, typed or not, duplicates included.
func (s *ChatWebSocketDataSource) RawMessages(ctx context.Context) <-chan domain.RawFrame {
	return s.hub.RawMessages(ctx)
}

// ConnectionStates returns every connection state change.
func (s *ChatWebSocketDataSource) ConnectionStates(ctx context.Context) <-chan domain.ConnectionState {
	return s.hub.ConnectionStates(ctx)
}

// Errors returns asynchronous failures as *domain.Error.
func (s *ChatWebSocketDataSource) Errors(ctx context.Context) <-chan error {
	return s.hub.Errors(ctx)
}

// ConnectionState returns the latest connection state.
func (s *ChatWebSocketDataSource) ConnectionState() domain.ConnectionState {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state
}

// History returns the most recent typed events (Options.HistorySize, 100
// by default), oldest first. An event a subscriber has received is in it.
func (s *ChatWebSocketDataSource) History() []domain.Event { return s.hub.History() }
