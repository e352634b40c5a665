package pusher

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/chatwire/chatwire/core/clock"
	"github.com/chatwire/chatwire/core/network"
	"github.com/chatwire/chatwire/core/stream"
)

// Version is sent as the version query parameter of the connection URL.
const Version = "0.1.0"

// ClientName is sent as the client query parameter of the connection URL.
const ClientName = "chatwire-go"

// DefaultPongTimeout is how long the Client waits for pusher:pong (or any
// frame) after a pusher:ping before it declares the connection dead.
const DefaultPongTimeout = 30 * time.Second

// DefaultClientEventsPerSecond is the protocol's client event rate limit.
const DefaultClientEventsPerSecond = 10

// DefaultSubscribeTimeout is how long a subscribe frame may go unanswered.
const DefaultSubscribeTimeout = 30 * time.Second

// Options configure a Client. They are copied by New; zero values take the
// documented defaults.
type Options struct {
	// Host is the server's "host:port", for Soketi "127.0.0.1:6001".
	// Required unless Hosts is set.
	Host string
	// Hosts lists more nodes ("host:port") of the same cluster. The Client
	// walks Host and Hosts in an order of its own, shuffled at New: it
	// starts with the first, and moves on to the next after a failed
	// attempt or a lost connection (a node that closes with a 4200-range
	// code while it drains, or that refuses new connections so, included),
	// with the manager's backoff and jitter. So clients spread over the
	// nodes, and those of a failed node spread over the others.
	Hosts []string
	// Key is the application key. Required.
	Key string
	// TLS connects with wss instead of ws.
	TLS bool
	// TLSFallback reconnects with wss when the server refuses a plain
	// connection with code 4000; without it, 4000 stops the Client.
	TLSFallback bool
	// Header is sent with every connection attempt (for example cookies).
	Header http.Header

	// Authorizer signs private and presence subscriptions; nil allows
	// public channels only.
	Authorizer Authorizer
	// UserAuthenticator signs the user's sign-in (Signin); nil means
	// Signin fails with ErrNoUserAuthenticator.
	UserAuthenticator UserAuthenticator

	// Manager tunes the underlying network.ConnectionManager. A nil
	// NewClient means network.NewGorillaClient with zero GorillaOptions
	// (and Logger). The Client sets Endpoint, Handshake and HeartbeatFrame
	// itself; a zero PongTimeout means DefaultPongTimeout; a nil Classify
	// means the package's Classify. The heartbeat interval is the smaller
	// of Manager.HeartbeatInterval and the server's activity timeout.
	Manager network.ManagerOptions

	// ClientEventsPerSecond limits Trigger; zero means
	// DefaultClientEventsPerSecond.
	ClientEventsPerSecond int
	// SubscribeTimeout bounds the wait for the server's answer to a
	// subscribe frame; zero means DefaultSubscribeTimeout. A subscription
	// left unanswered fails with a *SubscriptionError matching
	// ErrSubscribeTimeout and is tried again after the next reconnect.
	SubscribeTimeout time.Duration
	// PresenceGrace is how long a presence member who left (a
	// member_removed, or a member missing from a fresh member list) stays
	// in Channel.Members before MemberRemoved is reported; a member_added
	// meanwhile cancels it. A member whose node failed thus moves to
	// another node without being seen leaving and coming back. Zero means
	// 1.25 × Manager.ReconnectDelay + Manager.HandshakeTimeout (16.25s with
	// their defaults): a peer's first reconnect delay with its jitter, and
	// its handshake. Negative reports a removal at once.
	PresenceGrace time.Duration
	// PresenceRefresh is how often the member list of a subscribed
	// presence channel is fetched again (a repeated subscribe on the same
	// socket, with the same signature), plus up to 25% jitter: a node that
	// dies sends no member_removed for its members, and a fresh list is how
	// a client that kept its connection learns they are gone. A member
	// this Client knows joining again is the sign of such a loss: the list
	// is then fetched within Manager.ReconnectDelay plus up to 100% jitter.
	// Zero means 60s; negative turns refreshes off.
	PresenceRefresh time.Duration
	// Buffer is each stream subscriber's buffer; zero means
	// stream.DefaultBuffer for Events and MemberEvents, and 32 for States
	// and Errors (rare, small values). A subscriber that falls a full
	// buffer behind is cut off (its channel closes) and
	// stream.ErrSlowConsumer is reported on Errors; Frames never cuts off.
	Buffer int
	// Logger receives debug logs (and is passed to the manager when
	// Manager.Logger is nil); nil means silent. Tokens and auth signatures
	// never appear.
	Logger *slog.Logger

	// Handler, if set, takes every frame, state change and error as it
	// happens, besides the Frames, States and Errors streams: an owner
	// that maps frames needs no goroutine and no stream of its own. See
	// Handler.
	Handler Handler
}

