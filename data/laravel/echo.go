package laravel

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/chatwire/chatwire/core/pusher"
	"github.com/chatwire/chatwire/core/stream"
	"github.com/chatwire/chatwire/domain"
)

// Laravel Echo's vocabulary, for any channel and any event, on the data
// source's one connection and routing goroutine:
//
//	Echo.channel(name)            → s.Channel(name)
//	Echo.private(name)            → s.Private(name)
//	Echo.encryptedPrivate(name)   → s.EncryptedPrivate(name)
//	Echo.join(name)               → s.JoinPresence(name)
//	.listen(event, cb)            → ch.Listen(ctx, event)
//	.listenForWhisper(event, cb)  → ch.ListenForWhisper(ctx, event)
//	.listenToAll(cb)              → ch.ListenToAll(ctx)
//	.notification(cb)             → ch.Notification(ctx)
//	.whisper(event, data)         → ch.Whisper(ctx, event, data)
//	.here / .joining / .leaving   → p.Here(ctx), p.Joining(ctx), p.Leaving(ctx)
//	Echo.leave(name)              → s.Leave... see LeaveChannel
//
// Event names resolve as Echo resolves them: "MessageSent" is
// Options.Namespace's App\Events\MessageSent, ".message.sent" is the name
// as broadcast. Events arrive in the order the server sent them, each with
// its typed form when one of Options.Events decodes it (and then also on
// the typed streams, Messages and the like, as before).

// NotificationEvent is the event of Laravel's broadcast notifications.
const NotificationEvent = `Illuminate\Notifications\Events\BroadcastNotificationCreated`

// ChannelEvent is one event on a channel an app listens to.
type ChannelEvent struct {
	Channel string
	// Event is the name as broadcast ("App\Events\MessageSent",
	// "client-typing", "pusher:cache_miss").
	Event string
	// UserID is the sender of a whisper on a presence channel, as the
	// server stamped it.
	UserID string
	// Data is the payload with the protocol's string encoding removed
	// (decrypted on an encrypted channel), JSON as the backend sent it.
	Data json.RawMessage
	// Typed is the event decoded by Options.Events, or nil when no decoder
	// knows the name (or the payload did not decode: that is reported on
	// Errors).
	Typed domain.Event
	// ReceivedAt is when the frame arrived, by Options.Clock.
	ReceivedAt time.Time
}

// EchoChannel is one channel, named as Laravel Echo names it. Its methods
// are safe for concurrent use.
type EchoChannel struct {
	s    *DataSource
	name string
}

// PresenceChannel is a presence channel: an EchoChannel with members.
type PresenceChannel struct {
	*EchoChannel
}

// Channel returns the public channel name (Echo.channel).
func (s *DataSource) Channel(name string) *EchoChannel { return &EchoChannel{s: s, name: name} }

// Private returns the channel "private-"+name (Echo.private).
func (s *DataSource) Private(name string) *EchoChannel {
	return &EchoChannel{s: s, name: "private-" + name}
}

// EncryptedPrivate returns the channel "private-encrypted-"+name
// (Echo.encryptedPrivate): its events arrive decrypted.
func (s *DataSource) EncryptedPrivate(name string) *EchoChannel {
	return &EchoChannel{s: s, name: "private-encrypted-" + name}
}

// JoinPresence returns the presence channel "presence-"+name (Echo.join).
// Several presence channels may be joined at once.
func (s *DataSource) JoinPresence(name string) *PresenceChannel {
	return &PresenceChannel{&EchoChannel{s: s, name: "presence-" + name}}
}

// Name returns the channel's full name ("private-orders.7").
func (c *EchoChannel) Name() string { return c.name }

// Subscribe subscribes the channel, if it is not, and waits until it is
// subscribed or refused, or ctx ends. Once subscribed it stays so across
// reconnects until LeaveChannel or Close. Before Connect it only records
// the channel (Connect subscribes it). A refusal is returned, not also
// reported on Errors, and the channel is dropped.
func (c *EchoChannel) Subscribe(ctx context.Context) error {
	s := c.s
	if _, err := pusher.ChannelKind(c.name); err != nil {
		return toDomainError(err)
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return domain.ErrClosed
	}
	s.wanted[c.name] = true
	started := s.started
	s.mu.Unlock()
	if !started {
		return nil
	}
	err := s.client.Ensure(ctx, c.name)
	if err == nil || ctx.Err() != nil || errors.Is(err, pusher.ErrClosed) {
		return subscribeError(err)
	}
	s.mu.Lock()
	delete(s.wanted, c.name)
	s.mu.Unlock()
	_ = s.client.Unsubscribe(ctx, c.name)
	return subscribeError(err)
}

