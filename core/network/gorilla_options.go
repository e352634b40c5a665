package network

import (
	"crypto/tls"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/chatwire/chatwire/core/network/internal/wsconn"
)

// Defaults of GorillaOptions of its own; the ones every client shares are
// in internal/wsconn.
const (
	defaultHandshakeTimeout = 10 * time.Second
	defaultReadBufferSize   = 1024
	defaultWriteBufferSize  = 4096
)

// GorillaOptions configure a GorillaClient. NewGorillaClient copies them;
// every zero value means the documented default.
type GorillaOptions struct {
	// ReadLimit is the largest inbound message in bytes; a larger one makes
	// the client close with 1009 and end with ErrFrameTooLarge. Zero means
	// 1 MiB; negative means no limit.
	ReadLimit int64
	// WriteQueue bounds the frames (and pings) waiting for the writer
	// goroutine; a Send beyond it waits for room, or for its ctx. Zero means 16.
	WriteQueue int
	// WriteTimeout bounds the write of one frame to the socket; a write
	// that times out ends the connection. Zero means 10s.
	WriteTimeout time.Duration
	// HandshakeTimeout bounds the dial, the TLS handshake and the WebSocket
	// upgrade together (Connect's ctx can end them sooner). Zero means 10s.
	HandshakeTimeout time.Duration
	// CloseTimeout bounds Close: how long to wait for the peer to answer our
	// close frame before the socket is closed anyway. Zero means 5s.
	CloseTimeout time.Duration

	// TLSConfig is used for wss:// URLs; nil means the zero tls.Config
	// (system roots, server name from the URL).
	TLSConfig *tls.Config
	// Proxy returns the proxy for a request; nil means
	// http.ProxyFromEnvironment (HTTPS_PROXY, NO_PROXY...).
	Proxy func(*http.Request) (*url.URL, error)

	// ReadBufferSize is the size of the socket read buffer, held for the
	// connection's life. Zero means 1 KiB, which keeps idle connections
	// small; larger messages bypass the buffer. Values under 125 mean 125.
	ReadBufferSize int
	// WriteBufferSize is the size of a write buffer. Zero means 4 KiB.
	WriteBufferSize int
	// WriteBufferPool lends write buffers for the duration of one write, so
	// an idle connection holds none. Nil means a pool shared by every
	// GorillaClient with the same WriteBufferSize.
	WriteBufferPool websocket.BufferPool
	// EnableCompression offers permessage-deflate (no context takeover).
	EnableCompression bool

	// Logger receives debug logs; nil means silent. URLs are logged
	// without their query and headers are never logged, so tokens stay out.
	Logger *slog.Logger
}

// withDefaults returns a copy of o with every zero value replaced.
func (o GorillaOptions) withDefaults() GorillaOptions {
	wsconn.ApplyDefaults(&o.ReadLimit, &o.WriteQueue, &o.WriteTimeout, &o.CloseTimeout)
	if o.HandshakeTimeout <= 0 {
		o.HandshakeTimeout = defaultHandshakeTimeout
	}
	if o.Proxy == nil {
		o.Proxy = http.ProxyFromEnvironment
	}
	if o.ReadBufferSize <= 0 {
		o.ReadBufferSize = defaultReadBufferSize
	}
	if o.WriteBufferSize <= 0 {
		o.WriteBufferSize = defaultWriteBufferSize
	}
	if o.WriteBufferPool == nil {
		o.WriteBufferPool = sharedWritePool(o.WriteBufferSize)
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// writePools holds one *sync.Pool per write buffer size: gorilla expects a
// pool to serve connections with one buffer size.
var writePools sync.Map // int -> *sync.Pool

func sharedWritePool(size int) websocket.BufferPool {
	if p, ok := writePools.Load(size); ok {
		return p.(*sync.Pool)
	}
	p, _ := writePools.LoadOrStore(size, &sync.Pool{})
	return p.(*sync.Pool)
}