// Client is a Pusher Channels protocol 7 connection with its channel
// subscriptions, kept across reconnects.
//
// Concurrency: every method is safe for concurrent use. One goroutine
// (started by the first Connect) reads frames and state changes and routes
// them to channels; authorizations run in short-lived goroutines. Close
// stops them all and closes every stream; nothing is sent on a stream after
// Close returns.
type Client struct {
	opts    Options
	hosts   *hosts
	mgr     *network.ConnectionManager
	clock   clock.Clock
	log     *slog.Logger
	limiter *rateLimiter
	useTLS  atomic.Bool
	sock    socketTracker // the latest socket, to drop it on a coded pusher:error

	errs   *stream.Broadcaster[error]
	frames *stream.Broadcaster[Frame]
	states *stream.Broadcaster[network.StateChange]

	mu          sync.Mutex
	channels    map[string]*Channel
	greeted     string         // socket id of the latest handshake
	greetedConn uint64         // the manager's number for the latest handshake's connection
	dialing     string         // host of the attempt under way
	greetedHost string         // host of the latest handshake
	greetedSock *trackedSocket // socket of the latest handshake
	// frameConn is the manager's number for the connection route is
	// reading frames of (network.Frame.Conn): not its socket id, which a
	// server may hand out again on a new connection.
	frameConn uint64
	// routedConn is route's own copy of frameConn, to take c.mu only when
	// the connection changes. Only route uses it.
	routedConn  uint64
	conn        *connection   // the connection subscriptions run on; nil when offline
	connChanged chan struct{} // closed and replaced whenever conn changes
	user        signin        // the user's sign-in
	sendSeq     uint64        // orders subscribe frames, for code-less pusher:error
	started     bool
	closed      bool
	stopRouting context.CancelFunc
	presence    presenceTimer // grace periods and member list refreshes

	closing   chan struct{} // closed by Close
	wg        sync.WaitGroup
	closeOnce sync.Once
	closeErr  error
}

// connection is one established socket as the Client sees it.
type connection struct {
	id       uint64 // the manager's number for it (network.Frame.Conn)
	socketID string
	host     string
	sock     *trackedSocket
	done     chan struct{} // closed when the socket is no longer current
}

// New returns a Client. It starts no goroutine and opens no socket until
// Connect.
func New(opts Options) (*Client, error) {
	hs, err := newHosts(opts.Host, opts.Hosts)
	if err != nil {
		return nil, err
	}
	if opts.Key == "" {
		return nil, errors.New("pusher: options: no key")
	}
	opts.Header = opts.Header.Clone()
	opts.Hosts = append([]string(nil), opts.Hosts...)
	if opts.ClientEventsPerSecond <= 0 {
		opts.ClientEventsPerSecond = DefaultClientEventsPerSecond
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	clk := opts.Manager.Clock
	if clk == nil {
		clk = clock.Real()
	}
	if opts.SubscribeTimeout <= 0 {
		opts.SubscribeTimeout = DefaultSubscribeTimeout
	}
	opts.PresenceGrace, opts.PresenceRefresh = presenceDefaults(opts)
	c := &Client{
		opts:        opts,
		hosts:       hs,
		clock:       clk,
		log:         log,
		limiter:     newRateLimiter(clk, opts.ClientEventsPerSecond, time.Second),
		channels:    make(map[string]*Channel),
		connChanged: make(chan struct{}),
		closing:     make(chan struct{}),
		presence:    presenceTimer{wake: make(chan struct{}, 1)},
	}
	small := opts.Buffer
	if small <= 0 {
		small = smallBuffer
	}
	c.errs = stream.NewBroadcaster[error](stream.Options{Buffer: small})
	c.frames = stream.NewBroadcaster[Frame](stream.Options{Buffer: framesBuffer, StallTimeout: framesStallTimeout, OnEvict: c.reportEvict})
	c.states = stream.NewBroadcaster[network.StateChange](stream.Options{Buffer: small, OnEvict: c.reportEvict})
	c.user.events = stream.NewBroadcaster[Event](stream.Options{Buffer: opts.Buffer, OnEvict: c.reportEvict})

	mo := opts.Manager
	mo.Endpoint = c.endpoint
	mo.Handshake = c.handshake
	mo.HeartbeatFrame = PingFrame()
	mo.Classify = c.classify
	if mo.PongTimeout <= 0 {
		mo.PongTimeout = DefaultPongTimeout
	}
	if mo.Logger == nil {
		mo.Logger = opts.Logger
	}
	newClient := mo.NewClient
	if newClient == nil {
		logger := opts.Logger
		newClient = func() network.WebSocketClient {
			return network.NewGorillaClient(network.GorillaOptions{Logger: logger})
		}
	}
	mo.NewClient = func() network.WebSocketClient { return c.sock.track(newClient()) }
	c.mgr = network.NewConnectionManager(mo)
	return c, nil
}

// Connect starts the connection (and the routing goroutine) if it is not
// running and waits until the Client is connected, has failed, is closed,
// or ctx ends. When it returns nil, SocketID is known. ctx bounds only the
// wait: the Client keeps reconnecting until Close. Channels subscribed
// before Connect are subscribed once the connection is up.
func (c *Client) Connect(ctx context.Context) error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return ErrClosed
	}
	if !c.started {
		c.started = true
		rctx, cancel := context.WithCancel(context.Background())
		c.stopRouting = cancel
		// Subscribe before the manager starts, so no frame or state is missed.
		frames := c.mgr.Frames(rctx)
		states := c.mgr.States(rctx)
		errs := c.mgr.Errors(rctx)
		c.wg.Add(1)
		go c.route(rctx, frames, states, errs, c.presence.wake)
	}
	c.mu.Unlock()
	if err := c.mgr.Connect(ctx); err != nil {
		return err
	}
	return c.waitConn(ctx)
}

