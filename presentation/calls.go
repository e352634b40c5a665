package presentation

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/chatwire/chatwire/domain"
	"github.com/chatwire/chatwire/internal/fanout"
	"github.com/chatwire/chatwire/internal/recent"
)

// Call timing and buffering defaults.
const (
	DefaultRingTimeout = 45 * time.Second
)

// Reasons the CallNotifier itself gives for how a call ended.
const (
	ReasonTimeout           = "timeout"            // nobody answered within the ring timeout
	ReasonGlare             = "glare"              // both sides called each other; this call lost
	ReasonBusy              = "busy"               // an incoming call was refused during another call
	ReasonAnsweredElsewhere = "answered_elsewhere" // this user answered on another device
	ReasonSendFailed        = "send_failed"        // the invitation could not be sent; Err says why
)

// CallPhase is where the current call stands.
type CallPhase int

const (
	// CallIdle: no call yet.
	CallIdle CallPhase = iota
	// CallOutgoingRinging: this user called; nobody has answered yet.
	CallOutgoingRinging
	// CallIncomingRinging: someone calls this user.
	CallIncomingRinging
	// CallActive: the call was answered.
	CallActive
	// CallEnded: an answered call is over (or the invitation failed).
	CallEnded
	// CallRejected: the callee(s) refused, or this user did.
	CallRejected
	// CallMissed: an incoming call rang out unanswered.
	CallMissed
	// CallCancelled: the caller gave up before an answer (an outgoing call
	// that rang out unanswered is cancelled too).
	CallCancelled
)

func (p CallPhase) String() string {
	switch p {
	case CallIdle:
		return "idle"
	case CallOutgoingRinging:
		return "outgoing_ringing"
	case CallIncomingRinging:
		return "incoming_ringing"
	case CallActive:
		return "active"
	case CallEnded:
		return "ended"
	case CallRejected:
		return "rejected"
	case CallMissed:
		return "missed"
	case CallCancelled:
		return "cancelled"
	}
	return "unknown"
}

// Ringing reports whether the phase is outgoing or incoming ringing.
func (p CallPhase) Ringing() bool { return p == CallOutgoingRinging || p == CallIncomingRinging }

// InProgress reports whether the call rings or is active.
func (p CallPhase) InProgress() bool { return p.Ringing() || p == CallActive }

// Call is a snapshot of the current (or last) call. Read-only.
type Call struct {
	Phase          CallPhase
	ID             string
	ConversationID string
	CallerID       string
	CalleeIDs      []string
	Media          domain.Media
	// Outgoing is true when this user placed the call.
	Outgoing     bool
	RingingSince time.Time
	AnsweredAt   time.Time
	EndedAt      time.Time
	// EndedBy is who ended, rejected or cancelled the call, when known.
	EndedBy string
	// Reason is the peer's reason or one of the Reason constants.
	Reason string
	// Duration is how long an answered call lasted.
	Duration time.Duration
	// Err is the send failure that ended the call (ReasonSendFailed).
	Err error
}

// CallOptions configure a CallNotifier. The zero value is ready to use.
type CallOptions struct {
	// UserID is this user's id. Empty means the UserID of the data
	// source's connection state.
	UserID string
	// RingTimeout is how long a call rings before an incoming call becomes
	// missed and an outgoing one is cancelled. Zero means DefaultRingTimeout.
	RingTimeout time.Duration
	// SendTimeout bounds the signals the notifier sends by itself (the
	// timeout's cancel, a busy reject, glare resolution). Zero means
	// DefaultSendTimeout.
	SendTimeout time.Duration
	// Clock runs the ring timer. Nil means the wall clock.
	Clock domain.Clock
	// OnResync is called, on the notifier's goroutine, each time the
	// notifier was cut off from the Calls stream and followed it again.
	// Nil means nobody is told; NewNotifiers tells the connection notifier.
	OnResync func(Resync)
	// Logger receives failures of the signals the notifier sends by itself
	// and Signals subscribers cut off for not reading. Nil means silent.
	Logger *slog.Logger
}

