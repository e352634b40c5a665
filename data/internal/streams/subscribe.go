package streams

import (
	"context"

	"github.com/chatwire/chatwire/domain"
)

// Each subscribe method returns a channel of the values published from now
// on. The channel closes when ctx is done, when the Hub closes, or when the
// subscriber falls a full buffer behind (then domain.ErrSlowConsumer is
// reported on Errors). On a closed Hub it is closed already.

// Messages returns chat messages.
func (h *Hub) Messages(ctx context.Context) <-chan domain.Message { return h.messages.Subscribe(ctx) }

// Typing returns typing indicators.
func (h *Hub) Typing(ctx context.Context) <-chan domain.TypingIndicator {
	return h.typing.Subscribe(ctx)
}

// UserStatuses returns presence changes.
func (h *Hub) UserStatuses(ctx context.Context) <-chan domain.UserStatusUpdate {
	return h.statuses.Subscribe(ctx)
}

// ConversationUpdates returns conversation changes.
func (h *Hub) ConversationUpdates(ctx context.Context) <-chan domain.ConversationUpdate {
	return h.conversations.Subscribe(ctx)
}

// ReadReceipts returns read receipts.
func (h *Hub) ReadReceipts(ctx context.Context) <-chan domain.ReadReceipt {
	return h.reads.Subscribe(ctx)
}

// Calls returns call events and signalling.
func (h *Hub) Calls(ctx context.Context) <-chan domain.CallEvent { return h.calls.Subscribe(ctx) }

// RawMessages returns the frames given to PublishRaw.
func (h *Hub) RawMessages(ctx context.Context) <-chan domain.RawFrame { return h.raw.Subscribe(ctx) }

// ConnectionStates returns the states given to PublishState.
func (h *Hub) ConnectionStates(ctx context.Context) <-chan domain.ConnectionState {
	return h.states.Subscribe(ctx)
}

// Errors returns the failures given to Report, each a *domain.Error. An
// Errors subscriber that falls behind is cut off without a report.
func (h *Hub) Errors(ctx context.Context) <-chan error { return h.errs.Subscribe(ctx) }