// Listen returns the events named event on the channel from now on, until
// ctx ends or the channel is left (Echo's listen). It subscribes the
// channel in the background if needed; a refusal goes to Errors.
func (c *EchoChannel) Listen(ctx context.Context, event string) <-chan ChannelEvent {
	names := wireNames(event, c.s.opts.Namespace)
	return c.listen(ctx, names...)
}

// ListenForWhisper returns the client events "client-"+event from other
// members (Echo's listenForWhisper).
func (c *EchoChannel) ListenForWhisper(ctx context.Context, event string) <-chan ChannelEvent {
	return c.listen(ctx, "client-"+event)
}

// ListenToAll returns every event on the channel (Echo's listenToAll),
// pusher:cache_miss and pusher:subscription_count included.
func (c *EchoChannel) ListenToAll(ctx context.Context) <-chan ChannelEvent {
	return c.listen(ctx, anyEvent)
}

// Notification returns Laravel's broadcast notifications on the channel
// (Echo's notification), usually on Private("App.Models.User."+id).
func (c *EchoChannel) Notification(ctx context.Context) <-chan ChannelEvent {
	return c.listen(ctx, NotificationEvent)
}

// Whisper sends a client event "client-"+event to the channel's other
// members (Echo's whisper). It is never queued: offline it fails with
// domain.ErrNotConnected; more than 10 per second fail with
// pusher.ErrRateLimited.
func (c *EchoChannel) Whisper(ctx context.Context, event string, data any) error {
	err := c.s.client.Trigger(ctx, c.name, "client-"+event, data)
	if errors.Is(err, pusher.ErrNotSubscribed) {
		return fmt.Errorf("%w: %w", domain.ErrNotConnected, err)
	}
	return toDomainError(err)
}

// Members returns the presence channel's current members, sorted by id;
// after Subscribe returns they are the members the subscription delivered.
func (p *PresenceChannel) Members() []pusher.Member {
	ch, ok := p.s.client.Channel(p.name)
	if !ok {
		return nil
	}
	return ch.Members()
}

// Here returns the full member list after every (re)subscription (Echo's
// here).
func (p *PresenceChannel) Here(ctx context.Context) <-chan []pusher.Member {
	p.s.subMu.Lock()
	defer p.s.subMu.Unlock()
	st := p.s.listenersFor(p.name).here.Subscribe(ctx)
	p.ensureInBackground()
	return st
}

// Joining returns the members who join from now on (Echo's joining).
func (p *PresenceChannel) Joining(ctx context.Context) <-chan pusher.Member {
	p.s.subMu.Lock()
	defer p.s.subMu.Unlock()
	st := p.s.listenersFor(p.name).joining.Subscribe(ctx)
	p.ensureInBackground()
	return st
}

// Leaving returns the members who leave from now on (Echo's leaving).
func (p *PresenceChannel) Leaving(ctx context.Context) <-chan pusher.Member {
	p.s.subMu.Lock()
	defer p.s.subMu.Unlock()
	st := p.s.listenersFor(p.name).leaving.Subscribe(ctx)
	p.ensureInBackground()
	return st
}