// waitConn waits until the routing goroutine has taken in a connection:
// the manager reports it connected before route has read that state.
func (c *Client) waitConn(ctx context.Context) error {
	for {
		c.mu.Lock()
		conn, closed, changed := c.conn, c.closed, c.connChanged
		c.mu.Unlock()
		switch {
		case conn != nil:
			return nil
		case closed:
			return ErrClosed
		}
		if st := c.mgr.State(); st.State == network.StateFailed {
			return st.Err
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		case <-c.closing:
			return ErrClosed
		}
	}
}

// SocketID returns the socket id of the current connection, or "" while
// not connected.
func (c *Client) SocketID() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.conn == nil {
		return ""
	}
	return c.conn.socketID
}

// Host returns the node ("host:port") of the current connection, or ""
// while not connected.
func (c *Client) Host() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.conn == nil {
		return ""
	}
	return c.conn.host
}

// State returns the connection's latest state change.
func (c *Client) State() network.StateChange { return c.mgr.State() }

// States returns the connection's state changes from now on, each after
// the Client has acted on it (a StateConnected comes with SocketID set),
// in order with Frames. A subscriber that falls a full buffer behind is
// cut off and stream.ErrSlowConsumer reported on Errors.
func (c *Client) States(ctx context.Context) <-chan network.StateChange {
	return c.states.Subscribe(ctx)
}

// Errors returns asynchronous failures, each reported once: connection
// failures reported by the manager (a pusher:error with a code in
// 4000-4299 among them, as the cause of the drop it triggers),
// *SubscriptionError for subscriptions that failed while no Subscribe,
// Ensure or Wait call was waiting for them, *ProtocolError for other
// pusher:error frames, *DecodeError for frames that could not be read,
// stream.ErrSlowConsumer for evicted subscribers.
func (c *Client) Errors(ctx context.Context) <-chan error { return c.errs.Subscribe(ctx) }

// framesStallTimeout cuts off a Frames subscriber that takes nothing for
// that long while frames wait for it.
const framesStallTimeout = 10 * time.Second

// Frames returns every inbound frame, decoded, across reconnects (the raw
// stream, including protocol frames), each after the Client has acted on
// it: when a subscription_succeeded frame arrives, the channel is already
// subscribed and its members known. Frame.Raw holds the bytes as received.
//
// Delivery is lossless: a subscriber that stops reading holds back the
// connection (TCP flow control then slows the server), so only a pump that
// never stalls should subscribe; applications read Channel.Events. A
// subscriber that takes nothing for 10s is cut off and
// stream.ErrSlowConsumer reported on Errors.
func (c *Client) Frames(ctx context.Context) <-chan Frame {
	return c.frames.SubscribeWith(ctx, stream.SubscribeOptions{Policy: stream.Block, Buffer: framesBuffer})
}

// smallBuffer is the default buffer of States and Errors subscribers.
const smallBuffer = 32

// framesBuffer is a Frames subscriber's buffer: lossless delivery needs
// none, a little lets the reader and the pump overlap.
const framesBuffer = 32

// Channel returns the subscribed (or subscribing) channel with that name.
func (c *Client) Channel(name string) (*Channel, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch, ok := c.channels[name]
	return ch, ok
}

