package data

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/chatwire/chatwire/core/clock"
	"github.com/chatwire/chatwire/core/network"
	"github.com/chatwire/chatwire/core/stream"
	"github.com/chatwire/chatwire/data/internal/streams"
	"github.com/chatwire/chatwire/domain"
)

var _ domain.ChatWebSocketDataSource = (*ChatWebSocketDataSource)(nil)

// ChatWebSocketDataSource is the chat envelope protocol over a
// network.ConnectionManager: it decodes and routes frames into typed
// streams, acknowledges sends by their echo, de-duplicates, and catches up
// with a sync after every reconnect.
//
// Concurrency: every method is safe for concurrent use. The connection
// manager's loop goroutine owns the session: it decodes every inbound
// frame, off the socket reader, runs the handshake and decides every
// catch-up (see owner); the data source starts no goroutine of its own for
// it. The send ledger keeps every SendMessage until it ends. Close waits
// for the loop, and nothing is sent on any stream after Close returns.
type ChatWebSocketDataSource struct {
	// Configuration, fixed by New.
	opts        Options
	codec       Codec
	clock       clock.Clock
	log         *slog.Logger
	syncTimeout time.Duration

	// Parts, each safe for concurrent use.
	mgr       *network.ConnectionManager
	nodes     *nodes  // BaseURL and Options.Nodes
	ledger    *ledger // every SendMessage until it ends
	hub       *streams.Hub
	pub       *publishedState // what the loop made of the session, for readers
	recovered *stream.Broadcaster[domain.SendResult]
	store     Store      // nil without Options.Store
	persist   *persister // nil without a store
	enqueue   sync.Mutex // SendMessage: held from storing a send to queueing it

	// The manager's loop goroutine's alone (see owner).
	sess session
	rec  *recorder // nil without a store

	// Between goroutines.
	stopped       chan struct{} // closed once Close has stopped the manager
	everConnected atomic.Bool   // a handshake has succeeded
	storeDetached atomic.Bool   // the store belongs to another user than the session's
	// permanentInARow counts attempts answered for good in a row before a
	// first connection; only classify (the manager's goroutine) uses it.
	permanentInARow int

	mu         sync.Mutex // lifecycle and token
	token      string     // the token given to Connect
	tokenFresh bool       // the next attempt uses token without asking TokenSource
	started    bool
	closed     bool
	closeOnce  sync.Once
	closeErr   error
}

