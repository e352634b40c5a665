package chattest

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/gorilla/websocket"

	"github.com/chatwire/chatwire/core/clock"
)

// Server is an in-process chat server speaking the envelope protocol.
//
// Create it with NewServer (listening at once) or NewUnstartedServer plus
// Start. Every method is safe for concurrent use. Close ends every
// connection and waits for every goroutine the server started.
type Server struct {
	// URL is the ws:// base URL, set by the first Start and kept by later
	// ones (Stop/Start reuse the address). Clients dial URL + "/chat".
	URL string

	opts     Options
	log      *slog.Logger
	clk      clock.Clock
	upgrader websocket.Upgrader

	closeOnce sync.Once
	done      chan struct{} // closed when Close starts
	handlers  sync.WaitGroup

	mu        sync.Mutex
	epoch     string // names the seq numbering of every user's history
	closed    bool
	addr      string
	listener  *listenerRun // nil while stopped
	tokens    map[string]string
	users     map[string]*user
	convs     map[string]*conversation
	calls     map[string]*call
	refuseN   int
	refuseSt  int
	stallCh   chan struct{} // non-nil while stalled; closed when the stall ends
	stallStop func() bool
}

// listenerRun is one Start..Stop span of the built-in listener.
type listenerRun struct {
	hs   *http.Server
	done chan struct{} // closed when Serve returns
}

type runKey struct{}

// NewServer returns a server listening on opts.Addr (a random loopback port
// by default). Like httptest.NewServer it panics if it cannot listen; use
// NewUnstartedServer and Start to get the error instead.
func NewServer(opts Options) *Server {
	s := NewUnstartedServer(opts)
	if err := s.Start(); err != nil {
		panic("chattest: " + err.Error())
	}
	return s
}

// NewUnstartedServer returns a server that does not listen until Start. Its
// Handler works at once.
func NewUnstartedServer(opts Options) *Server {
	opts = opts.withDefaults()
	s := &Server{
		opts:   opts,
		epoch:  uuid.NewString(),
		log:    opts.Logger,
		clk:    opts.Clock,
		done:   make(chan struct{}),
		addr:   opts.Addr,
		tokens: make(map[string]string),
		users:  make(map[string]*user),
		convs:  make(map[string]*conversation),
		calls:  make(map[string]*call),
	}
	s.upgrader = websocket.Upgrader{
		// Origin is checked before the upgrade (Options.AllowedOrigins).
		CheckOrigin: func(*http.Request) bool { return true },
	}
	return s
}

// Start listens on the server's address and serves GET /chat. After Stop it
// listens on the same address again, with all state kept. Starting a
// running server does nothing; starting a closed one returns ErrClosed.
func (s *Server) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	if s.listener != nil {
		return nil
	}
	ln, err := net.Listen("tcp", s.addr)
	if err != nil {
		return err
	}
	s.addr = ln.Addr().String()
	if s.URL == "" {
		s.URL = "ws://" + s.addr
	}
	run := &listenerRun{done: make(chan struct{})}
	mux := http.NewServeMux()
	mux.Handle("/chat", s.Handler())
	run.hs = &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
		BaseContext:       func(net.Listener) context.Context { return context.WithValue(context.Background(), runKey{}, run) },
	}
	s.listener = run
	go func() {
		defer close(run.done)
		if err := run.hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Warn("chattest: serve", "err", err)
		}
	}()
	s.log.Info("chattest: listening", "addr", s.addr)
	return nil
}

// Stop takes the listener down and drops every connection abruptly, as a
// crashed or unplugged server would: clients see "connection refused" until
// Start. Conversations, messages, seqs and histories are kept. Stop returns
// once the dropped connections are cleaned up. Stopping a stopped server
// does nothing.
func (s *Server) Stop() {
	s.mu.Lock()
	run := s.listener
	s.listener = nil
	s.mu.Unlock()
	if run == nil {
		return
	}
	_ = run.hs.Close()
	<-run.done
	s.DropAll()
	s.log.Info("chattest: stopped", "addr", s.addr)
}

// Close stops the listener, closes every connection with 1001 (going away;
// a stalled connection is dropped without a close frame) and waits for every
// goroutine the server started. Idempotent; later calls wait for the first.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		close(s.done)
		if s.stallStop != nil {
			s.stallStop()
			s.stallStop = nil
		}
		run := s.listener
		s.listener = nil
		conns := s.allConnsLocked()
		s.mu.Unlock()
		if run != nil {
			_ = run.hs.Close()
			<-run.done
		}
		for _, c := range conns {
			c.requestClose(CloseGoingAway, "server closed")
		}
		s.handlers.Wait()
		s.log.Info("chattest: closed")
	})
}

// Handler returns the WebSocket endpoint as an http.Handler, to mount on a
// mux of your own (it serves whatever path it is mounted on). Close also
// waits for connections served through it.
func (s *Server) Handler() http.Handler { return http.HandlerFunc(s.serveChat) }

// enter counts a request in, unless the server is closed.
func (s *Server) enter() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.handlers.Add(1)
	return true
}

func (s *Server) serveChat(w http.ResponseWriter, r *http.Request) {
	if !s.enter() {
		http.Error(w, "server closed", http.StatusServiceUnavailable)
		return
	}
	defer s.handlers.Done()
	if st := s.takeRefusal(); st != 0 {
		http.Error(w, http.StatusText(st), st)
		return
	}
	if !s.originAllowed(r.Header.Get("Origin")) {
		http.Error(w, "origin not allowed", http.StatusForbidden)
		return
	}
	userID, ok := s.authenticate(tokenFrom(r))
	if !ok {
		w.Header().Set("WWW-Authenticate", `Bearer realm="chatwire"`)
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	// A stalled server does not answer upgrades either.
	if !s.waitGate(r.Context().Done()) {
		return
	}
	ws, err := s.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // the upgrader has answered with an HTTP error
	}
	run, _ := r.Context().Value(runKey{}).(*listenerRun)
	s.serveConn(ws, userID, run)
}

// waitGate blocks while the server is stalled. It reports false when stop
// or the server's closing ended the wait instead.
func (s *Server) waitGate(stop <-chan struct{}) bool {
	s.mu.Lock()
	ch := s.stallCh
	s.mu.Unlock()
	if ch == nil {
		return true
	}
	select {
	case <-ch:
		return true
	case <-stop:
		return false
	case <-s.done:
		return false
	}
}
