package pusher

import (
	"context"
	"encoding/json"
	"sort"
	"sync"
	"time"

	"github.com/chatwire/chatwire/core/stream"
)

// ChannelState is where a channel subscription is.
type ChannelState int

const (
	// ChannelPending: waiting for a connection to subscribe on.
	ChannelPending ChannelState = iota
	// ChannelSubscribing: being authorized, or the subscribe frame is sent
	// and the server's answer awaited.
	ChannelSubscribing
	// ChannelSubscribed: the server confirmed the subscription.
	ChannelSubscribed
	// ChannelFailed: the subscription was refused or could not be
	// authorized (Channel.Err says why). The Client tries again after the
	// next reconnect.
	ChannelFailed
	// ChannelUnsubscribed: Unsubscribe or Close was called. Terminal.
	ChannelUnsubscribed
)

func (s ChannelState) String() string {
	switch s {
	case ChannelPending:
		return "pending"
	case ChannelSubscribing:
		return "subscribing"
	case ChannelSubscribed:
		return "subscribed"
	case ChannelFailed:
		return "failed"
	case ChannelUnsubscribed:
		return "unsubscribed"
	}
	return "unknown"
}

// Event is a server or client event on a channel.
type Event struct {
	Event   string
	Channel string
	// Data is the event's data with the protocol's string encoding removed
	// (see Frame.Payload).
	Data json.RawMessage
	// UserID is the sender of a client event on a presence channel.
	UserID string
}

// Member is one member of a presence channel.
type Member struct {
	ID string
	// Info is the user_info the backend's authorization gave, if any.
	Info json.RawMessage
}

// MemberEventKind says what changed on a presence channel.
type MemberEventKind int

const (
	// MembersReplaced: a (re)subscription delivered the full member list;
	// MemberEvent.Members holds it and replaces every earlier member.
	MembersReplaced MemberEventKind = iota + 1
	// MemberAdded: MemberEvent.Member joined.
	MemberAdded
	// MemberRemoved: MemberEvent.Member left.
	MemberRemoved
)

func (k MemberEventKind) String() string {
	switch k {
	case MembersReplaced:
		return "replaced"
	case MemberAdded:
		return "added"
	case MemberRemoved:
		return "removed"
	}
	return "unknown"
}

// MemberEvent is a change of a presence channel's member list.
type MemberEvent struct {
	Kind    MemberEventKind
	Member  Member   // MemberAdded, MemberRemoved
	Members []Member // MembersReplaced, sorted by ID
}

// Channel is one subscription. It survives reconnects: the Client
// resubscribes it on every new connection until Unsubscribe or Close.
//
// Concurrency: every method is safe for concurrent use. Its streams are fed
// by the Client's routing goroutine and close when their ctx ends, the
// channel is unsubscribed or the Client closes.
type Channel struct {
	name    string
	kind    Kind
	client  *Client
	events  *stream.Broadcaster[Event]
	members *stream.Broadcaster[MemberEvent]

	// sendMu orders the channel's subscribe and unsubscribe frames with the
	// decisions behind them: it is held from the check that a frame is
	// still wanted until the frame is written, so that an unsubscribe (or a
	// timeout's take-back) is never overtaken by a subscribe decided before
	// it. Taken before client.mu, never while holding it.
	sendMu sync.Mutex

	// Guarded by client.mu.
	state         ChannelState
	err           error
	changed       chan struct{}        // closed and replaced on every state change
	announcing    bool                 // the member events of a new subscription are being published
	memberMap     map[string]Member    // presence: nil until the first member list
	leaving       map[string]time.Time // presence: members in their grace period, and its end
	refreshAt     time.Time            // presence: when the member list is fetched again; zero: never
	refreshing    bool                 // presence: a refresh's answer is awaited
	early         []MemberEvent        // presence: member changes since the subscribe frame went out
	refreshAuth   Auth                 // presence: the signature of the subscription on refreshSocket
	refreshSocket string
	me            string    // presence: our own user id from the channel data
	attemptSocket string    // socket id the latest attempt runs for
	sentSeq       uint64    // order of the latest subscribe frame; 0 while none is out
	key           *[32]byte // private-encrypted-: the shared secret of the latest authorization
	count         int       // the latest subscription count, 0 if none came
	waiters       int       // Subscribe, Ensure and Wait calls waiting on the channel
	failSeq       uint64    // counts failures, so a waiter sees each one
	failErr       error     // the latest failure
}

