package presentation

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/chatwire/chatwire/domain"
	"github.com/chatwire/chatwire/internal/fanout"
)

// Typing timer defaults.
const (
	DefaultTypingExpiry     = 8 * time.Second
	DefaultTypingStartEvery = 3 * time.Second
	DefaultTypingStopAfter  = 5 * time.Second
)

// DefaultSendTimeout bounds a send a notifier makes by itself, from a timer
// or in answer to an event (typing stop, call cancel or busy reject).
const DefaultSendTimeout = 10 * time.Second

// Typing is a snapshot of who is typing: conversation id → user ids,
// sorted. Conversations with nobody typing are absent. Read-only.
type Typing struct {
	ByConversation map[string][]string
}

// In returns who is typing in a conversation (nil if nobody).
func (t Typing) In(conversationID string) []string { return t.ByConversation[conversationID] }

// TypingOptions configure a TypingNotifier. The zero value is ready to use.
type TypingOptions struct {
	// UserID is this user's id; its own indicators are not shown. Empty
	// means the UserID of the data source's connection state.
	UserID string
	// Expiry is how long an indicator is shown after its last update when
	// no "stopped" comes. Zero means DefaultTypingExpiry (8 s).
	Expiry time.Duration
	// StartEvery is the least time between two "typing" sends for one
	// conversation. Zero means DefaultTypingStartEvery (3 s).
	StartEvery time.Duration
	// StopAfter is how long after the last keystroke "stopped" is sent.
	// Zero means DefaultTypingStopAfter (5 s).
	StopAfter time.Duration
	// SendTimeout bounds the "stopped" send the notifier makes by itself.
	// Zero means DefaultSendTimeout (10 s).
	SendTimeout time.Duration
	// Clock runs the timers. Nil means the wall clock.
	Clock domain.Clock
	// OnResync is called, on the notifier's goroutine, each time the
	// notifier was cut off from a stream and followed it again. Nil means
	// nobody is told; NewNotifiers tells the connection notifier.
	OnResync func(Resync)
	// Logger receives failures of the sends the notifier makes by itself.
	// Nil means silent.
	Logger *slog.Logger
}

// TypingNotifier shows who is typing in each conversation and throttles
// this user's own typing reports.
//
// Incoming: a "typing" indicator shows the user until "stopped" comes, the
// user's message arrives, or Expiry passes without a new indicator.
// Outgoing: Keystroke sends "typing" at most every StartEvery and schedules
// "stopped" StopAfter after the last keystroke; Stopped sends it at once.
//
// Concurrency: every method is safe for concurrent use. Keystroke and
// Stopped block on the caller's goroutine while they send. One goroutine,
// started by NewTypingNotifier and stopped by Close, follows the Typing and
// Messages streams; timers run on the clock's goroutines (or inside a fake
// clock's Advance).
type TypingNotifier struct {
	src  domain.ChatWebSocketDataSource
	opts TypingOptions
	run  *runner
	st   *store[Typing]
	ev   *fanout.Fanout[TypingEvent]
	log  *slog.Logger

	mu  sync.Mutex
	in  map[typingKey]*typingIn
	out map[string]*typingOut
}

type typingKey struct{ conv, user string }

type typingIn struct {
	gen  int
	stop func()
}

type typingOut struct {
	lastStart time.Time
	gen       int
	stop      func()
}

// NewTypingNotifier starts following src's typing indicators, and its
// messages (a message ends its sender's typing).
func NewTypingNotifier(src domain.ChatWebSocketDataSource, opts TypingOptions) *TypingNotifier {
	return newTypingNotifier(src, opts, true)
}

// newTypingNotifier follows src's typing indicators and, when
// followMessages is set, its messages; otherwise the messages come from
// the messages notifier (NewNotifiers) through messageArrived.
func newTypingNotifier(src domain.ChatWebSocketDataSource, opts TypingOptions, followMessages bool) *TypingNotifier {
	if opts.Expiry <= 0 {
		opts.Expiry = DefaultTypingExpiry
	}
	if opts.StartEvery <= 0 {
		opts.StartEvery = DefaultTypingStartEvery
	}
	if opts.StopAfter <= 0 {
		opts.StopAfter = DefaultTypingStopAfter
	}
	if opts.SendTimeout <= 0 {
		opts.SendTimeout = DefaultSendTimeout
	}
	n := &TypingNotifier{src: src, opts: opts, run: newRunner(opts.Clock), log: loggerOr(opts.Logger),
		st: newStore(Typing{ByConversation: map[string][]string{}}), ev: newEvents[TypingEvent](opts.Clock),
		in: make(map[typingKey]*typingIn), out: make(map[string]*typingOut)}
	messages := feed[domain.Message]{}
	if followMessages {
		messages = eventFeed(src, "Messages", src.Messages, n.messageArrived)
	}
	follow(followLoop{run: n.run, src: src, notifier: "typing", onResync: opts.OnResync}, eventFeed(src, "Typing", src.Typing, n.indicate), messages)
	return n
}

// messageArrived ends the typing of m's sender in m's conversation.
func (n *TypingNotifier) messageArrived(m domain.Message) {
	n.clear(typingKey{m.ConversationID, m.SenderID})
}

// Value returns the current snapshot.
func (n *TypingNotifier) Value() Typing { return n.st.value() }

// Changes returns the current snapshot and then every newer one, a newer
// one replacing an unread older one. The channel closes when ctx ends or
// the notifier closes.
func (n *TypingNotifier) Changes(ctx context.Context) <-chan Typing { return n.st.changes(ctx) }

// Events returns every change from now on, one event each: "bob started
// typing in c1", "bob stopped typing in c1". See the package doc for
// ordering and for a subscriber that stops reading.
func (n *TypingNotifier) Events(ctx context.Context) <-chan TypingEvent { return n.ev.Subscribe(ctx) }

