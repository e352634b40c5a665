package streams

import (
	"github.com/chatwire/chatwire/core/stream"
	"github.com/chatwire/chatwire/domain"
)

// DefaultHistorySize is how many typed events History keeps when
// Options.HistorySize is zero.
const DefaultHistorySize = 100

// DefaultBuffer is each subscriber's buffer unless configured: room for a
// burst (a sync replay, a busy group) while the app's goroutine waits for
// a core, before the slow-consumer policy cuts a subscriber off.
const DefaultBuffer = 1024

// Options configure a Hub. They are copied by New; the zero value is ready
// to use.
type Options struct {
	// Buffer is each subscriber's channel buffer; zero means DefaultBuffer.
	Buffer int
	// HistorySize is how many typed events History keeps; zero or less
	// means DefaultHistorySize.
	HistorySize int
}

// Hub holds the typed streams and the event history of one data source.
//
// Concurrency: every method is safe for concurrent use. Publishing methods
// never block: a subscriber whose buffer is full is evicted and
// domain.ErrSlowConsumer reported on Errors. Values published from one
// goroutine reach each subscriber in that order. After Close returns, every
// channel handed out is closed, later publishes are dropped, and nothing is
// sent on any channel.
type Hub struct {
	hist *history

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

// New returns an open Hub for opts.
func New(opts Options) *Hub {
	if opts.HistorySize <= 0 {
		opts.HistorySize = DefaultHistorySize
	}
	h := &Hub{hist: newHistory(opts.HistorySize)}
	evicted := func(error) { h.Report(domain.ClassSubscription, false, domain.ErrSlowConsumer) }
	if opts.Buffer <= 0 {
		opts.Buffer = DefaultBuffer
	}
	bo := stream.Options{Buffer: opts.Buffer, OnEvict: evicted}
	h.messages = stream.NewBroadcaster[domain.Message](bo)
	h.typing = stream.NewBroadcaster[domain.TypingIndicator](bo)
	h.statuses = stream.NewBroadcaster[domain.UserStatusUpdate](bo)
	h.conversations = stream.NewBroadcaster[domain.ConversationUpdate](bo)
	h.reads = stream.NewBroadcaster[domain.ReadReceipt](bo)
	h.calls = stream.NewBroadcaster[domain.CallEvent](bo)
	h.raw = stream.NewBroadcaster[domain.RawFrame](bo)
	h.states = stream.NewBroadcaster[domain.ConnectionState](bo)
	h.errs = stream.NewBroadcaster[error](stream.Options{Buffer: opts.Buffer})
	return h
}

// Publish records ev in the history and sends it on its typed stream. It
// reports whether ev is one of the six typed entities (Message,
// TypingIndicator, UserStatusUpdate, ConversationUpdate, ReadReceipt,
// CallEvent); any other event, a decoder's own type for example, is
// neither recorded nor sent.
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
