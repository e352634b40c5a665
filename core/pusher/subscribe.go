package pusher

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Subscribe subscribes to a channel and waits until the server confirms it,
// the subscription fails (*SubscriptionError), the Client closes, or ctx
// ends. Before Connect, or while reconnecting, it waits for the
// connection. Subscribing to a channel that is already subscribed returns
// the same *Channel. If the call fails, a channel it created is dropped.
//
// private- and presence- channels are authorized through
// Options.Authorizer for each socket id; private-encrypted- channels are
// refused with ErrEncryptedChannel.
func (c *Client) Subscribe(ctx context.Context, name string) (*Channel, error) {
	kind, err := ChannelKind(name)
	if err != nil {
		return nil, err
	}
	if kind != Public && c.opts.Authorizer == nil {
		return nil, fmt.Errorf("pusher: subscribe %s: %w", name, ErrNoAuthorizer)
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil, ErrClosed
	}
	ch, existed := c.channels[name]
	if !existed {
		ch = newChannel(c, name, kind)
		c.channels[name] = ch
	}
	if !existed || ch.state == ChannelFailed {
		// A new channel, or another try for a failed one.
		ch.attemptSocket = ""
		if c.conn != nil {
			c.startAttemptLocked(ch)
		} else if ch.state == ChannelFailed {
			ch.setStateLocked(ChannelPending, nil)
		}
	}
	c.mu.Unlock()

	for {
		c.mu.Lock()
		state, serr, changed := ch.state, ch.err, ch.changed
		c.mu.Unlock()
		switch state {
		case ChannelSubscribed:
			return ch, nil
		case ChannelFailed:
			if !existed {
				c.drop(ch)
			}
			return nil, serr
		case ChannelUnsubscribed:
			if serr != nil {
				return nil, serr
			}
			return nil, fmt.Errorf("pusher: subscribe %s: %w", name, ErrNotSubscribed)
		}
		select {
		case <-changed:
		case <-ctx.Done():
			if !existed {
				c.drop(ch)
			}
			return nil, ctx.Err()
		case <-c.closing:
			return nil, ErrClosed
		}
	}
}

// Unsubscribe ends a subscription: it tells the server (if connected) and
// closes the channel's streams. It returns ErrNotSubscribed for an unknown
// channel.
func (c *Client) Unsubscribe(ctx context.Context, name string) error {
	c.mu.Lock()
	ch, ok := c.channels[name]
	c.mu.Unlock()
	if !ok {
		return fmt.Errorf("pusher: unsubscribe %s: %w", name, ErrNotSubscribed)
	}
	return c.unsubscribe(ctx, ch)
}

func (c *Client) unsubscribe(ctx context.Context, ch *Channel) error {
	c.mu.Lock()
	if c.channels[ch.name] != ch {
		c.mu.Unlock()
		return fmt.Errorf("pusher: unsubscribe %s: %w", ch.name, ErrNotSubscribed)
	}
	delete(c.channels, ch.name)
	conn := c.conn
	c.mu.Unlock()
	ch.close(nil)
	if conn == nil {
		return nil
	}
	if err := c.mgr.SendVolatile(ctx, encodeUnsubscribe(ch.name)); err != nil && ctx.Err() != nil {
		return err
	}
	// Any other failure means the socket is gone, and the subscription with it.
	return nil
}

// drop removes a channel that a failed Subscribe created.
func (c *Client) drop(ch *Channel) {
	c.mu.Lock()
	if c.channels[ch.name] != ch {
		c.mu.Unlock()
		return
	}
	delete(c.channels, ch.name)
	conn, sent := c.conn, ch.sentSeq != 0
	c.mu.Unlock()
	ch.close(nil)
	if conn != nil && sent {
		// The server may still confirm it: take it back.
		ctx, cancel := context.WithTimeout(chanContext{conn.done}, 5*time.Second)
		defer cancel()
		_ = c.mgr.SendVolatile(ctx, encodeUnsubscribe(ch.name))
	}
}

// startAttemptLocked authorizes and subscribes ch on the current
// connection, unless an attempt for this socket is under way. The caller
// holds c.mu, and c.conn is not nil.
func (c *Client) startAttemptLocked(ch *Channel) {
	conn := c.conn
	if c.closed || conn == nil || ch.attemptSocket == conn.socketID {
		return
	}
	ch.attemptSocket = conn.socketID
	ch.sentSeq = 0
	ch.setStateLocked(ChannelSubscribing, nil)
	c.wg.Add(1)
	go c.attempt(ch, conn)
}

// attempt runs one subscription attempt for ch on conn. It gives up quietly
// when conn stops being current: the next connection starts a new attempt.
func (c *Client) attempt(ch *Channel, conn *connection) {
	defer c.wg.Done()
	ctx := chanContext{conn.done}
	var auth Auth
	if ch.kind != Public {
		var err error
		auth, err = c.opts.Authorizer.Authorize(ctx, conn.socketID, ch.name)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			c.log.Debug("pusher: authorization failed", "channel", ch.name, "err", err)
			c.fail(ch, conn, authFailure(ch.name, err))
			return
		}
	}
	c.mu.Lock()
	if c.conn != conn || c.channels[ch.name] != ch || ch.attemptSocket != conn.socketID {
		c.mu.Unlock()
		return
	}
	c.sendSeq++
	ch.sentSeq = c.sendSeq
	if ch.kind == Presence {
		ch.me = channelDataUserID(auth.ChannelData)
	}
	c.mu.Unlock()
	if err := c.mgr.SendVolatile(ctx, encodeSubscribe(ch.name, auth)); err != nil {
		// The socket is going away; the next connection resubscribes.
		c.log.Debug("pusher: subscribe not sent", "channel", ch.name, "err", err)
	}
}

// authFailure wraps an Authorizer's error.
func authFailure(channel string, err error) *SubscriptionError {
	se := &SubscriptionError{Channel: channel, Type: "AuthError", Err: err}
	var ae *AuthError
	if errors.As(err, &ae) {
		se.Status = ae.StatusCode
	}
	return se
}

// fail marks ch failed on conn (nil: whatever the connection) and reports
// the error.
func (c *Client) fail(ch *Channel, conn *connection, err *SubscriptionError) {
	c.mu.Lock()
	if c.channels[ch.name] != ch || (conn != nil && c.conn != conn) || ch.state == ChannelFailed {
		c.mu.Unlock()
		return
	}
	ch.sentSeq = 0
	ch.setStateLocked(ChannelFailed, err)
	c.mu.Unlock()
	c.errs.Publish(err)
}

// chanContext is a context that ends when done closes: it scopes work to
// one connection without storing a context anywhere.
type chanContext struct{ done <-chan struct{} }

func (chanContext) Deadline() (time.Time, bool) { return time.Time{}, false }
func (c chanContext) Done() <-chan struct{}     { return c.done }
func (chanContext) Value(any) any               { return nil }
func (c chanContext) Err() error {
	select {
	case <-c.done:
		return context.Canceled
	default:
		return nil
	}
}