// New returns a data source for opts, or an error wrapping
// ErrInvalidOptions for options it cannot work with (BaseURL empty or not
// ws:// or wss://, negative durations), or the store's error when
// Options.Store cannot be loaded (ErrStoreAccount for another server's).
// It starts no goroutine until Connect.
func New(opts Options) (*ChatWebSocketDataSource, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	opts.Header = opts.Header.Clone()
	s := &ChatWebSocketDataSource{
		opts:        opts,
		codec:       opts.Codec,
		clock:       opts.Clock,
		log:         opts.Logger,
		pub:         newPublishedState(),
		syncTimeout: opts.SyncTimeout,
		sess:        newSession(opts.Resume),
		stopped:     make(chan struct{}),
	}
	if s.syncTimeout <= 0 {
		s.syncTimeout = defaultSyncTimeout
	}
	if s.codec == nil {
		s.codec = DefaultCodec()
	}
	if s.clock == nil {
		s.clock = clock.Real()
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.nodes = newNodes(append([]string{opts.BaseURL}, opts.Nodes...))
	s.ledger = newLedger(s.clock, opts.Connection.OutboxSize, opts.Connection.OutboxTTL)
	s.hub = streams.New(streams.Options{Buffer: opts.StreamBuffer, HistorySize: opts.HistorySize})
	s.recovered = stream.NewBroadcaster[domain.SendResult](stream.Options{})
	if opts.Store != nil {
		if err := s.openStore(opts.Store); err != nil {
			return nil, err
		}
	}
	s.pub.position = s.sess.position()

	mo := opts.Connection.managerOptions()
	mo.NewClient = opts.Transport
	if mo.NewClient == nil {
		gorilla := network.GorillaOptions{ReadLimit: opts.Connection.ReadLimit}
		mo.NewClient = func() network.WebSocketClient { return network.NewGorillaClient(gorilla) }
	}
	mo.Endpoint = s.endpoint
	mo.Handshake = s.handshake
	mo.Receiver = owner{s}
	mo.Classify = s.classify
	mo.HeartbeatFrame = pingFrame
	mo.Clock = s.clock
	mo.Logger = opts.Logger
	s.mgr = network.NewConnectionManager(mo)
	return s, nil
}

var pingFrame = []byte(`{"type":"ping","payload":{}}`)

// Connect opens the session with accessToken and waits until it is
// connected, has failed (for example with domain.ErrUnauthorized, or an
// answer that can never change on the first connect, such as HTTP 404 or a
// refused certificate), or ctx ends (the error then also names the last
// attempt's cause). When it returns nil, ConnectionState already says
// Connected, with the session id. Calling it again after a failure starts
// over with the new token.
func (s *ChatWebSocketDataSource) Connect(ctx context.Context, accessToken string) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return domain.ErrClosed
	}
	s.token, s.tokenFresh = accessToken, accessToken != "" // "": ask TokenSource
	s.ledger.restart(s.mgr.State().Seq)
	if !s.started {
		s.started = true
		if s.persist != nil {
			s.persist.start()
		}
	}
	s.mu.Unlock()
	err := s.mgr.Connect(ctx)
	// What Connect waited for is visible when it returns: nil only once
	// ConnectionState says Connected.
	applied := s.pub.await(ctx, s.mgr.State().Seq, s.stopped)
	if err != nil {
		return toDomainError(err)
	}
	return applied
}

// Close ends the session: the connection closes with 1000, unacknowledged
// sends fail with domain.ErrClosed (a store keeps them for the next
// session), pending store writes are committed, the state becomes
// domain.Closed, and every stream closes. Idempotent; concurrent calls wait
// for the first. It does not close Options.Store.
func (s *ChatWebSocketDataSource) Close() error {
	s.closeOnce.Do(func() {
		s.hub.StopWaiting() // a loop held up by a stalled subscriber goes on
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()

		// The manager first: until its loop has stopped it may be
		// publishing an event (lossless, so blocking). Then the session is
		// no goroutine's but this one's.
		s.closeErr = s.mgr.Close()
		close(s.stopped)
		if c := s.sess.sync; c != nil {
			c.stop()
		}
		closed := domain.ErrClosed
		if s.store != nil {
			closed = fmt.Errorf("%w: the send stays in the store; the next session resends it", domain.ErrClosed)
		}
		s.ledger.close(closed)
		if s.persist != nil {
			s.persist.close()
		}
		s.closeState()
		s.hub.Close()
		s.recovered.Close()
	})
	return s.closeErr
}

// closeState makes the state Closed, which the manager does not pass on
// (and never makes when Connect was never called), and publishes it.
func (s *ChatWebSocketDataSource) closeState() {
	changed := false
	var st domain.ConnectionState
	s.pub.update(func(p *publishedState) {
		if p.state.Status != domain.Closed {
			// As the manager's StateClosed would read: no error, no attempt.
			changed = true
			p.state.Status, p.state.At, p.state.NextRetryAt = domain.Closed, s.clock.Now(), time.Time{}
			p.state.Err, p.state.Attempt = nil, 0
		}
		st = p.state
	})
	if changed {
		s.hub.PublishState(st)
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
	u := strings.TrimSuffix(s.nodes.current(), "/") + "/chat"
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
	st, _ := s.pub.snapshot()
	return st
}

// Position returns how far the session has processed the server's
// replayable events. Save it to resume a later session from it
// (Options.Resume).
func (s *ChatWebSocketDataSource) Position() domain.Position {
	_, pos := s.pub.snapshot()
	return pos
}

// History returns the most recent typed events (Options.HistorySize, 100
// by default), oldest first. An event a subscriber has received is in it.
func (s *ChatWebSocketDataSource) History() []domain.Event { return s.hub.History() }