// CallNotifier runs the call state machine of this user: idle → outgoing
// or incoming ringing → active → ended, or rejected, missed or cancelled.
// One call at a time: an incoming call during another one is rejected with
// ReasonBusy.
//
// Glare (this user calls someone who calls this user at the same time) is
// settled by the lower call id, compared as strings, on both sides: the
// side whose call has the lower id keeps ringing and ignores the other
// call; the other side cancels its own call (ReasonGlare) and accepts the
// winning one, which becomes active. Both end up in the same call.
//
// WebRTC signalling (offer, answer, ICE candidates) of the current call is
// delivered on Signals and sent with Signal.
//
// Concurrency: every method is safe for concurrent use; the actions block
// on the caller's goroutine while they send. One goroutine, started by
// NewCallNotifier and stopped by Close, follows the Calls stream; the ring
// timer runs on the clock's goroutine (or inside a fake clock's Advance).
type CallNotifier struct {
	src     domain.ChatWebSocketDataSource
	opts    CallOptions
	run     *runner
	st      *store[Call]
	ev      *fanout.Fanout[CallPhaseEvent]
	signals *fanout.Fanout[domain.CallEvent]
	log     *slog.Logger

	mu         sync.Mutex // guards what follows and orders snapshot updates
	cur        Call
	stopRing   func()
	rejectedBy []string
	accepting  string      // the call Accept is answering, whose echo is ours
	seen       *recent.Set // call ids already handled
}

// NewCallNotifier starts following src's call events.
func NewCallNotifier(src domain.ChatWebSocketDataSource, opts CallOptions) *CallNotifier {
	if opts.RingTimeout <= 0 {
		opts.RingTimeout = DefaultRingTimeout
	}
	if opts.SendTimeout <= 0 {
		opts.SendTimeout = DefaultSendTimeout
	}
	n := &CallNotifier{src: src, opts: opts, run: newRunner(opts.Clock), st: newStore(Call{}),
		ev: newEvents[CallPhaseEvent](opts.Clock), stopRing: func() {}, seen: recent.New(1024), log: loggerOr(opts.Logger)}
	n.signals = fanout.New[domain.CallEvent](fanout.Options{Clock: opts.Clock, OnCutOff: func() {
		n.log.Warn("presentation: call signal subscriber stopped reading, cut off")
	}})
	follow(followLoop{run: n.run, src: src, notifier: "calls", onResync: opts.OnResync},
		eventFeed(src, "Calls", src.Calls, n.handle), feed[struct{}]{})
	return n
}

// Value returns the current snapshot.
func (n *CallNotifier) Value() Call { return n.st.value() }

// Changes returns the current snapshot and then every newer one, a newer
// one replacing an unread older one. The channel closes when ctx ends or
// the notifier closes.
func (n *CallNotifier) Changes(ctx context.Context) <-chan Call { return n.st.changes(ctx) }

// Signals returns the offer, answer and ICE candidate events of the current
// call, in order, for a WebRTC layer. Unlike Changes nothing is replaced
// or lost: a subscriber that keeps reading gets every event; one that
// leaves an event untaken for 30 s has stopped reading and is cut off (its
// channel closes, and it is logged). The channel closes when ctx ends or
// the notifier closes.
func (n *CallNotifier) Signals(ctx context.Context) <-chan domain.CallEvent {
	return n.signals.Subscribe(ctx)
}

// Events returns every change from now on, one event each: a new call
// ("incoming call from bob") or the current one moving on ("call
// ended"). See the package doc for ordering and for a subscriber that
// stops reading.
func (n *CallNotifier) Events(ctx context.Context) <-chan CallPhaseEvent { return n.ev.Subscribe(ctx) }

// Close stops following the data source, cancels the ring timer (nothing
// is sent) and closes every Changes, Events and Signals channel.
// Idempotent.
func (n *CallNotifier) Close() {
	n.run.close()
	n.st.close()
	n.ev.Close()
	n.signals.Close()
}

