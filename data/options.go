package data

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/chatwire/chatwire/core/clock"
	"github.com/chatwire/chatwire/core/network"
)

// TokenSource returns a fresh access token. It is asked before every
// reconnect and once more after the server refuses a token.
type TokenSource func(ctx context.Context) (string, error)

// Options configure a ChatWebSocketDataSource. They are copied by New; zero
// values take the documented defaults.
type Options struct {
	// BaseURL is the server's WebSocket base, such as "wss://chat.example.com";
	// the data source dials BaseURL + "/chat". Required.
	BaseURL string
	// TokenSource is asked for a token before every reconnect; nil reuses
	// the token given to Connect.
	TokenSource TokenSource
	// TokenInQuery also sends the token as ?token= for proxies that strip
	// the Authorization header. Off by default: URLs end up in logs.
	TokenInQuery bool
	// Header holds extra handshake headers (Origin, User-Agent...).
	Header http.Header

	// Transport returns a fresh WebSocketClient per connection attempt; nil
	// means network.NewGorillaClient with default options.
	Transport func() network.WebSocketClient
	// Connection tunes the ConnectionManager (heartbeat, backoff, outbox).
	// NewClient, Endpoint, Handshake, HeartbeatFrame, Clock and Logger are
	// set by the data source and ignored here.
	Connection network.ManagerOptions

	// Codec encodes and decodes frames; nil means DefaultCodec.
	Codec Codec
	// StreamBuffer is how many events may wait for a subscriber before the
	// data source waits for it (delivery is lossless; only a subscriber
	// that takes nothing for 10s is cut off); zero means 1024. Memory for
	// it grows only while the subscriber is behind.
	StreamBuffer int
	// HistorySize is how many typed events History keeps; zero means 100.
	HistorySize int
	// ResumeFromSeq, if positive, makes the first connect send a sync from
	// this seq (state the app persisted), as every reconnect does. A seq
	// above the server's last_seq means the server lost its history: the
	// sync ends in domain.SyncIncomplete and the data source follows the
	// server's sequence from its last_seq.
	ResumeFromSeq int64

	// SyncTimeout bounds the wait for sync.done after a reconnect; zero
	// means 10s. Replayable events that arrive meanwhile are held so that
	// they reach consumers in seq order; past the timeout they are released
	// and the state becomes SyncIncomplete (ErrSyncTimeout on Errors).
	SyncTimeout time.Duration

	// Clock drives every timer; nil means the wall clock.
	Clock clock.Clock
	// Logger receives debug logs; nil means silent. Tokens never appear.
	Logger *slog.Logger
}
