package network

import (
	"container/list"
	"context"
	"fmt"
	"sync"

	"github.com/chatwire/chatwire/core/stream"
)

// ConnectionManager keeps one logical connection alive over a series of
// WebSocketClient connections: heartbeat and dead-peer detection, reconnect
// with jittered backoff, a fresh endpoint (token) per attempt, an outbox for
// frames sent while offline, and streams of frames, states and errors that
// survive reconnects.
//
// Concurrency: every method is safe for concurrent use. Streams are closed
// when their ctx ends or the manager closes. After Close returns, no stream
// receives anything more.
//
// Goroutines: while running, the manager owns one loop goroutine (outbox
// flush, read and heartbeat; the Receiver; reconnect decisions), plus
// short-lived ones: one per attempt opening the socket, and running the
// Handshake unless there is a Receiver, while the loop waits for it (so
// that the loop's long-lived stack does not keep what a TCP, TLS and HTTP
// dial grows), one per heartbeat in flight and one closing each connection
// that died or failed its handshake, on top of whatever the current
// WebSocketClient runs.
// Close waits for all of them.
// Send and SendVolatile write on the caller's goroutine.
type ConnectionManager struct {
	opts ManagerOptions

	frames *stream.Broadcaster[Frame]
	states *stream.Broadcaster[StateChange]
	errs   *stream.Broadcaster[error]

	wg        sync.WaitGroup // the loop goroutine
	closeOnce sync.Once
	closed    chan struct{} // closed when Close has finished

	mu       sync.Mutex
	state    StateChange
	changed  chan struct{} // closed and replaced on every state change
	connSeq  uint64        // incremented on every StateConnected
	conns    uint64        // sockets opened so far; the latest one's Frame.Conn
	stateSeq uint64        // state changes so far
	running  bool          // a loop goroutine is running
	loopDone chan struct{} // closed when the latest loop has returned; nil before the first
	posts    chan func()   // Post → the loop
	cancel   context.CancelFunc
	closing  bool
	client   WebSocketClient // the connected client, nil while not StateConnected
	maxFrame int64           // the current connection's frame limit; 0: none
	outbox   list.List       // of *outFrame, oldest first
	frameSeq uint64          // ids for outFrame TTL timers
}

// NewConnectionManager returns a manager in StateDisconnected. It starts no
// goroutine until Connect. It panics if NewClient or Endpoint is nil.
func NewConnectionManager(opts ManagerOptions) *ConnectionManager {
	if opts.NewClient == nil || opts.Endpoint == nil {
		panic("network: NewConnectionManager needs NewClient and Endpoint")
	}
	opts = opts.withDefaults()
	m := &ConnectionManager{
		opts:    opts,
		frames:  stream.NewBroadcaster[Frame](stream.Options{}),
		errs:    stream.NewBroadcaster[error](stream.Options{}),
		closed:  make(chan struct{}),
		changed: make(chan struct{}),
		posts:   make(chan func()),
	}
	m.states = stream.NewBroadcaster[StateChange](stream.Options{
		OnEvict: func(err error) { m.errs.Publish(err) },
	})
	m.state = StateChange{State: StateDisconnected, At: opts.Clock.Now()}
	return m
}

// Connect starts the connection loop if it is not running (it restarts a
// failed manager) and waits until the manager is connected, has failed, is
// closed, or ctx ends. ctx bounds only the wait: the loop keeps trying
// until Close.
func (m *ConnectionManager) Connect(ctx context.Context) error {
	m.mu.Lock()
	if m.closing {
		m.mu.Unlock()
		return ErrClosed
	}
	seq := m.connSeq
	if !m.running {
		m.running = true
		if m.cancel != nil {
			m.cancel() // the previous, failed loop's context
		}
		loopCtx, cancel := context.WithCancel(context.Background())
		m.cancel = cancel
		first := m.setStateLocked(StateChange{State: StateConnecting, Attempt: 1})
		prev := m.loopDone
		m.loopDone = make(chan struct{})
		m.wg.Add(1)
		go m.run(loopCtx, first, prev, m.loopDone)
	}
	m.mu.Unlock()

	for {
		m.mu.Lock()
		st, changed, n := m.state, m.changed, m.connSeq
		m.mu.Unlock()
		switch {
		case st.State == StateConnected || n != seq:
			return nil
		case st.State == StateFailed:
			return st.Err
		case st.State == StateClosed:
			return ErrClosed
		}
		select {
		case <-changed:
		case <-ctx.Done():
			if st.Err != nil {
				// What the caller waited for never came: say why.
				return fmt.Errorf("%w; last attempt: %w", ctx.Err(), st.Err)
			}
			return ctx.Err()
		}
	}
}

