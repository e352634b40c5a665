package data

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/chatwire/chatwire/core/clock"
	"github.com/chatwire/chatwire/core/network"
	"github.com/chatwire/chatwire/domain"
)

// TokenSource is domain.TokenSource, the one token type of the SDK.
type TokenSource = domain.TokenSource

// Options configure a ChatWebSocketDataSource. They are copied by New; zero
// values take the documented defaults.
type Options struct {
	// BaseURL is the server's WebSocket base, such as "wss://chat.example.com";
	// the data source dials BaseURL + "/chat". Required: ws:// or wss://.
	BaseURL string
	// Nodes lists more base URLs of the same service (the nodes of a
	// cluster that share users and history). Each data source walks
	// BaseURL and Nodes in an order of its own (shuffled at New), moving to
	// the next after a failed attempt or a lost connection, with the usual
	// backoff and jitter, so clients start spread and the clients of a
	// failed or draining node spread over all the others.
	Nodes []string
	// TokenSource is asked for a token before every reconnect, and for the
	// first one when Connect is given an empty token; nil reuses the token
	// given to Connect.
	TokenSource domain.TokenSource
	// TokenInQuery also sends the token as ?token= for proxies that strip
	// the Authorization header. Off by default: URLs end up in logs.
	TokenInQuery bool
	// Header holds extra handshake headers (Origin, User-Agent...).
	Header http.Header

	// Transport returns a fresh WebSocketClient per connection attempt; nil
	// means network.NewGorillaClient with Connection.ReadLimit.
	Transport func() network.WebSocketClient
	// Connection tunes heartbeat, reconnects and the outbox.
	Connection ConnectionOptions

	// Codec encodes and decodes frames; nil means DefaultCodec.
	Codec Codec
	// StreamBuffer is how many events may wait for a subscriber before the
	// data source waits for it (delivery is lossless; only a subscriber
	// that takes nothing for 10s is cut off); zero means 1024. Memory for
	// it grows only while the subscriber is behind.
	StreamBuffer int
	// HistorySize is how many typed events History keeps; zero means 100.
	HistorySize int
	// Store, if set, keeps the session across restarts: unfinished sends
	// (resent on start, their ends on RecoveredSends), the position the
	// next sync starts from, and a cache of conversations and messages for
	// an offline-first start (domain.OfflineCache). It belongs to one
	// account: New fails with ErrStoreAccount for a store of another
	// server, and a session of another user leaves it untouched (reported
	// on Errors). Nil keeps everything in memory, for the life of the data
	// source. The data source does not close it.
	Store Store

	// Resume, if Seq is positive, is the position an earlier session
	// reached (saved from Position): the first connect syncs from it, as
	// every reconnect does, so what happened in between is replayed. A
	// position the server no longer holds (another epoch, or a seq beyond
	// its last) ends in domain.SyncIncomplete, and the data source follows
	// the server's numbering.
	Resume domain.Position

	// SyncTimeout bounds the wait for sync.done after a reconnect; zero
	// means 10s. Replayable events that arrive meanwhile are held so that
	// they reach consumers in seq order; past the timeout they are released
	// and the state becomes SyncIncomplete (ErrSyncTimeout on Errors), and
	// so at once when the connection manager gives up (Failed: that
	// failure is what Errors reports). A late replay is still merged:
	// nothing is lost or delivered twice.
	SyncTimeout time.Duration

	// Clock drives every timer; nil means the wall clock.
	Clock clock.Clock
	// Logger receives debug logs; nil means silent. Tokens never appear.
	Logger *slog.Logger
}