// Close unsubscribes nothing on the server (the socket closes with 1000),
// stops the connection and every goroutine, and closes every stream and
// channel. It is idempotent; concurrent calls wait for the first.
func (c *Client) Close() error {
	c.closeOnce.Do(func() {
		c.frames.StopWaiting() // routing held up by a stalled Frames subscriber goes on
		c.mu.Lock()
		c.closed = true
		close(c.closing)
		c.dropConnLocked()
		c.presence.stopLocked()
		stop := c.stopRouting
		chans := make([]*Channel, 0, len(c.channels))
		for _, ch := range c.channels {
			chans = append(chans, ch)
		}
		c.channels = map[string]*Channel{}
		c.mu.Unlock()

		if stop != nil {
			stop()
		}
		c.closeErr = c.mgr.Close()
		c.wg.Wait()
		for _, ch := range chans {
			ch.close(ErrClosed)
		}
		c.errs.Close()
		c.frames.Close()
		c.states.Close()
		c.user.events.Close()
	})
	return c.closeErr
}

// endpoint builds the connection URL for each attempt.
func (c *Client) endpoint(context.Context) (string, http.Header, error) {
	scheme := "ws"
	if c.opts.TLS || c.useTLS.Load() {
		scheme = "wss"
	}
	host := c.hosts.current()
	c.mu.Lock()
	c.dialing = host
	c.mu.Unlock()
	q := url.Values{"protocol": {"7"}, "client": {ClientName}, "version": {Version}}
	u := scheme + "://" + host + "/app/" + url.PathEscape(c.opts.Key) + "?" + q.Encode()
	return u, c.opts.Header.Clone(), nil
}

// classify wraps Classify (or Manager.Classify) with the TLS fallback.
// Whatever the decision, the next attempt dials the next host: this one
// failed, went away or is draining.
func (c *Client) classify(err error) network.Decision {
	c.hosts.next()
	if code, ok := ErrorCode(err); ok && code == CodeUseTLS && c.opts.TLSFallback && !c.opts.TLS && !c.useTLS.Load() {
		c.log.Debug("pusher: server wants TLS, reconnecting with wss")
		c.useTLS.Store(true)
		return network.ReconnectNow
	}
	if c.opts.Manager.Classify != nil {
		return c.opts.Manager.Classify(err)
	}
	return Classify(err)
}

// handshake waits for pusher:connection_established and records the socket
// id. It runs on the manager's dial goroutine.
func (c *Client) handshake(ctx context.Context, conn network.HandshakeConn) (network.HandshakeResult, error) {
	for {
		b, err := conn.Read(ctx)
		if err != nil {
			return network.HandshakeResult{}, err
		}
		f, err := DecodeFrame(b)
		if err != nil {
			return network.HandshakeResult{}, err
		}
		switch f.Event {
		case EventConnectionEstablished:
			var d connectionEstablished
			if err := decodeData(f, &d); err != nil {
				return network.HandshakeResult{}, err
			}
			if d.SocketID == "" {
				return network.HandshakeResult{}, &DecodeError{Event: f.Event, Err: errors.New("no socket_id")}
			}
			c.mu.Lock()
			// The manager opened this socket last: it is the one being greeted.
			c.greeted, c.greetedConn = d.SocketID, conn.Conn()
			c.greetedHost, c.greetedSock = c.dialing, c.sock.current()
			c.mu.Unlock()
			c.log.Debug("pusher: connection established", "socket_id", d.SocketID, "activity_timeout", d.ActivityTimeout)
			return network.HandshakeResult{HeartbeatInterval: time.Duration(d.ActivityTimeout) * time.Second}, nil
		case EventError:
			pe, err := decodeProtocolError(f)
			if err != nil {
				return network.HandshakeResult{}, err
			}
			return network.HandshakeResult{}, pe
		}
	}
}

// reportEvict is the broadcasters' OnEvict.
func (c *Client) reportEvict(err error) { c.report(err) }

// dropConnLocked ends the current connection's subscription attempts. The
// caller holds c.mu.
func (c *Client) dropConnLocked() {
	if c.conn != nil {
		close(c.conn.done)
		c.conn = nil
		c.connChangedLocked()
	}
}

// connChangedLocked wakes the callers waiting for a connection. The caller
// holds c.mu.
func (c *Client) connChangedLocked() {
	close(c.connChanged)
	c.connChanged = make(chan struct{})
}

// isClientEvent reports whether name is a client event name.
func isClientEvent(name string) bool { return strings.HasPrefix(name, "client-") }
