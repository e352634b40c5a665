package pusher

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/chatwire/chatwire/core/network"
)

// pongTimeout bounds answering a server ping.
const pongTimeout = 5 * time.Second

// route is the Client's one routing goroutine: it reads the manager's
// frames, state changes and errors until the manager closes them.
func (c *Client) route(ctx context.Context, frames <-chan network.Frame, states <-chan network.StateChange, errs <-chan error, presenceDue <-chan struct{}) {
	defer c.wg.Done()
	var dec frameDecoder // route's own: it remembers the names it saw
	for frames != nil || states != nil || errs != nil {
		select {
		case <-presenceDue:
			c.onPresenceDue()
		case f, ok := <-frames:
			if !ok {
				frames = nil
				continue
			}
			c.onFrame(ctx, &dec, f)
		case sc, ok := <-states:
			if !ok {
				states = nil
				continue
			}
			c.onState(sc)
			c.states.Publish(sc)
			if h := c.opts.Handler; h != nil {
				h.State(sc)
			}
		case err, ok := <-errs:
			if !ok {
				errs = nil
				continue
			}
			c.report(err)
		}
	}
}

// onState starts the subscriptions on a new connection and marks them
// pending when it ends.
func (c *Client) onState(sc network.StateChange) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	if sc.State != network.StateConnected {
		if c.conn == nil {
			return
		}
		c.dropConnLocked()
		c.user.done, c.user.running = false, false
		if c.user.changed != nil {
			c.user.changedLocked()
		}
		for _, ch := range c.channels {
			ch.attemptSocket = ""
			ch.sentSeq = 0
			ch.refreshing, ch.early = false, nil
			if ch.state == ChannelSubscribing || ch.state == ChannelSubscribed {
				ch.setStateLocked(ChannelPending, nil)
			}
		}
		return
	}
	sid := c.greeted
	if sid == "" || (c.conn != nil && c.conn.id == c.greetedConn) {
		return
	}
	c.dropConnLocked()
	c.conn = &connection{id: c.greetedConn, socketID: sid, host: c.greetedHost, sock: c.greetedSock, done: make(chan struct{})}
	c.connChangedLocked()
	c.limiter.reset()
	c.log.Debug("pusher: connected, subscribing", "socket_id", sid, "channels", len(c.channels))
	for _, ch := range c.channels {
		c.startAttemptLocked(ch)
	}
	c.startSigninLocked()
}

// onFrame routes one inbound frame, then publishes it on Frames. It runs
// on route only.
func (c *Client) onFrame(ctx context.Context, dec *frameDecoder, nf network.Frame) {
	if nf.Conn != c.routedConn {
		// Where the frames of a new connection start (see fromCurrentLocked).
		c.routedConn = nf.Conn
		c.mu.Lock()
		c.frameConn = nf.Conn
		c.mu.Unlock()
	}
	f, err := dec.decode(nf.Data)
	if err != nil {
		c.report(err)
		return
	}
	c.act(ctx, &f)
	c.deliver(f)
}

// act does what one frame asks of the Client. It decrypts the data of an
// event on an encrypted channel in place.
func (c *Client) act(ctx context.Context, f *Frame) {
	switch f.Event {
	case EventConnectionEstablished:
		// The handshake acted on it.
	case EventPong:
		// Any frame is liveness for the manager.
	case EventPing:
		pctx, cancel := context.WithTimeout(ctx, pongTimeout)
		if err := c.mgr.SendVolatile(pctx, pongFrame); err != nil {
			c.log.Debug("pusher: pong not sent", "err", err)
		}
		cancel()
	case EventError:
		c.onError(*f)
	case EventSubscriptionSucceeded:
		c.onSubscribed(f)
	case EventSubscriptionError:
		c.onSubscriptionError(*f)
	case EventMemberAdded, EventMemberRemoved:
		c.onMember(f)
	case EventSubscriptionCount:
		c.onSubscriptionCount(*f)
	case EventSigninSuccess:
		c.onSigninSuccess(*f)
	default:
		if isUserChannel(f.Channel) {
			c.onUserEvent(*f)
			return
		}
		if f.Channel == "" || strings.HasPrefix(f.Event, "pusher_internal:") {
			return
		}
		c.mu.Lock()
		ch := c.channels[f.Channel]
		var key *[32]byte
		if ch != nil {
			key = ch.key
		}
		c.mu.Unlock()
		if ch == nil {
			return
		}
		if ch.kind == PrivateEncrypted && !strings.HasPrefix(f.Event, "pusher:") {
			f.Encrypted = true
			plain, err := c.decrypt(key, *f)
			f.Data = plain
			if err != nil {
				c.report(err)
				return
			}
		}
		if ch.events.Len() == 0 {
			return // nobody listens: the data is not even unwrapped
		}
		ch.events.Publish(Event{Event: f.Event, Channel: f.Channel, Data: f.Payload(), UserID: f.UserID})
	}
}

