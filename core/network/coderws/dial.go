package coderws

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"net/url"
	"sync"

	"github.com/coder/websocket"

	"github.com/chatwire/chatwire/core/network"
)

var (
	errMalformedURL = errors.New("coderws: malformed url: want ws:// or wss://")
	errNoSocket     = errors.New("coderws: handshake completed without a socket")
)

// dial runs the handshake and returns the connection with the TCP socket
// under it, which Close and the read limit use to end a stuck connection.
// Its errors never carry the URL: the query may hold a token.
func (c *Client) dial(ctx context.Context, rawURL string, header http.Header) (*websocket.Conn, net.Conn, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "ws" && u.Scheme != "wss") || u.Host == "" {
		return nil, nil, &network.DialError{Err: errMalformedURL}
	}
	ctx, cancel := context.WithTimeout(ctx, c.opts.DialTimeout)
	defer cancel()

	// A transport of our own per dial: it records the socket it dials, and
	// speaks HTTP/1.1 only (the upgrade needs it). The upgraded connection
	// leaves its pool, so nothing of it outlives the dial.
	var (
		mu   sync.Mutex
		sock net.Conn
		nd   net.Dialer
	)
	tr := &http.Transport{
		Proxy: c.opts.Proxy,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			conn, err := nd.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			mu.Lock()
			sock = conn // after a redirect, the last socket is the one upgraded
			mu.Unlock()
			return conn, nil
		},
		TLSClientConfig: c.opts.TLSConfig,
		TLSNextProto:    map[string]func(string, *tls.Conn) http.RoundTripper{},
	}
	defer tr.CloseIdleConnections()
	mode := websocket.CompressionDisabled
	if c.opts.EnableCompression {
		mode = websocket.CompressionNoContextTakeover
	}
	conn, resp, err := websocket.Dial(ctx, u.String(), &websocket.DialOptions{
		HTTPClient:      &http.Client{Transport: tr},
		HTTPHeader:      header,
		CompressionMode: mode,
	})
	if err != nil {
		status := 0
		if resp != nil && resp.StatusCode != http.StatusSwitchingProtocols {
			status = resp.StatusCode
		}
		if ctxErr := ctx.Err(); ctxErr != nil && status == 0 {
			err = ctxErr // the handshake timed out or was cancelled
		} else if ue := (*url.Error)(nil); errors.As(err, &ue) {
			err = ue.Err // a *url.Error quotes the URL, token and all
		}
		c.log.Debug("coderws: dial failed", "host", u.Host, "path", u.Path, "status", status)
		return nil, nil, &network.DialError{StatusCode: status, Err: err}
	}
	mu.Lock()
	s := sock
	mu.Unlock()
	if s == nil {
		conn.CloseNow()
		return nil, nil, &network.DialError{Err: errNoSocket}
	}
	c.log.Debug("coderws: connected", "host", u.Host, "path", u.Path)
	return conn, s, nil
}
