package laravel

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/chatwire/chatwire/core/clock"
	"github.com/chatwire/chatwire/core/pusher"
	"github.com/chatwire/chatwire/core/stream"
	"github.com/chatwire/chatwire/data/internal/streams"
	"github.com/chatwire/chatwire/domain"
	"github.com/chatwire/chatwire/internal/recent"
)

var _ domain.ChatWebSocketDataSource = (*DataSource)(nil)

// dedupSize is how many message keys and receipt keys are remembered to
// drop second copies. The sets grow with use up to it.
const dedupSize = 4096

// DataSource is a domain.ChatWebSocketDataSource over a Pusher Channels
// connection to a Laravel-style backend (Reverb, Soketi or Pusher): it
// subscribes the conversation, user and presence channels, maps broadcast
// events and whispers onto typed streams, sends messages and read
// positions through the app's HTTP API and typing and call signals as
// client events.
//
// Concurrency: every method is safe for concurrent use. The protocol
// client's routing goroutine maps every inbound frame and state change
// (the data source is its pusher.Handler), losslessly: while a subscriber
// is behind the client waits, and TCP flow control holds the server back.
// So a goroutine that reads a stream should not also wait in Connect or
// a subscription call while that stream's buffer is full: the answer it
// waits for queues behind the stream (until the subscriber's stall
// bound). Close waits for the routing goroutine, and nothing is sent on
// any stream after Close returns.
type DataSource struct {
	opts   Options
	events *eventTable
	client *pusher.Client
	clock  clock.Clock
	log    *slog.Logger
	tokens *pusher.Tokens
	sender MessageSender
	reader ReadMarker
	hub    *streams.Hub // the typed streams and History

	// subMu makes each Echo listener registration with the Keep of its
	// channel, and each LeaveChannel with its Unsubscribe, one step: the
	// client's subscriptions follow the listeners in the order they came.
	// It is taken before mu.
	subMu sync.Mutex

	mu           sync.Mutex
	state        domain.ConnectionState
	stateChanged chan struct{}                // closed and replaced on every state change
	connects     int                          // Connected transitions seen
	wanted       map[string]bool              // channel names to keep subscribed
	joined       map[string]string            // conversation id → channel name
	members      map[string]bool              // presence: online user ids, as reported on UserStatuses
	listeners    map[string]*channelListeners // Echo listeners by channel
	userEvents   *stream.Broadcaster[ChannelEvent]
	messageIDs   *recent.Set // guarded by mu: ids of messages delivered
	messageKeys  *recent.Set // guarded by mu: sender and client id of id-less messages
	receiptKeys  *recent.Set // guarded by mu
	started      bool
	closed       bool

	closing   chan struct{} // closed by Close
	closeOnce sync.Once
	closeErr  error
}

