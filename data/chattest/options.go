package chattest

import (
	"log/slog"
	"strings"
	"time"

	"github.com/chatwire/chatwire/core/clock"
)

// Options configures a Server. The zero value is a loopback server on a
// random port that accepts only tokens made by IssueToken. NewServer copies
// the struct; changing it afterwards has no effect.
type Options struct {
	// Addr is the TCP address to listen on. Zero means "127.0.0.1:0" (a
	// random loopback port, like httptest).
	Addr string

	// Authenticate, when set, maps a token that IssueToken did not make to
	// a user id; ok=false refuses the upgrade with HTTP 401. Tokens made by
	// IssueToken are always checked first. Nil means only issued tokens are
	// accepted. DevAuthenticate accepts any user id as its own token.
	Authenticate func(token string) (userID string, ok bool)

	// AllowedOrigins, when not empty, lists the Origin header values
	// (scheme://host[:port], compared case-insensitively) a browser may
	// connect from; another Origin gets HTTP 403. Requests without an
	// Origin header (non-browser clients) are always allowed. Empty means
	// any origin.
	AllowedOrigins []string

	// HeartbeatInterval is advertised in session.ready as
	// heartbeat_interval_ms. Zero means 30s. The server itself never times
	// out an idle client.
	HeartbeatInterval time.Duration

	// MaxFrameBytes is the largest inbound frame accepted, advertised in
	// session.ready as max_frame_bytes; a larger frame closes the
	// connection with 4009. Zero means 1 MiB.
	MaxFrameBytes int

	// HistorySize is how many replayable events the server keeps per user
	// for sync. Zero means 1000.
	HistorySize int

	// SendQueueSize is how many frames may wait to be written to one
	// connection; a connection whose queue overflows is closed with 4008
	// (its events stay in the user's history for sync). Zero means 256.
	SendQueueSize int

	// WriteTimeout bounds each socket write. Zero means 10s.
	WriteTimeout time.Duration

	// CloseTimeout is how long the server waits for the peer's close frame
	// after sending its own before it drops the TCP connection. It is a real
	// time safety net, not a protocol timer. Zero means 1s.
	CloseTimeout time.Duration

	// Clock stamps created_at, read_at, last_seen... and runs the Stall
	// timer. Nil means the wall clock; a *clock.Fake makes both
	// deterministic (Stall then ends on Advance).
	Clock clock.Clock

	// Logger receives connection-level events at debug and info level.
	// Tokens are never logged. Nil means silent.
	Logger *slog.Logger
}

func (o Options) withDefaults() Options {
	if o.Addr == "" {
		o.Addr = "127.0.0.1:0"
	}
	if o.HeartbeatInterval <= 0 {
		o.HeartbeatInterval = 30 * time.Second
	}
	if o.MaxFrameBytes <= 0 {
		o.MaxFrameBytes = 1 << 20
	}
	if o.HistorySize <= 0 {
		o.HistorySize = 1000
	}
	if o.SendQueueSize <= 0 {
		o.SendQueueSize = 256
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = 10 * time.Second
	}
	if o.CloseTimeout <= 0 {
		o.CloseTimeout = time.Second
	}
	if o.Clock == nil {
		o.Clock = clock.Real()
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	o.AllowedOrigins = append([]string(nil), o.AllowedOrigins...)
	return o
}

// DevAuthenticate is an Options.Authenticate for local development: the
// token is the user id. It accepts any token of 1 to 128 characters without
// spaces or control characters. Never use it in front of real users.
func DevAuthenticate(token string) (userID string, ok bool) {
	if token == "" || len(token) > 128 {
		return "", false
	}
	if strings.IndexFunc(token, func(r rune) bool { return r <= ' ' || r == 0x7f }) >= 0 {
		return "", false
	}
	return token, true
}
