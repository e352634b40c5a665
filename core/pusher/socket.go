package pusher

import (
	"context"
	"errors"
	"sync"

	"github.com/chatwire/chatwire/core/network"
)

// socketTracker remembers the socket the manager opened last, so that a
// pusher:error that asks for a reconnect without closing the socket (a
// legal server's habit) can end it with that error as the cause.
type socketTracker struct {
	mu  sync.Mutex
	cur *trackedSocket
}

// track wraps a fresh socket of the manager's and makes it the current one.
func (t *socketTracker) track(c network.WebSocketClient) network.WebSocketClient {
	s := &trackedSocket{WebSocketClient: c}
	t.mu.Lock()
	t.cur = s
	t.mu.Unlock()
	return s
}

// current returns the latest socket, or nil before the first.
func (t *socketTracker) current() *trackedSocket {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.cur
}

// trackedSocket is a WebSocketClient whose end can be given a cause.
type trackedSocket struct {
	network.WebSocketClient

	mu    sync.Mutex
	cause error
}

// Err returns the cause given to drop once the socket has ended, else the
// socket's own error.
func (s *trackedSocket) Err() error {
	s.mu.Lock()
	cause := s.cause
	s.mu.Unlock()
	if cause == nil {
		return s.WebSocketClient.Err()
	}
	select {
	case <-s.Done():
		return cause
	default:
		return nil
	}
}

// sendOn writes frame on conn's socket only, never on the one the manager
// holds next: a signature over conn's socket id, or an unsubscribe about a
// subscription on it, means nothing on another. It fails with ErrSocketGone
// once conn is no longer current or its socket has ended.
func (c *Client) sendOn(ctx context.Context, conn *connection, frame []byte) error {
	select {
	case <-conn.done:
		return ErrSocketGone
	default:
	}
	if conn.sock == nil {
		return ErrSocketGone
	}
	err := conn.sock.Send(ctx, frame)
	if err != nil && ctx.Err() == nil {
		select {
		case <-conn.sock.Done():
			return ErrSocketGone
		default:
		}
		if errors.Is(err, network.ErrClosed) {
			return ErrSocketGone
		}
	}
	return err
}

// drop records cause (the first one wins) and closes the socket. Close
// waits for the socket's reader, which may be waiting for the manager to
// take a frame: the caller must not be the goroutine the manager waits on.
func (s *trackedSocket) drop(cause error) {
	s.mu.Lock()
	if s.cause == nil {
		s.cause = cause
	}
	s.mu.Unlock()
	_ = s.Close(network.CloseNormal, "")
}
