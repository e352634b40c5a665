package streams

import (
	"context"

	"github.com/chatwire/chatwire/core/stream"
	"github.com/chatwire/chatwire/domain"
)

// Each subscribe method returns a channel of the values published from now
// on. The channel closes when ctx is done, when the Hub closes, or when the
// subscriber has taken nothing for Options.StallTimeout while a publish
// waited on it (then domain.ErrSlowConsumer is reported on Errors). On a
// closed Hub it is closed already.

// lossless is every subscription of the Hub: the publisher waits for room.
var lossless = stream.SubscribeOptions{Policy: stream.Block}

// Messages returns chat messages.
func (h *Hub) Messages(ctx context.Context) <-chan domain.Message {
	return h.messages.SubscribeWith(ctx, lossless)
}

// Typing returns typing indicators.
func (h *Hub) Typing(ctx context.Context) <-chan domain.TypingIndicator {
	return h.typing.SubscribeWith(ctx, lossless)
}

// UserStatuses returns presence changes.
func (h *Hub) UserStatuses(ctx context.Context) <-chan domain.UserStatusUpdate {
	return h.statuses.SubscribeWith(ctx, lossless)
}

// ConversationUpdates returns conversation changes.
func (h *Hub) ConversationUpdates(ctx context.Context) <-chan domain.ConversationUpdate {
	return h.conversations.SubscribeWith(ctx, lossless)
}

// ReadReceipts returns read receipts.
func (h *Hub) ReadReceipts(ctx context.Context) <-chan domain.ReadReceipt {
	return h.reads.SubscribeWith(ctx, lossless)
}

// Calls returns call events and signalling.
func (h *Hub) Calls(ctx context.Context) <-chan domain.CallEvent {
	return h.calls.SubscribeWith(ctx, lossless)
}

// RawMessages returns the frames given to PublishRaw.
func (h *Hub) RawMessages(ctx context.Context) <-chan domain.RawFrame {
	return h.raw.SubscribeWith(ctx, lossless)
}

// ConnectionStates returns the states given to PublishState.
func (h *Hub) ConnectionStates(ctx context.Context) <-chan domain.ConnectionState {
	return h.states.SubscribeWith(ctx, lossless)
}

// Errors returns the failures given to Report, each a *domain.Error. An
// Errors subscriber that stalls is cut off like the others, but without a
// report: the stream cannot report on itself.
func (h *Hub) Errors(ctx context.Context) <-chan error { return h.errs.SubscribeWith(ctx, lossless) }
