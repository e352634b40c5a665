package memory

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/chatwire/chatwire/core/network"
)

var (
	errServerClosed = errors.New("memory: server closed")
	errRefused      = errors.New("memory: upgrade refused")
	errHasHandler   = errors.New("memory: server has a Handler; Accept is unused")
)

const defaultCloseTimeout = 5 * time.Second

// Request is a dial as the server sees it.
type Request struct {
	URL    string
	Header http.Header
}

// ServerOptions configure a Server. NewServer copies them; zero values mean
// the documented defaults.
type ServerOptions struct {
	// Handler, if set, serves each accepted connection on its own
	// goroutine. Nil means connections wait for Accept.
	Handler func(conn *ServerConn)
	// Upgrade, if set, decides each dial before it is accepted: 0 or 101
	// accepts, any other value refuses the dial with that HTTP status (the
	// client's Connect returns a *network.DialError with it). Nil accepts
	// every dial.
	Upgrade func(req *Request) int
	// CloseTimeout bounds ServerConn.Close's wait for the client's answer.
	// Zero means 5s.
	CloseTimeout time.Duration
}

// Server accepts in-memory dials from Clients. It starts no goroutine of
// its own; with a Handler, it runs one per connection. Its methods are safe
// for concurrent use.
type Server struct {
	opts     ServerOptions
	accepted chan *ServerConn
	quit     chan struct{} // closed by Close
	quitOnce sync.Once

	mu       sync.Mutex
	closed   bool
	conns    map[*ServerConn]struct{}
	handlers sync.WaitGroup
}

// NewServer returns a running server.
func NewServer(opts ServerOptions) *Server {
	if opts.CloseTimeout <= 0 {
		opts.CloseTimeout = defaultCloseTimeout
	}
	return &Server{
		opts:     opts,
		accepted: make(chan *ServerConn, 64),
		quit:     make(chan struct{}),
		conns:    make(map[*ServerConn]struct{}),
	}
}

// URL is a URL to pass to Client.Connect. A Client reaches the Server it
// was made with whatever URL it dials; the URL only reaches Request.
func (s *Server) URL() string { return "memory://chatwire/ws" }

// Accept returns the next accepted connection when the server has no
// Handler, ctx's error, or an error once the server is closed. Up to 64 accepted connections wait for it; a dial beyond that
// waits for room or its ctx.
func (s *Server) Accept(ctx context.Context) (*ServerConn, error) {
	if s.opts.Handler != nil {
		return nil, errHasHandler
	}
	select {
	case c := <-s.accepted:
		return c, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-s.quit:
		return nil, errServerClosed
	}
}

// Close stops accepting dials, drops every open connection (the clients see
// 1006) and waits for the handlers to return. It is idempotent.
func (s *Server) Close() error {
	s.quitOnce.Do(func() { close(s.quit) })
	s.mu.Lock()
	s.closed = true
	conns := make([]*ServerConn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		c.Drop()
	}
	for {
		select {
		case c := <-s.accepted:
			c.Drop()
			continue
		default:
		}
		break
	}
	s.handlers.Wait()
	return nil
}

// dial is a Client's Connect.
func (s *Server) dial(ctx context.Context, url string, header http.Header) (*endpoint, error) {
	if err := ctx.Err(); err != nil {
		return nil, &network.DialError{Err: err}
	}
	req := &Request{URL: url, Header: header.Clone()}
	if req.Header == nil {
		req.Header = http.Header{}
	}
	if s.opts.Upgrade != nil {
		if status := s.opts.Upgrade(req); status != 0 && status != http.StatusSwitchingProtocols {
			return nil, &network.DialError{StatusCode: status, Err: errRefused}
		}
	}
	c := &ServerConn{req: req, closeTimeout: s.opts.CloseTimeout}
	c.link = newLink(func() { s.forget(c) })
	c.ep = c.link.serverEnd()

	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil, &network.DialError{Err: errServerClosed}
	}
	s.conns[c] = struct{}{}
	if h := s.opts.Handler; h != nil {
		s.handlers.Add(1)
		go func() {
			defer s.handlers.Done()
			h(c)
		}()
		s.mu.Unlock()
		return c.link.clientEnd(), nil
	}
	s.mu.Unlock()
	select {
	case s.accepted <- c:
		return c.link.clientEnd(), nil
	case <-ctx.Done():
		c.Drop()
		return nil, &network.DialError{Err: ctx.Err()}
	case <-s.quit:
		c.Drop()
		return nil, &network.DialError{Err: errServerClosed}
	}
}