// LeaveChannel unsubscribes the channel name, and "private-"+name,
// "private-encrypted-"+name and "presence-"+name (Echo's leave); their
// listeners' streams close. Leaving a channel not subscribed does nothing.
func (s *DataSource) LeaveChannel(ctx context.Context, name string) error {
	var errs []error
	for _, full := range []string{name, "private-" + name, "private-encrypted-" + name, "presence-" + name} {
		if err := s.leave(ctx, full); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// leave closes the listeners of one channel and unsubscribes it, as one
// step for listen and the presence listeners.
func (s *DataSource) leave(ctx context.Context, full string) error {
	s.subMu.Lock()
	defer s.subMu.Unlock()
	s.mu.Lock()
	_, wanted := s.wanted[full]
	delete(s.wanted, full)
	l := s.listeners[full]
	delete(s.listeners, full)
	s.mu.Unlock()
	if l != nil {
		l.close()
	}
	if !wanted {
		return nil
	}
	if err := s.client.Unsubscribe(ctx, full); err != nil && !errors.Is(err, pusher.ErrNotSubscribed) {
		return toDomainError(err)
	}
	return nil
}

// anyEvent is the listener key of ListenToAll.
const anyEvent = "*"

// channelListeners are the Echo listeners of one channel.
type channelListeners struct {
	byKey   map[string]*stream.Broadcaster[ChannelEvent]   // one per set of wire names Listen asked for
	events  map[string][]*stream.Broadcaster[ChannelEvent] // by wire name, or anyEvent
	here    *stream.Broadcaster[[]pusher.Member]
	joining *stream.Broadcaster[pusher.Member]
	leaving *stream.Broadcaster[pusher.Member]
}

func (l *channelListeners) close() {
	for _, b := range l.byKey {
		b.Close()
	}
	l.here.Close()
	l.joining.Close()
	l.leaving.Close()
}

// listenersFor returns the channel's listeners, made on first use.
func (s *DataSource) listenersFor(channel string) *channelListeners {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.listenersForLocked(channel)
}

// listenersForLocked is listenersFor for a caller that holds s.mu: what it
// registers on them is then in the set that LeaveChannel and Close close.
func (s *DataSource) listenersForLocked(channel string) *channelListeners {
	l := s.listeners[channel]
	if l == nil {
		o := stream.Options{Buffer: s.opts.StreamBuffer, OnEvict: s.evicted}
		l = &channelListeners{
			byKey:   map[string]*stream.Broadcaster[ChannelEvent]{},
			events:  map[string][]*stream.Broadcaster[ChannelEvent]{},
			here:    stream.NewBroadcaster[[]pusher.Member](o),
			joining: stream.NewBroadcaster[pusher.Member](o),
			leaving: stream.NewBroadcaster[pusher.Member](o),
		}
		if s.closed {
			l.close()
		}
		s.listeners[channel] = l
	}
	return l
}

// evicted reports a listener cut off for falling behind.
func (s *DataSource) evicted(error) {
	s.hub.Report(domain.ClassSubscription, false, domain.ErrSlowConsumer)
}

// listen registers a listener for the wire names and subscribes the
// channel in the background.
func (c *EchoChannel) listen(ctx context.Context, names ...string) <-chan ChannelEvent {
	c.s.subMu.Lock()
	defer c.s.subMu.Unlock()
	c.s.mu.Lock()
	l := c.s.listenersForLocked(c.name)
	// Listeners of the same names share a broadcaster; one for other names
	// (an Echo name and its dotted spelling) is added beside it, never in
	// its place.
	key := strings.Join(names, "\n")
	b := l.byKey[key]
	if b == nil {
		b = stream.NewBroadcaster[ChannelEvent](stream.Options{Buffer: c.s.opts.StreamBuffer, OnEvict: c.s.evicted})
		if c.s.closed {
			b.Close()
		}
		l.byKey[key] = b
		for _, n := range names {
			l.events[n] = append(l.events[n], b)
		}
	}
	c.s.mu.Unlock()
	st := b.Subscribe(ctx)
	c.ensureInBackground()
	return st
}

// ensureInBackground keeps the channel subscribed without waiting: the
// pusher client subscribes it now or on connect, and reports a refusal on
// Errors. The caller holds s.subMu.
func (c *EchoChannel) ensureInBackground() {
	s := c.s
	if _, err := pusher.ChannelKind(c.name); err != nil {
		s.hub.Report(domain.ClassSubscription, false, toDomainError(err))
		return
	}
	s.mu.Lock()
	s.wanted[c.name] = true
	started, closed := s.started, s.closed
	s.mu.Unlock()
	if started && !closed {
		s.client.Keep(c.name)
	}
}

// dispatch hands one channel event to its listeners. It runs on the
// client's routing goroutine.
func (s *DataSource) dispatch(f pusher.Frame, data json.RawMessage, typed domain.Event, now time.Time) {
	s.mu.Lock()
	l := s.listeners[f.Channel]
	var named, all []*stream.Broadcaster[ChannelEvent] // appended to only: the elements read stay as they are
	if l != nil {
		named, all = l.events[f.Event], l.events[anyEvent]
	}
	s.mu.Unlock()
	if len(named) == 0 && len(all) == 0 {
		return
	}
	if data == nil {
		data = payloadOf(f.Data)
	}
	ev := ChannelEvent{Channel: f.Channel, Event: f.Event, UserID: f.UserID, Data: data, Typed: typed, ReceivedAt: now}
	for _, b := range named {
		b.Publish(ev)
	}
	if f.Event != anyEvent {
		for _, b := range all {
			b.Publish(ev)
		}
	}
}

// dispatchMembers passes what a presence frame changed (as the protocol
// client made it out, grace periods included) on to the channel's here,
// joining and leaving listeners.
func (s *DataSource) dispatchMembers(f pusher.Frame) {
	s.mu.Lock()
	l := s.listeners[f.Channel]
	s.mu.Unlock()
	if l == nil {
		return
	}
	for _, ev := range f.MemberEvents {
		switch ev.Kind {
		case pusher.MembersReplaced:
			l.here.Publish(ev.Members)
		case pusher.MemberAdded:
			l.joining.Publish(ev.Member)
		case pusher.MemberRemoved:
			l.leaving.Publish(ev.Member)
		}
	}
}
