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
// A failure it returns is not also reported on Errors.
//
// private-, private-encrypted- and presence- channels are authorized
// through Options.Authorizer for each socket id; an encrypted channel's
// authorization must carry its shared secret (else ErrEncryptedChannel),
// and its events arrive decrypted.
func (c *Client) Subscribe(ctx context.Context, name string) (*Channel, error) {
	w, err := c.register([]string{name}, true)
	if err != nil {
		return nil, err
	}
	errs := c.await(ctx, w)
	if errs[0] != nil {
		if w[0].created && !errors.Is(errs[0], ErrClosed) {
			c.drop(w[0].ch)
		}
		return nil, errs[0]
	}
	return w[0].ch, nil
}

// Ensure subscribes to every channel of names and keeps each subscribed
// until Unsubscribe or Close, whatever happens: a channel that fails is
// tried again after the next reconnect. It waits until every channel is
// subscribed or has failed, the Client closes, or ctx ends, and returns
// the failures it saw (joined); a failure after it returned goes to
// Errors. When ctx ends first it returns ctx's error and the channels stay.
func (c *Client) Ensure(ctx context.Context, names ...string) error {
	w, err := c.register(names, true)
	if err != nil {
		return err
	}
	errs := c.await(ctx, w)
	for _, err := range errs {
		if errors.Is(err, ErrClosed) || (ctx.Err() != nil && errors.Is(err, ctx.Err())) {
			return err
		}
	}
	return errors.Join(errs...)
}

// Keep subscribes to every channel of names and keeps each subscribed, as
// Ensure does, without waiting: failures go to Errors.
func (c *Client) Keep(names ...string) error {
	_, err := c.register(names, false)
	return err
}

// waiter is one channel a Subscribe or Ensure call waits for.
type waiter struct {
	ch      *Channel
	created bool
	failSeq uint64 // ch.failSeq when the wait began
	done    bool
}

