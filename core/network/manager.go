package network

import "context"

// ConnectionManager keeps one logical connection alive over a series of
// WebSocketClient connections: heartbeat and dead-peer detection, reconnect
// with jittered backoff, a fresh endpoint (token) per attempt, an outbox for
// frames sent while offline, and streams of frames, states and errors that
// survive reconnects.
//
// Concurrency: every method is safe for concurrent use. Streams are closed
// when their ctx ends or the manager closes. After Close returns, no stream
// receives anything more.
type ConnectionManager struct {
	// TODO(issue 2): implementation.
}

// NewConnectionManager returns a manager in StateDisconnected. It starts no
// goroutine until Connect.
func NewConnectionManager(opts ManagerOptions) *ConnectionManager {
	panic("not implemented")
}

// Connect starts the connection loop if it is not running (it restarts a
// failed manager) and waits until the manager is connected, has failed, is
// closed, or ctx ends. ctx bounds only the wait: the loop keeps trying
// until Close.
func (m *ConnectionManager) Connect(ctx context.Context) error { panic("not implemented") }

// Send writes a text frame. While the manager is not connected the frame
// waits in the outbox and goes out in order after the next connect. It
// returns nil once the frame was written to a socket; ErrOutboxFull,
// ErrExpired, ErrClosed, the failure cause, or ctx's error otherwise. A
// frame whose ctx ends while it waits in the outbox is removed unsent.
func (m *ConnectionManager) Send(ctx context.Context, data []byte) error { panic("not implemented") }

// SendVolatile writes a frame only if connected now (typing, heartbeats):
// it is never queued and fails with ErrNotConnected otherwise.
func (m *ConnectionManager) SendVolatile(ctx context.Context, data []byte) error {
	panic("not implemented")
}

// Frames returns every inbound frame, across reconnects. Subscribe before
// Connect to miss none. Delivery is lossless: a subscriber that stops
// reading holds back the connection (stream.Block), so only internal pumps
// that never stall should subscribe; applications read typed streams.
func (m *ConnectionManager) Frames(ctx context.Context) <-chan []byte { panic("not implemented") }

// States returns every state change from now on.
func (m *ConnectionManager) States(ctx context.Context) <-chan StateChange {
	panic("not implemented")
}

// State returns the latest state change.
func (m *ConnectionManager) State() StateChange { panic("not implemented") }

// Errors returns asynchronous failures: failed attempts, dead connections,
// evicted slow subscribers.
func (m *ConnectionManager) Errors(ctx context.Context) <-chan error { panic("not implemented") }

// Close stops the loop, closes the connection with 1000, fails queued
// frames with ErrClosed, waits for every goroutine and closes every stream.
// It is idempotent.
func (m *ConnectionManager) Close() error { panic("not implemented") }
