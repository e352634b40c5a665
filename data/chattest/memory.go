package chattest

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/chatwire/chatwire/core/network"
	"github.com/chatwire/chatwire/core/network/memory"
)

// memoryHandshakeTimeout bounds the bridge's own upgrade to the server.
const memoryHandshakeTimeout = 10 * time.Second

// Transport returns a factory of network.WebSocketClients that reach this
// server in memory (core/network/memory): set it as data.Options.Transport
// and data.New runs against the server without a socket, for unit tests.
// BaseURL still names the server (srv.URL will do); the path and query of
// each dial are kept.
//
// The server behaves as over TCP: tokens, origins, RefuseUpgrades, DropAll,
// CloseAll, Stall and Close apply the same. Each connection is an
// in-memory link to a bridge that serves it with the server's own handler
// over an in-process pipe. WebSocket pings are answered by the link
// itself; the envelope protocol's own ping frames reach the server.
//
// Each call returns a factory of its own; a factory is safe for concurrent
// use, and nothing of it outlives the connections it made.
func (s *Server) Transport() func() network.WebSocketClient {
	b := &memoryBridge{srv: s, pending: make(map[*memory.Request]*websocket.Conn)}
	ms := memory.NewServer(memory.ServerOptions{Upgrade: b.upgrade, Handler: b.serve})
	return func() network.WebSocketClient { return memory.NewClient(ms, memory.Options{}) }
}

// memoryBridge joins in-memory connections to the server's handler.
type memoryBridge struct {
	srv *Server

	mu      sync.Mutex
	pending map[*memory.Request]*websocket.Conn // upgraded, not yet served
}

// upgrade runs the dial's WebSocket handshake against the server's handler
// over a pipe, and answers the in-memory dial with the server's status.
func (b *memoryBridge) upgrade(req *memory.Request) int {
	target := "ws://chattest.memory/chat"
	if u, err := url.Parse(req.URL); err == nil && u.Path != "" {
		target = (&url.URL{Scheme: "ws", Host: "chattest.memory", Path: u.Path, RawQuery: u.RawQuery}).String()
	}
	client, server := net.Pipe()
	l := &oneConnListener{conn: server, closed: make(chan struct{})}
	hs := &http.Server{Handler: b.srv.Handler(), ReadHeaderTimeout: memoryHandshakeTimeout}
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = hs.Serve(l) // returns once l is closed; the connection lives on
	}()
	dialer := websocket.Dialer{
		NetDialContext:   func(context.Context, string, string) (net.Conn, error) { return client, nil },
		HandshakeTimeout: memoryHandshakeTimeout,
	}
	ws, resp, err := dialer.Dial(target, req.Header)
	_ = l.Close()
	<-served
	if err != nil {
		_ = client.Close()
		if resp != nil && resp.StatusCode != http.StatusSwitchingProtocols {
			return resp.StatusCode
		}
		return http.StatusServiceUnavailable
	}
	b.mu.Lock()
	b.pending[req] = ws
	b.mu.Unlock()
	return http.StatusSwitchingProtocols
}

// serve carries frames between the in-memory connection and the server
// until either ends, and carries the end across: a close frame with its
// code, or a dropped connection.
func (b *memoryBridge) serve(c *memory.ServerConn) {
	b.mu.Lock()
	ws := b.pending[c.Request()]
	delete(b.pending, c.Request())
	b.mu.Unlock()
	if ws == nil {
		_ = c.Drop()
		return
	}
	defer ws.Close()
	fromServer := make(chan struct{})
	go func() { // server → client
		defer close(fromServer)
		for {
			kind, data, err := ws.ReadMessage()
			var ce *websocket.CloseError
			switch {
			case errors.As(err, &ce):
				_ = c.Close(ce.Code, ce.Text)
				return
			case err != nil:
				_ = c.Drop()
				return
			case kind == websocket.TextMessage:
				if c.WriteFrame(context.Background(), data) != nil {
					return
				}
			}
		}
	}()
	for { // client → server
		data, err := c.ReadFrame(context.Background())
		if err != nil {
			var ce *network.CloseError
			if errors.As(err, &ce) && ce.Code != network.CloseAbnormal {
				msg := websocket.FormatCloseMessage(ce.Code, ce.Reason)
				_ = ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(memoryHandshakeTimeout))
			}
			break
		}
		if ws.WriteMessage(websocket.TextMessage, data) != nil {
			_ = c.Drop()
			break
		}
	}
	select { // the server's answer to a close, or its end
	case <-fromServer:
	case <-time.After(b.srv.opts.CloseTimeout):
	}
	_ = ws.Close()
	<-fromServer
}

// oneConnListener hands out one connection, then waits for Close.
type oneConnListener struct {
	mu     sync.Mutex
	conn   net.Conn
	closed chan struct{}
	once   sync.Once
}

func (l *oneConnListener) Accept() (net.Conn, error) {
	l.mu.Lock()
	c := l.conn
	l.conn = nil
	l.mu.Unlock()
	if c != nil {
		return c, nil
	}
	<-l.closed
	return nil, net.ErrClosed
}

func (l *oneConnListener) Close() error {
	l.once.Do(func() { close(l.closed) })
	return nil
}

func (l *oneConnListener) Addr() net.Addr { return memoryAddr{} }

type memoryAddr struct{}

func (memoryAddr) Network() string { return "memory" }
func (memoryAddr) String() string  { return "chattest.memory" }