// decrypt opens the data of an event on an encrypted channel.
func (c *Client) decrypt(key *[32]byte, f Frame) (json.RawMessage, error) {
	if key == nil {
		return nil, &DecodeError{Event: f.Event, Err: fmt.Errorf("%w: no shared secret for %s", ErrDecrypt, f.Channel)}
	}
	plain, err := decrypt(key, f.Data)
	if err != nil {
		return nil, &DecodeError{Event: f.Event, Err: err}
	}
	return plain, nil
}

// onSubscriptionCount records a channel's subscriber count and passes it
// on to the channel's listeners as pusher:subscription_count.
func (c *Client) onSubscriptionCount(f Frame) {
	var d struct {
		Count int `json:"subscription_count"`
	}
	if err := decodeData(f, &d); err != nil {
		c.report(err)
		return
	}
	c.mu.Lock()
	ch := c.channels[f.Channel]
	if ch != nil {
		ch.count = d.Count
	}
	c.mu.Unlock()
	if ch != nil {
		ch.events.Publish(Event{Event: EventSubscriptionCountChanged, Channel: f.Channel, Data: f.Payload()})
	}
}

// fromCurrentLocked reports whether the frame being routed came from the
// connection subscriptions now run on. Frames and state changes reach route
// on separate streams, so the last frames of a dropped connection may be
// routed after the next connection's StateConnected started new attempts:
// a subscription answer among them must not settle those attempts. The
// caller holds c.mu.
func (c *Client) fromCurrentLocked() bool {
	return c.conn != nil && c.conn.id == c.frameConn
}

// onSubscribed settles a subscription, or takes in the answer to a
// presence channel's refresh (see members.go). It records the member
// events it causes in f.
func (c *Client) onSubscribed(f *Frame) {
	c.mu.Lock()
	ch := c.channels[f.Channel]
	if ch == nil || !c.fromCurrentLocked() {
		c.mu.Unlock()
		return
	}
	refresh := ch.kind == Presence && ch.state == ChannelSubscribed && ch.refreshing
	if !refresh && (ch.state != ChannelSubscribing || ch.sentSeq == 0) {
		c.mu.Unlock()
		return
	}
	if ch.kind == Presence {
		fresh, err := decodeMembers(*f)
		if err != nil {
			if refresh {
				ch.refreshing = false
				c.mu.Unlock()
				c.report(err)
				return
			}
			c.mu.Unlock()
			c.fail(ch, nil, &SubscriptionError{Channel: ch.name, Message: "unreadable member list", Err: err})
			return
		}
		applyEarlyLocked(ch, fresh)
		f.MemberEvents = c.membersArrivedLocked(ch, fresh, !refresh)
	}
	announce := !refresh && len(f.MemberEvents) > 0
	if refresh {
		ch.refreshing = false
	} else {
		ch.sentSeq = 0
		ch.announcing = announce
		ch.setStateLocked(ChannelSubscribed, nil)
		if ch.kind == Presence {
			c.refreshLaterLocked(ch)
		}
	}
	c.mu.Unlock()
	for _, ev := range f.MemberEvents {
		ch.members.Publish(ev)
	}
	if announce {
		c.mu.Lock()
		ch.announcing = false
		ch.notifyLocked()
		c.mu.Unlock()
	}
}