// register validates names, creates the channels that do not exist, starts
// an attempt for new and failed ones, and (with wait) counts the caller as
// waiting on each, all under one lock so that no failure falls between
// two of them.
func (c *Client) register(names []string, wait bool) ([]*waiter, error) {
	kinds := make([]Kind, len(names))
	for i, name := range names {
		kind, err := ChannelKind(name)
		if err != nil {
			return nil, err
		}
		if kind != Public && c.opts.Authorizer == nil {
			return nil, fmt.Errorf("pusher: subscribe %s: %w", name, ErrNoAuthorizer)
		}
		kinds[i] = kind
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, ErrClosed
	}
	ws := make([]*waiter, 0, len(names))
	for i, name := range names {
		ch, existed := c.channels[name]
		if !existed {
			ch = newChannel(c, name, kinds[i])
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
		if wait {
			ch.waiters++
			ws = append(ws, &waiter{ch: ch, created: !existed, failSeq: ch.failSeq})
		}
	}
	return ws, nil
}

// await waits for each channel of ws to be subscribed or to fail, and
// returns one error (or nil) per channel. Every channel stops counting the
// caller as waiting, under the same lock as its outcome is read, so a
// failure is either returned here or reported on Errors.
func (c *Client) await(ctx context.Context, ws []*waiter) []error {
	errs := make([]error, len(ws))
	for i, w := range ws {
		for !w.done {
			c.mu.Lock()
			ch := w.ch
			var changed chan struct{}
			switch {
			case ch.failSeq != w.failSeq:
				errs[i] = ch.failErr
			case ch.state == ChannelSubscribed && ch.announcing:
				// What the subscription brought is published before
				// Subscribe returns: a MemberEvents stream taken after it
				// starts with what comes next.
				changed = ch.changed
			case ch.state == ChannelSubscribed:
			case ch.state == ChannelUnsubscribed:
				errs[i] = ch.err
				if errs[i] == nil {
					errs[i] = fmt.Errorf("pusher: subscribe %s: %w", ch.name, ErrNotSubscribed)
				}
			default:
				changed = ch.changed
			}
			if changed == nil {
				w.done = true
				ch.waiters--
			}
			c.mu.Unlock()
			if changed == nil {
				break
			}
			select {
			case <-changed:
			case <-ctx.Done():
				c.giveUp(ws, errs, ctx.Err())
				return errs
			case <-c.closing:
				c.giveUp(ws, errs, ErrClosed)
				return errs
			}
		}
	}
	return errs
}

// giveUp ends the waits still open in ws with err, unless their channel
// failed meanwhile: then the failure is the answer.
func (c *Client) giveUp(ws []*waiter, errs []error, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, w := range ws {
		if w.done {
			continue
		}
		w.done = true
		w.ch.waiters--
		if w.ch.failSeq != w.failSeq {
			errs[i] = w.ch.failErr
		} else {
			errs[i] = err
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
	// Held until the frame is out: an attempt that decided to subscribe
	// before the channel left the map sends first, not after.
	ch.sendMu.Lock()
	defer ch.sendMu.Unlock()
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
	if err := c.sendOn(ctx, conn, encodeUnsubscribe(ch.name)); err != nil && ctx.Err() != nil {
		return err
	}
	// Any other failure means the socket is gone, and the subscription with it.
	return nil
}

// drop removes a channel that a failed Subscribe created.
func (c *Client) drop(ch *Channel) {
	ch.sendMu.Lock()
	defer ch.sendMu.Unlock()
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
		_ = c.sendOn(ctx, conn, encodeUnsubscribe(ch.name))
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
	// From the decision to subscribe until the frame is out: an Unsubscribe
	// or a timeout's take-back is ordered before or after, never between.
	ch.sendMu.Lock()
	c.mu.Lock()
	if c.conn != conn || c.channels[ch.name] != ch || ch.attemptSocket != conn.socketID {
		c.mu.Unlock()
		ch.sendMu.Unlock()
		return
	}
	c.sendSeq++
	ch.sentSeq = c.sendSeq
	ch.early = nil
	if ch.kind == Presence {
		ch.me = channelDataUserID(auth.ChannelData)
		ch.refreshAuth, ch.refreshSocket = auth, conn.socketID
	}
	if ch.kind == PrivateEncrypted {
		key, err := decodeSharedSecret(auth.SharedSecret)
		if err != nil {
			ch.sentSeq = 0
			c.mu.Unlock()
			ch.sendMu.Unlock()
			c.fail(ch, conn, &SubscriptionError{Channel: ch.name, Type: "AuthError", Message: err.Error(), Err: ErrEncryptedChannel})
			return
		}
		ch.key = key
	}
	seq := ch.sentSeq
	c.mu.Unlock()
	// The timer starts before the frame goes out: the answer may come
	// before the send returns.
	expired := make(chan struct{})
	stop := c.clock.AfterFunc(c.opts.SubscribeTimeout, func() { close(expired) })
	defer stop()
	// On conn's socket only: the signature is for its socket id.
	err := c.sendOn(ctx, conn, encodeSubscribe(ch.name, auth))
	ch.sendMu.Unlock()
	if err != nil {
		// The socket is going away; the next connection resubscribes.
		c.log.Debug("pusher: subscribe not sent", "channel", ch.name, "err", err)
		return
	}
	c.awaitAnswer(ctx, ch, conn, seq, expired)
}

// awaitAnswer waits for the server's answer to the subscribe frame seq and
// fails the attempt when expired closes first (Options.SubscribeTimeout);
// the subscription is then taken back on the same socket, so a late
// confirmation is not mistaken for a live one by the server. Whether the
// answer came in time is decided under the lock the answer is taken in
// under: an attempt is either subscribed or failed, never both.
func (c *Client) awaitAnswer(ctx chanContext, ch *Channel, conn *connection, seq uint64, expired <-chan struct{}) {
	for {
		c.mu.Lock()
		open := c.awaitingLocked(ch, conn, seq)
		changed := ch.changed
		c.mu.Unlock()
		if !open {
			return
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return
		case <-expired:
			// Held until the take-back is out: a new attempt's subscribe,
			// started once the channel failed, must follow it.
			ch.sendMu.Lock()
			c.mu.Lock()
			if !c.awaitingLocked(ch, conn, seq) {
				c.mu.Unlock() // answered (or ended) meanwhile
				ch.sendMu.Unlock()
				return
			}
			report := c.failLocked(ch, &SubscriptionError{Channel: ch.name, Type: "Timeout", Err: fmt.Errorf("%w after %v", ErrSubscribeTimeout, c.opts.SubscribeTimeout)})
			c.mu.Unlock()
			_ = c.sendOn(ctx, conn, encodeUnsubscribe(ch.name))
			ch.sendMu.Unlock()
			c.log.Debug("pusher: subscription unanswered", "channel", ch.name, "timeout", c.opts.SubscribeTimeout)
			if report != nil {
				c.report(report)
			}
			return
		}
	}
}

// awaitingLocked reports whether ch's subscribe frame seq on conn still
// awaits its answer. The caller holds c.mu.
func (c *Client) awaitingLocked(ch *Channel, conn *connection, seq uint64) bool {
	return c.conn == conn && c.channels[ch.name] == ch && ch.state == ChannelSubscribing && ch.sentSeq == seq
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

// fail marks ch failed on conn (nil: whatever the connection). The error
// goes to the Subscribe, Ensure or Wait calls waiting for ch, or, when
// there are none, to Errors: one failure, one report.
func (c *Client) fail(ch *Channel, conn *connection, err *SubscriptionError) {
	c.mu.Lock()
	if c.channels[ch.name] != ch || (conn != nil && c.conn != conn) || ch.state == ChannelFailed {
		c.mu.Unlock()
		return
	}
	report := c.failLocked(ch, err)
	c.mu.Unlock()
	if report != nil {
		c.report(report)
	}
}

// failLocked marks ch failed with err and returns err if nobody waits for
// ch (the caller then reports it, outside the lock), else nil. The caller
// holds c.mu.
func (c *Client) failLocked(ch *Channel, err *SubscriptionError) error {
	ch.sentSeq = 0
	ch.failSeq++
	ch.failErr = err
	ch.setStateLocked(ChannelFailed, err)
	if ch.waiters == 0 {
		return err
	}
	return nil
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
