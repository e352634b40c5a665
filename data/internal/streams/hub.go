package streams

import (
	"time"

	"github.com/chatwire/chatwire/core/stream"
	"github.com/chatwire/chatwire/domain"
)

// DefaultHistorySize is how many typed events History keeps when
// Options.HistorySize is zero.
const DefaultHistorySize = 100

// DefaultBuffer is how many values may wait for a subscriber, unless
// configured, before a publish waits for it. Only the first
// stream.ChannelSlots are allocated when it subscribes (its channel); the
// rest is a queue that grows while the subscriber is behind and is
// released once it has caught up. The buffer decides no loss, only how
// long a burst a subscriber may lag through without holding up the others.
const DefaultBuffer = 1024

// DefaultStallTimeout is how long a subscriber may hold the publisher up
// without taking anything before it is cut off, unless configured.
const DefaultStallTimeout = 10 * time.Second

// Options configure a Hub. They are copied by New; the zero value is ready
// to use.
type Options struct {
	// Buffer is each subscriber's channel buffer; zero means DefaultBuffer.
	Buffer int
	// StallTimeout bounds how long a publish waits on a subscriber that
	// takes nothing; past it the subscriber is cut off and
	// domain.ErrSlowConsumer reported. Zero means DefaultStallTimeout.
	StallTimeout time.Duration
	// HistorySize is how many typed events History keeps; zero or less
	// means DefaultHistorySize.
	HistorySize int
}

// Hub holds the typed streams and the event history of one data source.
//
// Concurrency: every method is safe for concurrent use. Delivery is
// lossless: a publish waits while a subscriber's buffer is full, so a
// publishing goroutine holds back its socket and TCP flow control slows the
// server; a subscriber that keeps reading never loses an event. A
// subscriber that takes nothing for Options.StallTimeout while a publish
// waits on it is cut off (its channel closes after what it buffered) and
// domain.ErrSlowConsumer is reported on Errors. Values published from one
// goroutine reach each subscriber in that order. StopWaiting ends every
// wait when the data source begins to close. After Close returns, every
// channel handed out is closed, later publishes are dropped, and nothing
// is sent on any channel.
type Hub struct {
	hist history

	messages      *stream.Broadcaster[domain.Message]
	typing        *stream.Broadcaster[domain.TypingIndicator]
	statuses      *stream.Broadcaster[domain.UserStatusUpdate]
	conversations *stream.Broadcaster[domain.ConversationUpdate]
	reads         *stream.Broadcaster[domain.ReadReceipt]
	calls         *stream.Broadcaster[domain.CallEvent]
	raw           *stream.Broadcaster[domain.RawFrame]
	states        *stream.Broadcaster[domain.ConnectionState]
	errs          *stream.Broadcaster[error]
}

// New returns an open Hub for opts. It allocates no buffer: subscriber
// channels are made when they subscribe, the history grows as events come.
func New(opts Options) *Hub {
	if opts.HistorySize <= 0 {
		opts.HistorySize = DefaultHistorySize
	}
	if opts.Buffer <= 0 {
		opts.Buffer = DefaultBuffer
	}
	if opts.StallTimeout <= 0 {
		opts.StallTimeout = DefaultStallTimeout
	}
	h := &Hub{hist: history{size: opts.HistorySize}}
	evicted := func(error) { h.Report(domain.ClassSubscription, false, domain.ErrSlowConsumer) }
	bo := stream.Options{Buffer: opts.Buffer, StallTimeout: opts.StallTimeout, OnEvict: evicted}
	h.messages = stream.NewBroadcaster[domain.Message](bo)
	h.typing = stream.NewBroadcaster[domain.TypingIndicator](bo)
	h.statuses = stream.NewBroadcaster[domain.UserStatusUpdate](bo)
	h.conversations = stream.NewBroadcaster[domain.ConversationUpdate](bo)
	h.reads = stream.NewBroadcaster[domain.ReadReceipt](bo)
	h.calls = stream.NewBroadcaster[domain.CallEvent](bo)
	h.raw = stream.NewBroadcaster[domain.RawFrame](bo)
	h.states = stream.NewBroadcaster[domain.ConnectionState](bo)
	bo.OnEvict = nil // the Errors stream cannot report on itself
	h.errs = stream.NewBroadcaster[error](bo)
	return h
}

// Publish records ev in the history and sends it on its typed stream,
// waiting while a subscriber's buffer is full (see Hub). It reports whether
// ev is one of the six typed entities (Message, TypingIndicator,
// UserStatusUpdate, ConversationUpdate, ReadReceipt, CallEvent); any other
// event, a decoder's own type for example, is neither recorded nor sent.
//
// An event is recorded before it is sent, so an event a subscriber has
// received is already in History.
func (h *Hub) Publish(ev domain.Event) bool {
	switch ev.(type) {
	case domain.Message, domain.TypingIndicator, domain.UserStatusUpdate,
		domain.ConversationUpdate, domain.ReadReceipt, domain.CallEvent:
	default:
		return false
	}
	h.hist.add(ev) // ev is already boxed: recording it costs no allocation
	switch e := ev.(type) {
	case domain.Message:
		h.messages.Publish(e)
	case domain.TypingIndicator:
		h.typing.Publish(e)
	case domain.UserStatusUpdate:
		h.statuses.Publish(e)
	case domain.ConversationUpdate:
		h.conversations.Publish(e)
	case domain.ReadReceipt:
		h.reads.Publish(e)
	case domain.CallEvent:
		h.calls.Publish(e)
	}
	return true
}

// PublishRaw sends f on RawMessages. Raw frames are not recorded.
func (h *Hub) PublishRaw(f domain.RawFrame) { h.raw.Publish(f) }

// PublishState sends st on ConnectionStates.
func (h *Hub) PublishState(st domain.ConnectionState) { h.states.Publish(st) }

// Report sends err on Errors as a *domain.Error of the given class.
func (h *Hub) Report(class domain.ErrorClass, fatal bool, err error) {
	h.errs.Publish(&domain.Error{Class: class, Fatal: fatal, Err: err})
}

// History returns the most recent typed events, oldest first, in a new
// slice.
func (h *Hub) History() []domain.Event { return h.hist.snapshot() }

// StopWaiting ends every wait on a full subscriber, now and later: a
// subscriber with no room is cut off (its channel closes, nothing is
// reported) instead of waited for. A data source calls it first thing in
// Close, so that a publisher held up by a stalled subscriber finishes at once;
// publishing goes on until Close. Idempotent.
func (h *Hub) StopWaiting() {
	h.messages.StopWaiting()
	h.typing.StopWaiting()
	h.statuses.StopWaiting()
	h.conversations.StopWaiting()
	h.reads.StopWaiting()
	h.calls.StopWaiting()
	h.raw.StopWaiting()
	h.states.StopWaiting()
	h.errs.StopWaiting()
}

// Close closes every stream. It is idempotent; after it returns nothing
// is sent on any channel and later publishes are dropped. History stays
// readable.
func (h *Hub) Close() {
	h.messages.Close()
	h.typing.Close()
	h.statuses.Close()
	h.conversations.Close()
	h.reads.Close()
	h.calls.Close()
	h.raw.Close()
	h.states.Close()
	h.errs.Close()
}