func (c *Client) onSubscriptionError(f Frame) {
	c.mu.Lock()
	ch := c.channels[f.Channel]
	current := c.fromCurrentLocked()
	refused := ch != nil && current && ch.state == ChannelSubscribed && ch.refreshing
	if refused {
		// A server that refuses a repeated subscribe: the subscription
		// stands, the member list is not refreshed on this socket again.
		ch.refreshing, ch.refreshSocket = false, ""
	}
	c.mu.Unlock()
	if ch == nil || !current || refused {
		if refused {
			c.log.Debug("pusher: member list refresh refused", "channel", f.Channel)
		}
		return
	}
	se := &SubscriptionError{Channel: f.Channel}
	var d subscriptionErrorData
	p := f.Payload()
	if len(p) > 0 && p[0] == '{' && json.Unmarshal(p, &d) == nil {
		se.Type, se.Message, se.Status = d.Type, redact(d.Error), d.Status
	} else {
		var s string
		if json.Unmarshal(f.Data, &s) == nil {
			se.Message = redact(s)
		}
	}
	c.fail(ch, nil, se)
}

// onError handles pusher:error. Without a code, or with 4009 ("connection
// is unauthorized", Reverb's answer to a bad signature), while an
// authorized subscription awaits its answer, it is that subscription's
// refusal on servers that do not answer per channel: it goes to the
// channel named in the message, or else the oldest authorized subscription
// awaiting an answer, and the connection stays. Otherwise a code in
// 4000-4299 ends the connection with the error as its cause, whether or
// not the server closes the socket too, so the manager applies the code's
// policy (stop, back off, reconnect now) and reports it. Anything else is
// reported as it is.
func (c *Client) onError(f Frame) {
	pe, err := decodeProtocolError(f)
	if err != nil {
		c.report(err)
		return
	}
	if pe.Code == 0 || pe.Code == CodeUnauthorized {
		if ch := c.pendingFor(pe.Message); ch != nil {
			c.fail(ch, nil, &SubscriptionError{Channel: ch.name, Message: pe.Message, Err: pe})
			return
		}
	}
	if pe.Code >= codeStopMin && pe.Code <= codeNowMax {
		// The socket the frame came from: the manager may already have
		// opened the next one (a close arrived with the error).
		var sock *trackedSocket
		c.mu.Lock()
		if c.fromCurrentLocked() {
			sock = c.conn.sock
		}
		c.mu.Unlock()
		if sock != nil {
			c.log.Debug("pusher: server error ends the connection", "code", pe.Code)
			// Not on this goroutine: closing waits for the socket's reader,
			// which may be waiting for route to take a frame.
			c.wg.Add(1)
			go func() {
				defer c.wg.Done()
				sock.drop(pe)
			}()
			return
		}
	}
	c.report(pe)
}

// pendingFor picks the subscription a code-less pusher:error is about.
func (c *Client) pendingFor(msg string) *Channel {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.fromCurrentLocked() {
		return nil
	}
	var oldest *Channel
	for _, ch := range c.channels {
		if ch.kind == Public || ch.state != ChannelSubscribing || ch.sentSeq == 0 {
			continue
		}
		if msg != "" && strings.Contains(msg, ch.name) {
			return ch
		}
		if oldest == nil || ch.sentSeq < oldest.sentSeq {
			oldest = ch
		}
	}
	return oldest
}

// onMember folds member_added and member_removed into the member list
// (see members.go) and records the member events it causes in f.
func (c *Client) onMember(f *Frame) {
	m, err := decodeMember(*f)
	if err != nil {
		c.report(err)
		return
	}
	kind := MemberRemoved
	if f.Event == EventMemberAdded {
		kind = MemberAdded
	}
	c.mu.Lock()
	ch := c.channels[f.Channel]
	if ch == nil || ch.kind != Presence || !c.fromCurrentLocked() {
		c.mu.Unlock()
		return
	}
	switch {
	case ch.state == ChannelSubscribing && ch.sentSeq != 0:
		// Ahead of the member list: applied on top of it (members.go).
		ch.early = append(ch.early, MemberEvent{Kind: kind, Member: m})
		c.mu.Unlock()
		return
	case ch.state != ChannelSubscribed:
		c.mu.Unlock()
		return
	case ch.refreshing:
		ch.early = append(ch.early, MemberEvent{Kind: kind, Member: m})
	}
	if kind == MemberAdded {
		f.MemberEvents = c.memberAddedLocked(ch, m)
	} else {
		f.MemberEvents = c.memberRemovedLocked(ch, m)
	}
	c.mu.Unlock()
	for _, ev := range f.MemberEvents {
		ch.members.Publish(ev)
	}
}
