package network

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/chatwire/chatwire/core/clock"
)

// Endpoint returns the URL and headers for one connection attempt. The
// manager calls it before every attempt, so a token source behind it hands
// out a fresh token on every reconnect.
type Endpoint func(ctx context.Context) (url string, header http.Header, err error)

// Handshake runs after the socket opens and before the manager reports
// StateConnected and flushes the outbox: for example, waiting for the
// protocol's greeting, or resending what an earlier connection left
// unacknowledged ahead of the queued frames.
type Handshake func(ctx context.Context, conn HandshakeConn) (HandshakeResult, error)

// HandshakeConn is the new connection as a Handshake sees it.
type HandshakeConn interface {
	// Read returns the next inbound frame; every frame it returns is also
	// delivered on Frames (or, before Read returns, to the Receiver), in
	// order, before any later frame.
	Read(ctx context.Context) ([]byte, error)
	// Send writes a frame on this connection, ahead of the outbox. It may
	// be kept and called after the handshake, from any goroutine, for as
	// long as the connection lives; it fails once the connection has ended.
	Send(ctx context.Context, data []byte) error
	// Conn is the connection's number, as in Frame.Conn.
	Conn() uint64
}

// HandshakeResult is what a protocol learned from its greeting.
type HandshakeResult struct {
	// HeartbeatInterval, if positive and smaller than the configured one,
	// replaces it for this connection (a server's activity timeout).
	HeartbeatInterval time.Duration
	// MaxFrameBytes, if positive, is the largest frame the server accepts
	// on this connection. A frame over it, queued or sent directly, fails
	// with an error matching ErrFrameTooLarge and is never written.
	MaxFrameBytes int64
}

// Decision is what the manager does after a connection ends or an attempt fails.
type Decision int

const (
	// Backoff reconnects after the jittered backoff delay.
	Backoff Decision = iota
	// ReconnectNow reconnects at once. A guard turns repeated immediate
	// reconnects without a stable connection in between into Backoff.
	ReconnectNow
	// Reauthorize reconnects at once with a fresh endpoint (token); a
	// second Reauthorize in a row stops the manager with the error.
	Reauthorize
	// Stop gives up: the manager moves to StateFailed with the error.
	Stop
)

// DefaultClassify is the decision of the chat envelope protocol: a refused
// token (HTTP 401, close 4001) is refreshed once, then the manager stops;
// everything else backs off.
func DefaultClassify(err error) Decision {
	if errors.Is(err, ErrUnauthorized) {
		return Reauthorize
	}
	return Backoff
}

// ManagerOptions configure a ConnectionManager. They are copied by
// NewConnectionManager; zero values take the documented defaults.
type ManagerOptions struct {
	// NewClient returns a fresh, unconnected WebSocketClient for each
	// attempt. Required.
	NewClient func() WebSocketClient
	// Endpoint is called before each attempt. Required.
	Endpoint Endpoint
	// Handshake, if set, runs after each socket opens: on the loop
	// goroutine when there is a Receiver, else on a goroutine the loop
	// waits for.
	Handshake Handshake
	// Receiver, if set, takes every inbound frame and every state change
	// of the loop on the loop goroutine, in order, instead of Frames
	// (which then carries nothing): an owner that decides on each frame
	// with no goroutine of its own. See Receiver.
	Receiver Receiver
	// HandshakeTimeout bounds the dial plus the handshake; zero means 10s.
	HandshakeTimeout time.Duration

	// HeartbeatInterval is how long the connection may be silent before
	// the manager sends a heartbeat; zero means 30s.
	HeartbeatInterval time.Duration
	// PongTimeout is how long after a heartbeat an inbound frame (or pong)
	// must arrive before the connection is declared dead; zero means 10s.
	PongTimeout time.Duration
	// HeartbeatFrame is the protocol's heartbeat text frame; nil means a
	// WebSocket ping control frame.
	HeartbeatFrame []byte

	// ReconnectDelay is the delay before the first reconnect after a drop,
	// plus up to 25% jitter; zero means 5s.
	ReconnectDelay time.Duration
	// MaxReconnectDelay caps the exponential backoff; zero means 60s. A
	// value below ReconnectDelay is raised to it.
	MaxReconnectDelay time.Duration
	// StablePeriod is how long a connection must stay up before the
	// backoff resets; zero means 30s.
	StablePeriod time.Duration
	// MaxAttempts stops the manager after this many failed attempts in a
	// row (StateFailed); an attempt that connects resets the count. Zero
	// means retry forever.
	MaxAttempts int
	// Classify decides per error what to do next; nil means DefaultClassify.
	Classify func(error) Decision

	// OutboxSize bounds the frames waiting for a connection; zero means 256.
	OutboxSize int
	// OutboxTTL is how long a frame may wait in the outbox; zero means 2m.
	OutboxTTL time.Duration

	// Clock drives every timer; nil means the wall clock.
	Clock clock.Clock
	// Logger receives debug logs; nil means silent. Tokens never appear.
	Logger *slog.Logger
	// Rand returns a uniform float in [0,1) for jitter; nil means math/rand/v2.
	Rand func() float64
}

// Defaults of ManagerOptions.
const (
	mgrDefaultHandshakeTimeout  = 10 * time.Second
	mgrDefaultHeartbeatInterval = 30 * time.Second
	mgrDefaultPongTimeout       = 10 * time.Second
	mgrDefaultReconnectDelay    = 5 * time.Second
	mgrDefaultMaxReconnectDelay = 60 * time.Second
	mgrDefaultStablePeriod      = 30 * time.Second
	mgrDefaultOutboxSize        = 256
	mgrDefaultOutboxTTL         = 2 * time.Minute
)

// withDefaults returns a copy of o with every zero value replaced by its
// documented default.
func (o ManagerOptions) withDefaults() ManagerOptions {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.HandshakeTimeout, mgrDefaultHandshakeTimeout)
	def(&o.HeartbeatInterval, mgrDefaultHeartbeatInterval)
	def(&o.PongTimeout, mgrDefaultPongTimeout)
	def(&o.ReconnectDelay, mgrDefaultReconnectDelay)
	def(&o.MaxReconnectDelay, mgrDefaultMaxReconnectDelay)
	def(&o.StablePeriod, mgrDefaultStablePeriod)
	def(&o.OutboxTTL, mgrDefaultOutboxTTL)
	if o.MaxReconnectDelay < o.ReconnectDelay {
		o.MaxReconnectDelay = o.ReconnectDelay
	}
	if o.OutboxSize <= 0 {
		o.OutboxSize = mgrDefaultOutboxSize
	}
	if o.MaxAttempts < 0 {
		o.MaxAttempts = 0
	}
	if o.Classify == nil {
		o.Classify = DefaultClassify
	}
	if o.Clock == nil {
		o.Clock = clock.Real()
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Rand == nil {
		o.Rand = rand.Float64
	}
	if o.HeartbeatFrame != nil {
		o.HeartbeatFrame = append([]byte(nil), o.HeartbeatFrame...)
	}
	return o
}