// New returns a DataSource for opts. It opens no socket and starts no
// goroutine until Connect. It fails on incomplete or contradictory options.
func New(opts Options) (*DataSource, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	table, err := eventTableFor(&o, opts.Events == nil)
	if err != nil {
		return nil, err
	}
	s := &DataSource{
		opts:         o,
		events:       table,
		clock:        o.Clock,
		log:          o.Logger,
		tokens:       pusher.NewTokens("", o.TokenSource),
		hub:          streams.New(streams.Options{Buffer: o.StreamBuffer, HistorySize: o.HistorySize}),
		stateChanged: make(chan struct{}),
		wanted:       map[string]bool{},
		joined:       map[string]string{},
		members:      map[string]bool{},
		listeners:    map[string]*channelListeners{},
		userEvents:   stream.NewBroadcaster[ChannelEvent](stream.Options{Buffer: o.StreamBuffer}),
		messageIDs:   recent.New(dedupSize),
		messageKeys:  recent.New(dedupSize),
		receiptKeys:  recent.New(dedupSize),
		closing:      make(chan struct{}),
	}
	s.state = domain.ConnectionState{Status: domain.Disconnected, UserID: o.UserID}

	authorizer := o.Authorizer
	var users pusher.UserAuthenticator
	if authorizer == nil || o.UserAuthEndpoint != "" {
		ha := pusher.NewHTTPAuthorizer(pusher.HTTPAuthorizerOptions{
			Endpoint:     o.AuthEndpoint,
			UserEndpoint: o.UserAuthEndpoint,
			Tokens:       s.tokens,
			Header:       o.Header,
			Clock:        o.Clock,
			Logger:       o.Logger,
		})
		if authorizer == nil {
			authorizer = ha
		}
		if o.UserAuthEndpoint != "" {
			users = ha
		}
	}
	po := o.pusherOptions(authorizer, users)
	po.Handler = router{s}
	if s.client, err = pusher.New(po); err != nil {
		return nil, fmt.Errorf("laravel: %w", err)
	}

	s.sender, s.reader = o.Sender, o.ReadMarker
	if o.API.BaseURL != "" && (s.sender == nil || s.reader == nil) {
		api := o.API
		if api.Tokens == nil {
			api.Tokens = s.tokens
		}
		if api.SocketID == nil {
			api.SocketID = s.client.SocketID
		}
		hb, err := NewHTTPBackend(api)
		if err != nil {
			return nil, err
		}
		if s.sender == nil {
			s.sender = hb
		}
		if s.reader == nil {
			s.reader = hb
		}
	}

	if !o.DisableUserChannel {
		s.wanted[o.userChannel()] = true
	}
	if !o.DisablePresence {
		s.wanted[o.PresenceChannel] = true
	}
	for _, id := range o.Conversations {
		name, err := s.conversationChannel(id)
		if err != nil {
			return nil, err
		}
		s.joined[id] = name
		s.wanted[name] = true
	}
	return s, nil
}

// Connect opens the connection with accessToken (the bearer token for the
// auth endpoint and the HTTP API) and waits until it is connected and
// every wanted channel is subscribed or refused, or ctx ends. When it
// returns, ConnectionState and SocketID carry the socket id and Members the
// presence channel's members. A refused subscription is returned, not also
// reported on Errors (it matches domain.ErrUnauthorized only when the auth
// endpoint answered 401 or 419: the user must sign in again); the
// connection stays up and the channel is tried again on the next Connect
// or reconnect. ctx bounds only the wait: the connection keeps
// reconnecting until Close.
func (s *DataSource) Connect(ctx context.Context, accessToken string) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return domain.ErrClosed
	}
	s.tokens.Set(accessToken)
	s.started = true
	names := make([]string, 0, len(s.wanted))
	for name := range s.wanted {
		names = append(names, name)
	}
	s.mu.Unlock()
	if err := s.client.Connect(ctx); err != nil {
		return toDomainError(err)
	}
	subErr := s.client.Ensure(ctx, names...)
	if s.opts.UserAuthEndpoint != "" {
		if err := s.client.Signin(ctx); err != nil {
			subErr = errors.Join(subErr, err)
		}
	}
	if err := s.waitConnectedState(ctx); err != nil {
		return err
	}
	if subErr != nil {
		return subscribeError(subErr)
	}
	return nil
}

// UserEvents returns the events the backend sends to the signed-in user
// (Options.UserAuthEndpoint; Laravel's user-targeted broadcasts), typed
// where a decoder knows them, from now on.
func (s *DataSource) UserEvents(ctx context.Context) <-chan ChannelEvent {
	return s.userEvents.Subscribe(ctx)
}

// waitConnectedState waits until the router has taken in a connection, so
// ConnectionState says connected with the socket id when Connect returns.
func (s *DataSource) waitConnectedState(ctx context.Context) error {
	for {
		s.mu.Lock()
		st, changed := s.state, s.stateChanged
		s.mu.Unlock()
		switch {
		case st.Status == domain.Connected && st.SessionID != "":
			return nil
		case st.Status == domain.Closed:
			return domain.ErrClosed
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		case <-s.closing:
			return domain.ErrClosed
		}
	}
}