func newChannel(c *Client, name string, kind Kind) *Channel {
	ch := &Channel{
		name:    name,
		kind:    kind,
		client:  c,
		changed: make(chan struct{}),
	}
	ch.events = stream.NewBroadcaster[Event](stream.Options{Buffer: c.opts.Buffer, OnEvict: c.reportEvict})
	ch.members = stream.NewBroadcaster[MemberEvent](stream.Options{Buffer: c.opts.Buffer, OnEvict: c.reportEvict})
	return ch
}

// Name returns the channel's name.
func (ch *Channel) Name() string { return ch.name }

// Kind returns the channel's kind.
func (ch *Channel) Kind() Kind { return ch.kind }

// State returns the subscription's state.
func (ch *Channel) State() ChannelState {
	ch.client.mu.Lock()
	defer ch.client.mu.Unlock()
	return ch.state
}

// Err returns why the latest subscription attempt failed, or nil.
func (ch *Channel) Err() error {
	ch.client.mu.Lock()
	defer ch.client.mu.Unlock()
	return ch.err
}

// Wait blocks until the channel is subscribed (nil), its subscription
// failed (the *SubscriptionError) or ended (ErrNotSubscribed, or ErrClosed
// after Close), or ctx ends. While pending or subscribing it waits, so after
// a reconnect it returns once the channel is subscribed again. A failure
// that happens while it waits is returned, not also reported on Errors.
func (ch *Channel) Wait(ctx context.Context) error {
	c := ch.client
	c.mu.Lock()
	if ch.state == ChannelFailed {
		err := ch.err
		c.mu.Unlock()
		return err
	}
	ch.waiters++
	w := &waiter{ch: ch, failSeq: ch.failSeq}
	c.mu.Unlock()
	return c.await(ctx, []*waiter{w})[0]
}

// Events returns the channel's events (server events and other clients'
// client events) from now on, across reconnects.
func (ch *Channel) Events(ctx context.Context) <-chan Event { return ch.events.Subscribe(ctx) }

// MemberEvents returns presence member changes from now on. A
// MembersReplaced event follows every (re)subscription; it holds the
// members in their grace period too (see Options.PresenceGrace). The one
// of the subscription a Subscribe waited for is published before Subscribe
// returns, so a stream taken after it starts with what comes next. A
// refreshed list (Options.PresenceRefresh) shows as MemberAdded for whom
// it adds, and later MemberRemoved for whom it lacks.
func (ch *Channel) MemberEvents(ctx context.Context) <-chan MemberEvent {
	return ch.members.Subscribe(ctx)
}

// Members returns the presence channel's current members sorted by ID
// (none for other kinds, or before the subscription succeeded). A member
// who left stays listed for Options.PresenceGrace (until MemberRemoved).
func (ch *Channel) Members() []Member {
	ch.client.mu.Lock()
	defer ch.client.mu.Unlock()
	return sortedMembers(ch.memberMap)
}

// SubscriptionCount returns the channel's subscriber count from the
// server's latest pusher_internal:subscription_count, or 0 if none came
// (servers send it only when the app enables it).
func (ch *Channel) SubscriptionCount() int {
	ch.client.mu.Lock()
	defer ch.client.mu.Unlock()
	return ch.count
}

// Me returns our own member ID on a presence channel, from the
// authorization's channel data; "" otherwise.
func (ch *Channel) Me() string {
	ch.client.mu.Lock()
	defer ch.client.mu.Unlock()
	return ch.me
}

// Trigger sends a client event on this channel; see Client.Trigger.
func (ch *Channel) Trigger(ctx context.Context, event string, data any) error {
	return ch.client.Trigger(ctx, ch.name, event, data)
}

// Unsubscribe ends the subscription; see Client.Unsubscribe.
func (ch *Channel) Unsubscribe(ctx context.Context) error {
	return ch.client.unsubscribe(ctx, ch)
}

// setStateLocked changes the state and wakes waiters. The caller holds
// client.mu.
func (ch *Channel) setStateLocked(s ChannelState, err error) {
	ch.state = s
	ch.err = err
	ch.notifyLocked()
}

// notifyLocked wakes whoever waits on ch.changed.
func (ch *Channel) notifyLocked() {
	close(ch.changed)
	ch.changed = make(chan struct{})
}

// close ends the channel's streams; the channel must already be out of the
// client's map.
func (ch *Channel) close(err error) {
	ch.client.mu.Lock()
	if ch.state != ChannelUnsubscribed {
		ch.setStateLocked(ChannelUnsubscribed, err)
	}
	ch.client.mu.Unlock()
	ch.events.Close()
	ch.members.Close()
}

func sortedMembers(m map[string]Member) []Member {
	if len(m) == 0 {
		return nil
	}
	out := make([]Member, 0, len(m))
	for _, mb := range m {
		out = append(out, mb)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}
