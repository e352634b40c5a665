package network

import (
	"context"
	"net/http"
)

//go:generate go tool mockgen -typed -destination=../../mocks/networkmock/websocket_client.go -package=networkmock . WebSocketClient

// WebSocketClient is one WebSocket connection: dial, send text frames, read
// frames, close. It never reconnects; ConnectionManager does that on top.
//
// Concurrency: Connect is called once, before anything else. After it
// returns nil, Send, Ping, Frames, Done, Err and Close may be called from any
// goroutine. Implementations run at most one reader and one writer goroutine
// and stop both before Close returns.
type WebSocketClient interface {
	// Connect dials url with header and completes the WebSocket handshake.
	// It honours ctx for the dial and handshake only. A refused upgrade is
	// a *DialError carrying the HTTP status. Calling it twice is an error.
	Connect(ctx context.Context, url string, header http.Header) error

	// Send writes one text frame. It returns nil once the frame was written
	// to the socket, or an error: ErrClosed once the connection has ended,
	// ErrNotConnected before Connect, ctx.Err() if ctx ends first. When it
	// returns ctx's error and the frame had not yet reached the writer, the
	// frame is guaranteed not to be written (chatwire's clients go
	// further: once the writer has taken a frame, Send waits for that write,
	// so a ctx error always means "not written"). Safe for
	// concurrent use; frames from one goroutine keep their order.
	Send(ctx context.Context, data []byte) error

	// Ping sends a WebSocket ping control frame and waits for the pong, ctx
	// or the end of the connection.
	Ping(ctx context.Context) error

	// Frames returns the inbound data frames in arrival order. The channel
	// is closed when the connection ends, before Done is closed. Each frame
	// is a fresh slice the receiver owns.
	Frames() <-chan []byte

	// Done is closed when the connection has ended and both goroutines have
	// stopped.
	Done() <-chan struct{}

	// Err returns nil while the connection is open and, once Done is
	// closed, why it ended: a *CloseError with the peer's (or our) close
	// code and reason, ErrFrameTooLarge wrapped in one for an oversized
	// frame, or the network error.
	Err() error

	// Close sends a close frame with code and reason, closes the socket and
	// waits for the reader and writer goroutines. It is idempotent and safe
	// to call concurrently with everything else, including itself.
	Close(code int, reason string) error
}