// ConnectionOptions are the knobs of the connection; zero values take the
// defaults.
type ConnectionOptions struct {
	// HeartbeatInterval is how long the connection may be silent before a
	// ping; zero means 30s. A smaller interval announced by the server
	// wins, but never below one second.
	HeartbeatInterval time.Duration
	// PongTimeout is how long after a ping an inbound frame must arrive
	// before the connection counts as dead; zero means 10s.
	PongTimeout time.Duration
	// HandshakeTimeout bounds dial, upgrade and session.ready; zero means 10s.
	HandshakeTimeout time.Duration
	// ReconnectDelay is the delay before the first reconnect after a drop
	// (plus up to 25% jitter); zero means 5s. Later attempts back off
	// exponentially with full jitter up to MaxReconnectDelay (zero: 60s).
	ReconnectDelay    time.Duration
	MaxReconnectDelay time.Duration
	// MaxAttempts stops reconnecting after this many failed attempts in a
	// row (the state becomes Failed); zero means retry forever.
	MaxAttempts int
	// OutboxSize bounds the sends waiting for a connection or for their
	// acknowledgement; zero means 256. Sends recovered from a Store beyond
	// it wait in the store's order and go out as earlier ones end; until
	// they have, new sends fail with domain.ErrOutboxFull.
	OutboxSize int
	// OutboxTTL bounds every send: it is confirmed or fails within OutboxTTL
	// of the SendMessage call; zero means 2m.
	OutboxTTL time.Duration
	// ReadLimit is the largest inbound frame in bytes for the default
	// transport (ignored with Options.Transport); zero means 1 MiB.
	ReadLimit int64
}

const (
	defaultOutboxSize = 256
	defaultOutboxTTL  = 2 * time.Minute
	// minHeartbeat is the floor of a server-announced heartbeat interval.
	minHeartbeat = time.Second
)

// ErrInvalidOptions is returned by New for options it cannot work with.
var ErrInvalidOptions = errors.New("chatwire: invalid options")

// validate reports what New cannot work with.
func (o *Options) validate() error {
	if o.BaseURL == "" {
		return fmt.Errorf("%w: BaseURL is required", ErrInvalidOptions)
	}
	for _, base := range append([]string{o.BaseURL}, o.Nodes...) {
		if err := validateBaseURL(base); err != nil {
			return err
		}
	}
	c := o.Connection
	for _, d := range []time.Duration{c.HeartbeatInterval, c.PongTimeout, c.HandshakeTimeout,
		c.ReconnectDelay, c.MaxReconnectDelay, c.OutboxTTL, o.SyncTimeout} {
		if d < 0 {
			return fmt.Errorf("%w: negative duration %v", ErrInvalidOptions, d)
		}
	}
	if c.MaxAttempts < 0 || c.OutboxSize < 0 || o.StreamBuffer < 0 || o.HistorySize < 0 {
		return fmt.Errorf("%w: negative size or count", ErrInvalidOptions)
	}
	return nil
}

func validateBaseURL(base string) error {
	u, err := url.Parse(base)
	if err != nil {
		return fmt.Errorf("%w: base URL: %w", ErrInvalidOptions, err)
	}
	if u.Scheme != "ws" && u.Scheme != "wss" {
		return fmt.Errorf("%w: base URL %q: the scheme must be ws or wss", ErrInvalidOptions, u.Redacted())
	}
	if u.Host == "" {
		return fmt.Errorf("%w: base URL %q has no host", ErrInvalidOptions, u.Redacted())
	}
	if u.User != nil {
		return fmt.Errorf("%w: a base URL must not carry credentials; use TokenSource", ErrInvalidOptions)
	}
	return nil
}

// managerOptions assembles the ConnectionManager's options.
func (c ConnectionOptions) managerOptions() network.ManagerOptions {
	return network.ManagerOptions{
		HeartbeatInterval: c.HeartbeatInterval,
		PongTimeout:       c.PongTimeout,
		HandshakeTimeout:  c.HandshakeTimeout,
		ReconnectDelay:    c.ReconnectDelay,
		MaxReconnectDelay: c.MaxReconnectDelay,
		MaxAttempts:       c.MaxAttempts,
		OutboxSize:        c.OutboxSize,
		OutboxTTL:         c.OutboxTTL,
	}
}