func (s *Server) forget(c *ServerConn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
}

// ServerConn is the server side of one in-memory connection.
//
// Concurrency: one goroutine at a time may call ReadFrame, and one
// WriteFrame; Close and Drop may be called from any goroutine, also while
// ReadFrame or WriteFrame run. The server reads only in ReadFrame and
// Close: until then the client's writes (and pings) wait, as with a real
// server that stalls.
type ServerConn struct {
	req          *Request
	link         *link
	ep           *endpoint
	closeTimeout time.Duration

	mu     sync.Mutex
	endErr error // the close frame received, once there was one
}

// Request returns the dial this connection answers.
func (c *ServerConn) Request() *Request { return c.req }

// Header returns the dial's header.
func (c *ServerConn) Header() http.Header { return c.req.Header }

// ReadFrame returns the next text frame, answering pings on the way. When
// the client closes, it answers the close frame, closes the connection and
// returns a *network.CloseError with the client's code and reason; when the
// connection is gone, a *network.CloseError with code 1006.
func (c *ServerConn) ReadFrame(ctx context.Context) ([]byte, error) {
	for {
		p, err := c.ep.recv(ctx.Done())
		if err == errStopped {
			return nil, ctx.Err()
		}
		if err != nil {
			c.mu.Lock()
			defer c.mu.Unlock()
			if c.endErr != nil {
				return nil, c.endErr
			}
			return nil, &network.CloseError{Code: network.CloseAbnormal, Err: err}
		}
		switch p.op {
		case opText:
			return p.data, nil
		case opPing:
			c.ep.send(packet{op: opPong, data: p.data}, ctx.Done(), c.closeTimeout)
		case opClose:
			ce := &network.CloseError{Code: p.code, Reason: p.reason}
			c.mu.Lock()
			if c.endErr == nil {
				c.endErr = ce
			}
			c.mu.Unlock()
			c.ep.send(packet{op: opClose, code: p.code}, nil, c.closeTimeout)
			c.link.teardown()
			return nil, ce
		}
	}
}

// WriteFrame writes a copy of data as one text frame and returns once it
// is buffered for the client (waiting while the buffer is full), or ctx's
// error, or an error once the connection is closing or gone.
func (c *ServerConn) WriteFrame(ctx context.Context, data []byte) error {
	err := c.ep.send(packet{op: opText, data: clone(data)}, ctx.Done(), 0)
	if err == errStopped {
		return ctx.Err()
	}
	return err
}

// Close sends a close frame with code and reason, waits up to the server's
// CloseTimeout for the client's answer and closes the connection.
func (c *ServerConn) Close(code int, reason string) error {
	err := c.ep.send(packet{op: opClose, code: code, reason: reason}, nil, c.closeTimeout)
	if err == nil {
		if echo, ok := c.ep.awaitClose(c.closeTimeout); ok {
			c.mu.Lock()
			if c.endErr == nil {
				c.endErr = &network.CloseError{Code: echo.code, Reason: echo.reason}
			}
			c.mu.Unlock()
		}
	}
	c.link.teardown()
	if err == errCloseSent || err == errReset {
		return nil
	}
	return err
}

// Drop closes the connection without a close frame: the client sees an
// abnormal closure (1006).
func (c *ServerConn) Drop() error {
	c.link.teardown()
	return nil
}
