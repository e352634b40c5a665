package networktest

import (
	"context"
	"net/http"
	"testing"

	"github.com/chatwire/chatwire/core/network"
)

// Harness plugs one WebSocketClient implementation and one server host into
// RunConformance. Both functions are called from the test goroutine of a
// subtest; whatever they start must stop in t.Cleanup.
type Harness struct {
	// NewClient returns a fresh, unconnected client configured with opts,
	// that will dial srv (transports that dial by URL can ignore srv; an
	// in-memory one binds to it). Required.
	NewClient func(t testing.TB, srv Server, opts ClientOptions) network.WebSocketClient
	// NewServer starts a server configured with opts and stops it (and
	// every connection it accepted) in t.Cleanup. Required.
	NewServer func(t testing.TB, opts ServerOptions) Server
}

// ClientOptions is what a conformance case needs from a client.
type ClientOptions struct {
	// ReadLimit is the largest inbound frame in bytes; zero means the
	// implementation's default.
	ReadLimit int64
}

// ServerOptions configure a scripted server.
type ServerOptions struct {
	// RefuseStatus, if non-zero, refuses every upgrade with this HTTP
	// status.
	RefuseStatus int
}

// Server is a scripted WebSocket server. Its methods are safe for
// concurrent use.
type Server interface {
	// URL is what a client dials (ws://... for a real server).
	URL() string
	// Accept returns the next accepted connection, or ctx's error.
	Accept(ctx context.Context) (ServerConn, error)
}

// ServerConn is the server side of one connection. At most one goroutine
// calls ReadFrame at a time, and one WriteFrame; Close and Drop may be
// called from any goroutine, also while ReadFrame or WriteFrame run.
//
// A server reads only when the script calls ReadFrame (or Close): until
// then pings go unanswered and the client's writes back up, as with a real
// server that stalls.
type ServerConn interface {
	// Header returns the header of the upgrade request.
	Header() http.Header
	// ReadFrame returns the next data frame, answering pings on the way.
	// When the client closes, it answers the close frame and returns a
	// *network.CloseError with the client's code and reason; when the
	// connection drops, a *network.CloseError with code 1006.
	ReadFrame(ctx context.Context) ([]byte, error)
	// WriteFrame writes one text frame.
	WriteFrame(ctx context.Context, data []byte) error
	// Close sends a close frame with code and reason, waits briefly for
	// the client's answer and closes the connection.
	Close(code int, reason string) error
	// Drop closes the connection at once, without a close frame: the
	// client sees an abnormal closure (1006).
	Drop() error
}