// Close ends the session: the socket closes with 1000, subscriptions in
// flight end, every stream closes. Idempotent; concurrent calls wait for
// the first.
func (s *DataSource) Close() error {
	s.closeOnce.Do(func() {
		s.hub.StopWaiting() // a router held up by a stalled subscriber goes on
		s.mu.Lock()
		s.closed = true
		close(s.closing)
		s.mu.Unlock()

		s.closeErr = s.client.Close() // waits for its routing goroutine
		s.mu.Lock()
		s.state.Status = domain.Closed
		s.state.At = s.clock.Now()
		s.stateChangedLocked()
		listeners := s.listeners
		s.listeners = map[string]*channelListeners{}
		s.mu.Unlock()
		for _, l := range listeners {
			l.close()
		}
		s.userEvents.Close()
		s.hub.Close()
	})
	return s.closeErr
}

// SocketID returns the current Pusher socket id, or "" while offline.
func (s *DataSource) SocketID() string { return s.client.SocketID() }

// Host returns the node ("host:port") of the current connection, or ""
// while offline.
func (s *DataSource) Host() string { return s.client.Host() }

// Messages returns chat messages, each once: a message is its id, or,
// when the backend sends none, its sender and client id together.
func (s *DataSource) Messages(ctx context.Context) <-chan domain.Message {
	return s.hub.Messages(ctx)
}

// Typing returns typing indicators from events and whispers.
func (s *DataSource) Typing(ctx context.Context) <-chan domain.TypingIndicator {
	return s.hub.Typing(ctx)
}

// UserStatuses returns presence changes: online on joining the presence
// channel, offline (LastSeen now) on leaving it.
func (s *DataSource) UserStatuses(ctx context.Context) <-chan domain.UserStatusUpdate {
	return s.hub.UserStatuses(ctx)
}

// ConversationUpdates returns conversation changes.
func (s *DataSource) ConversationUpdates(ctx context.Context) <-chan domain.ConversationUpdate {
	return s.hub.ConversationUpdates(ctx)
}

// ReadReceipts returns read receipts, each once.
func (s *DataSource) ReadReceipts(ctx context.Context) <-chan domain.ReadReceipt {
	return s.hub.ReadReceipts(ctx)
}

// Calls returns call events and signalling.
func (s *DataSource) Calls(ctx context.Context) <-chan domain.CallEvent {
	return s.hub.Calls(ctx)
}

// RawMessages returns every inbound frame, protocol frames included,
// duplicates included. RawFrame.Data is the frame exactly as received.
func (s *DataSource) RawMessages(ctx context.Context) <-chan domain.RawFrame {
	return s.hub.RawMessages(ctx)
}

// ConnectionStates returns connection state changes. SessionID is the
// socket id. After a reconnect Sync is domain.SyncIncomplete: Pusher does
// not replay what was broadcast while offline, so the app should refetch
// recent history over its HTTP API.
func (s *DataSource) ConnectionStates(ctx context.Context) <-chan domain.ConnectionState {
	return s.hub.ConnectionStates(ctx)
}

// Errors returns asynchronous failures as *domain.Error.
func (s *DataSource) Errors(ctx context.Context) <-chan error { return s.hub.Errors(ctx) }

// ConnectionState returns the latest connection state.
func (s *DataSource) ConnectionState() domain.ConnectionState {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state
}

// stateChangedLocked wakes the callers waiting on a state change. The
// caller holds s.mu.
func (s *DataSource) stateChangedLocked() {
	close(s.stateChanged)
	s.stateChanged = make(chan struct{})
}

// History returns the most recent typed events (Options.HistorySize, 100
// by default), oldest first. An event a subscriber has received is in it.
func (s *DataSource) History() []domain.Event { return s.hub.History() }