// handle runs one call event through the state machine.
func (n *CallNotifier) handle(ev domain.CallEvent) {
	if ev.CallID == "" {
		return
	}
	self := n.self()
	switch ev.Kind {
	case domain.CallOffer, domain.CallAnswer, domain.CallICECandidate:
		n.mu.Lock()
		if ev.CallID == n.cur.ID && n.cur.Phase.InProgress() {
			ev.Signal = slices.Clone(ev.Signal)
			n.signals.Publish(ev)
		}
		n.mu.Unlock()
	case domain.CallIncoming:
		n.incoming(ev, self)
	default:
		n.mu.Lock()
		defer n.mu.Unlock()
		if ev.CallID != n.cur.ID || !n.cur.Phase.InProgress() {
			return
		}
		n.progress(ev, self)
	}
}

// progress applies accepted, rejected, cancelled and ended to the current
// call. The caller holds n.mu.
func (n *CallNotifier) progress(ev domain.CallEvent, self string) {
	c := n.cur
	now := n.run.now()
	byOther := ev.UserID != self || self == ""
	switch ev.Kind {
	case domain.CallAccepted:
		switch {
		case c.Phase == CallOutgoingRinging && byOther:
			c.Phase, c.AnsweredAt = CallActive, now
		case c.Phase == CallIncomingRinging && !byOther && n.accepting == c.ID:
			c.Phase, c.AnsweredAt = CallActive, now // the echo of our own Accept
		case c.Phase == CallIncomingRinging && !byOther:
			c = ended(c, CallEnded, now, ev.UserID, ReasonAnsweredElsewhere)
		default:
			return
		}
	case domain.CallRejected:
		switch {
		case c.Phase == CallOutgoingRinging && byOther:
			if !slices.Contains(n.rejectedBy, ev.UserID) {
				n.rejectedBy = append(n.rejectedBy, ev.UserID)
			}
			if len(n.rejectedBy) < len(c.CalleeIDs) {
				return // others may still answer
			}
			c = ended(c, CallRejected, now, ev.UserID, ev.Reason)
		case c.Phase == CallIncomingRinging && !byOther:
			c = ended(c, CallRejected, now, ev.UserID, ev.Reason)
		default:
			return
		}
	case domain.CallCancelled:
		if !c.Phase.Ringing() {
			return
		}
		c = ended(c, CallCancelled, now, ev.UserID, ev.Reason)
	case domain.CallEnded:
		by := ev.EndedBy
		if by == "" {
			by = ev.UserID
		}
		c = ended(c, CallEnded, now, by, ev.Reason)
		if ev.Duration > 0 {
			c.Duration = ev.Duration
		}
	default:
		return
	}
	n.setLocked(c)
}

// incoming handles call.incoming: a new call, a glare, or a busy reject.
func (n *CallNotifier) incoming(ev domain.CallEvent, self string) {
	if self != "" && ev.CallerID == self {
		return // this user's own call, seen from another device
	}
	n.mu.Lock()
	if !n.seen.Add(ev.CallID) || ev.CallID == n.cur.ID {
		n.mu.Unlock()
		return // a replay
	}
	c := n.cur
	glare := c.Phase == CallOutgoingRinging &&
		(slices.Contains(c.CalleeIDs, ev.CallerID) || (c.ConversationID != "" && c.ConversationID == ev.ConversationID))
	switch {
	case glare && c.ID < ev.CallID:
		n.mu.Unlock()
		return // this side's call wins; the caller drops theirs
	case glare:
		now := n.run.now()
		won := callFromIncoming(ev, now)
		won.Phase, won.AnsweredAt = CallActive, now
		n.setLocked(won)
		n.mu.Unlock()
		n.sendAside(
			domain.CallSignal{Kind: domain.SignalCancel, CallID: c.ID, ConversationID: c.ConversationID, Reason: ReasonGlare},
			domain.CallSignal{Kind: domain.SignalAccept, CallID: won.ID, ConversationID: won.ConversationID})
	case c.Phase.InProgress():
		n.mu.Unlock()
		n.sendAside(domain.CallSignal{Kind: domain.SignalReject, CallID: ev.CallID, ConversationID: ev.ConversationID, Reason: ReasonBusy})
	default:
		n.startRing(ev.CallID) // before publishing: whoever sees the ringing call sees its timer
		n.setLocked(callFromIncoming(ev, n.run.now()))
		n.mu.Unlock()
	}
}