// Close stops following the data source, cancels every timer (a pending
// "stopped" is not sent) and closes every Changes and Events channel.
// Idempotent.
func (n *TypingNotifier) Close() {
	n.run.close()
	n.st.close()
	n.ev.Close()
}

// Keystroke reports that this user typed in a conversation. It sends
// "typing" unless one was sent less than StartEvery ago, and (re)schedules
// "stopped" for StopAfter from now. It returns the send's error.
func (n *TypingNotifier) Keystroke(ctx context.Context, conversationID string) error {
	if conversationID == "" {
		return fmt.Errorf("%w: empty conversation id", ErrInvalidArgument)
	}
	if n.run.isClosed() {
		return domain.ErrClosed
	}
	now := n.run.now()
	n.mu.Lock()
	o := n.out[conversationID]
	if o == nil {
		o = &typingOut{}
		n.out[conversationID] = o
	}
	send := o.lastStart.IsZero() || now.Sub(o.lastStart) >= n.opts.StartEvery
	if send {
		o.lastStart = now
	}
	o.gen++
	gen := o.gen
	if o.stop != nil {
		o.stop()
	}
	o.stop = n.run.after(n.opts.StopAfter, func() { n.autoStop(conversationID, gen) })
	n.mu.Unlock()

	if !send {
		return nil
	}
	if err := n.src.SendTyping(ctx, conversationID, true); err != nil {
		n.mu.Lock()
		if n.out[conversationID] == o && o.gen == gen {
			o.stop()
			delete(n.out, conversationID)
		}
		n.mu.Unlock()
		return fmt.Errorf("presentation: send typing: %w", err)
	}
	return nil
}

// Stopped reports that this user stopped typing (sent the message or
// cleared the input): it sends "stopped" now if "typing" was sent and
// cancels the scheduled one. It does nothing when no "typing" is pending.
func (n *TypingNotifier) Stopped(ctx context.Context, conversationID string) error {
	if conversationID == "" {
		return fmt.Errorf("%w: empty conversation id", ErrInvalidArgument)
	}
	if n.run.isClosed() {
		return domain.ErrClosed
	}
	n.mu.Lock()
	o := n.out[conversationID]
	if o == nil {
		n.mu.Unlock()
		return nil
	}
	o.stop()
	delete(n.out, conversationID)
	n.mu.Unlock()
	if err := n.src.SendTyping(ctx, conversationID, false); err != nil {
		return fmt.Errorf("presentation: send typing: %w", err)
	}
	return nil
}

// autoStop sends "stopped" when no keystroke came for StopAfter.
func (n *TypingNotifier) autoStop(conv string, gen int) {
	n.mu.Lock()
	o := n.out[conv]
	if o == nil || o.gen != gen {
		n.mu.Unlock()
		return
	}
	delete(n.out, conv)
	n.mu.Unlock()
	ctx, release := n.run.context(n.opts.SendTimeout)
	defer release()
	// Best effort: the peers' expiry covers a lost "stopped".
	if err := n.src.SendTyping(ctx, conv, false); err != nil {
		n.log.Debug("presentation: typing stop not sent", "conversation_id", conv, "err", err)
	}
}

func (n *TypingNotifier) indicate(t domain.TypingIndicator) {
	if t.ConversationID == "" || t.UserID == "" {
		return
	}
	if self := n.self(); self != "" && t.UserID == self {
		return
	}
	k := typingKey{t.ConversationID, t.UserID}
	if !t.IsTyping {
		n.clear(k)
		return
	}
	n.mu.Lock()
	e := n.in[k]
	if e == nil {
		e = &typingIn{}
		n.in[k] = e
	} else {
		e.stop()
	}
	e.gen++
	gen := e.gen
	e.stop = n.run.after(n.opts.Expiry, func() { n.expire(k, gen) })
	n.show(k, true)
	n.mu.Unlock()
}

func (n *TypingNotifier) expire(k typingKey, gen int) {
	n.mu.Lock()
	e := n.in[k]
	if e == nil || e.gen != gen {
		n.mu.Unlock()
		return
	}
	delete(n.in, k)
	n.show(k, false)
	n.mu.Unlock()
}

func (n *TypingNotifier) clear(k typingKey) {
	n.mu.Lock()
	e := n.in[k]
	if e == nil {
		n.mu.Unlock()
		return
	}
	e.stop()
	delete(n.in, k)
	n.show(k, false)
	n.mu.Unlock()
}

// show adds or removes k.user in the snapshot. The caller holds n.mu, so
// the snapshot follows n.in in order.
func (n *TypingNotifier) show(k typingKey, on bool) {
	updateEmitting(n.st, n.ev, func(s Typing) (Typing, []TypingEvent, bool) {
		users := s.ByConversation[k.conv]
		i, found := slices.BinarySearch(users, k.user)
		if found == on {
			return s, nil, false
		}
		ev := TypingEvent{Kind: TypingStopped, ConversationID: k.conv, UserID: k.user}
		if on {
			ev.Kind = TypingStarted
		}
		if on {
			users = slices.Insert(slices.Clone(users), i, k.user)
		} else {
			users = slices.Delete(slices.Clone(users), i, i+1)
		}
		m := make(map[string][]string, len(s.ByConversation)+1)
		for c, u := range s.ByConversation {
			m[c] = u
		}
		if len(users) == 0 {
			delete(m, k.conv)
		} else {
			m[k.conv] = users
		}
		return Typing{ByConversation: m}, []TypingEvent{ev}, true
	})
}

func (n *TypingNotifier) self() string {
	if n.opts.UserID != "" {
		return n.opts.UserID
	}
	return n.src.ConnectionState().UserID
}