// Frame is one inbound text frame and the connection it arrived on.
type Frame struct {
	// Conn numbers the connection: 1 for the first socket the manager
	// opened, 2 for the next, and so on. HandshakeConn.Conn and
	// StateChange.Conn use the same numbers.
	Conn uint64
	// Data is the frame. The receiver must not modify it: every subscriber
	// gets the same slice.
	Data []byte
}

// Frames returns every inbound frame, across reconnects, in arrival order;
// with a Receiver (ManagerOptions.Receiver) it carries nothing, the
// Receiver takes them. Subscribe before Connect to miss none. Delivery is lossless: a
// subscriber that stops reading holds back the connection (stream.Block),
// so only internal pumps that never stall should subscribe; applications
// read typed streams.
func (m *ConnectionManager) Frames(ctx context.Context) <-chan Frame {
	return m.frames.SubscribeWith(ctx, stream.SubscribeOptions{Policy: stream.Block})
}

// States returns every state change from now on. A subscriber that falls
// stream.DefaultBuffer changes behind is cut off (its channel closes) and
// stream.ErrSlowConsumer is reported on Errors.
func (m *ConnectionManager) States(ctx context.Context) <-chan StateChange {
	return m.states.Subscribe(ctx)
}

// State returns the latest state change.
func (m *ConnectionManager) State() StateChange {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.state
}

// Errors returns asynchronous failures: failed attempts, dead connections
// (ErrHeartbeatTimeout), evicted slow subscribers (stream.ErrSlowConsumer).
// A subscriber that falls stream.DefaultBuffer errors behind is cut off.
func (m *ConnectionManager) Errors(ctx context.Context) <-chan error {
	return m.errs.Subscribe(ctx)
}

// Close stops the loop, closes the connection with 1000, fails queued
// frames with ErrClosed, waits for every goroutine and closes every stream.
// It is idempotent; a concurrent or later call waits for the first one to
// finish.
func (m *ConnectionManager) Close() error {
	m.closeOnce.Do(func() {
		m.mu.Lock()
		m.closing = true
		if m.cancel != nil {
			m.cancel()
		}
		m.mu.Unlock()
		// Closing Frames first unblocks a loop waiting on a Block subscriber
		// (a Receiver's owner releases its own: see data's Close).
		m.frames.Close()
		m.wg.Wait()

		m.mu.Lock()
		m.failOutboxLocked(ErrClosed)
		m.setStateLocked(StateChange{State: StateClosed})
		m.mu.Unlock()
		m.states.Close()
		m.errs.Close()
		close(m.closed)
	})
	<-m.closed
	return nil
}

// setStateLocked records and publishes a state change and returns it as
// recorded. The caller holds m.mu; publishing never blocks (States
// subscribers use stream.Evict), and holding the lock keeps the published
// order equal to the recorded one.
func (m *ConnectionManager) setStateLocked(sc StateChange) StateChange {
	sc.At = m.opts.Clock.Now()
	sc.Conn = m.conns
	m.stateSeq++
	sc.Seq = m.stateSeq
	m.state = sc
	if sc.State == StateConnected {
		m.connSeq++
	}
	close(m.changed)
	m.changed = make(chan struct{})
	m.states.Publish(sc)
	return sc
}

// setState is setStateLocked for callers that do not hold m.mu.
func (m *ConnectionManager) setState(sc StateChange) StateChange {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.setStateLocked(sc)
}

// report publishes an asynchronous error.
func (m *ConnectionManager) report(err error) {
	if err != nil {
		m.errs.Publish(err)
	}
}