func callFromIncoming(ev domain.CallEvent, now time.Time) Call {
	return Call{Phase: CallIncomingRinging, ID: ev.CallID, ConversationID: ev.ConversationID,
		CallerID: ev.CallerID, CalleeIDs: slices.Clone(ev.CalleeIDs), Media: ev.Media, RingingSince: now}
}

// ended returns c in a final phase.
func ended(c Call, phase CallPhase, now time.Time, by, reason string) Call {
	if c.Phase == CallActive && !c.AnsweredAt.IsZero() {
		c.Duration = now.Sub(c.AnsweredAt)
	}
	c.Phase, c.EndedAt, c.EndedBy, c.Reason = phase, now, by, reason
	return c
}

// startRing starts the ring timer of call id. The caller holds n.mu.
func (n *CallNotifier) startRing(id string) {
	n.stopRing()
	n.stopRing = n.run.after(n.opts.RingTimeout, func() { n.ringOut(id) })
}

// ringOut ends a call nobody answered in time.
func (n *CallNotifier) ringOut(id string) {
	n.mu.Lock()
	c := n.cur
	if c.ID != id || !c.Phase.Ringing() {
		n.mu.Unlock()
		return
	}
	now := n.run.now()
	if c.Phase == CallIncomingRinging {
		n.setLocked(ended(c, CallMissed, now, "", ReasonTimeout))
		n.mu.Unlock()
		return
	}
	n.setLocked(ended(c, CallCancelled, now, c.CallerID, ReasonTimeout))
	n.mu.Unlock()
	n.sendAside(domain.CallSignal{Kind: domain.SignalCancel, CallID: id, ConversationID: c.ConversationID, Reason: ReasonTimeout})
}

// sendAside sends, in order and on a goroutine of its own (the follow
// goroutine and the clock's never wait for a send), signals the notifier
// decided on by itself, each within SendTimeout. A failure is logged; a
// failed accept ends the call it answered with ReasonSendFailed.
func (n *CallNotifier) sendAside(signals ...domain.CallSignal) {
	n.run.goFunc(func(<-chan struct{}) {
		for _, s := range signals {
			ctx, release := n.run.context(n.opts.SendTimeout)
			err := n.src.SendCallSignal(ctx, s)
			release()
			if err == nil {
				continue
			}
			n.log.Warn("presentation: call signal not sent", "kind", string(s.Kind), "call_id", s.CallID, "err", err)
			if s.Kind == domain.SignalAccept {
				n.failIf(s.CallID, CallActive, err)
			}
		}
	})
}

// failIf ends call id with err if it is still in phase.
func (n *CallNotifier) failIf(id string, phase CallPhase, err error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.cur.ID != id || n.cur.Phase != phase {
		return
	}
	c := ended(n.cur, CallEnded, n.run.now(), "", ReasonSendFailed)
	c.Err = err
	n.setLocked(c)
}

// setLocked makes c the current call and publishes it; a call that is no
// longer ringing stops the ring timer. The caller holds n.mu.
func (n *CallNotifier) setLocked(c Call) {
	if c.ID != n.cur.ID {
		n.rejectedBy = nil
	}
	if !c.Phase.Ringing() {
		n.stopRing()
		n.stopRing = func() {}
	}
	prev := CallIdle
	if c.ID == n.cur.ID {
		prev = n.cur.Phase
	}
	n.cur = c
	updateEmitting(n.st, n.ev, func(Call) (Call, []CallPhaseEvent, bool) {
		return c, []CallPhaseEvent{{Call: c, Previous: prev}}, true
	})
}

func (n *CallNotifier) self() string {
	if n.opts.UserID != "" {
		return n.opts.UserID
	}
	return n.src.ConnectionState().UserID
}
