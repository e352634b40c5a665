package coderws

import (
	"crypto/tls"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/chatwire/chatwire/core/network/internal/wsconn"
)

// defaultDialTimeout is the default of Options.DialTimeout; the defaults
// every client shares are in internal/wsconn.
const defaultDialTimeout = 10 * time.Second

// Options configure a Client. NewClient copies them; every zero value means
// the documented default.
type Options struct {
	// ReadLimit is the largest inbound message in bytes; a larger one makes
	// the client close with 1009 and end with network.ErrFrameTooLarge.
	// Zero means 1 MiB; negative means no limit.
	ReadLimit int64
	// WriteQueue bounds the frames waiting for the writer goroutine; a Send
	// beyond it waits for room, or for its ctx. Zero means 16.
	WriteQueue int
	// WriteTimeout bounds the write of one frame to the socket; a write
	// that times out ends the connection. Zero means 10s.
	WriteTimeout time.Duration
	// DialTimeout bounds the dial, the TLS handshake and the WebSocket
	// upgrade together (Connect's ctx can end them sooner). Zero means 10s.
	DialTimeout time.Duration
	// CloseTimeout bounds Close: how long to wait for the peer to answer our
	// close frame before the socket is closed anyway. Zero means 5s;
	// coder/websocket's own close handshake gives up after 5s for the write
	// and 5s for the answer, so values above 10s change nothing.
	CloseTimeout time.Duration

	// TLSConfig is used for wss:// URLs; nil means the zero tls.Config
	// (system roots, server name from the URL).
	TLSConfig *tls.Config
	// Proxy returns the proxy for a request; nil means
	// http.ProxyFromEnvironment (HTTPS_PROXY, NO_PROXY...).
	Proxy func(*http.Request) (*url.URL, error)
	// EnableCompression offers permessage-deflate without context takeover
	// (coder/websocket compresses messages of 512 bytes or more). Off by
	// default.
	EnableCompression bool

	// Logger receives debug logs; nil means silent. URLs are logged
	// without their query and headers are never logged, so tokens stay out.
	Logger *slog.Logger
}

// withDefaults returns a copy of o with every zero value replaced.
func (o Options) withDefaults() Options {
	wsconn.ApplyDefaults(&o.ReadLimit, &o.WriteQueue, &o.WriteTimeout, &o.CloseTimeout)
	if o.ReadLimit < 0 {
		o.ReadLimit = -1 // coder/websocket's "no limit"
	}
	if o.DialTimeout <= 0 {
		o.DialTimeout = defaultDialTimeout
	}
	if o.Proxy == nil {
		o.Proxy = http.ProxyFromEnvironment
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}
