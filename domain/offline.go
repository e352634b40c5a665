package domain

import "context"

// SendResult is how a send ended, reported for sends whose caller is gone:
// a send an earlier process left unfinished in a durable store, resent
// after a restart.
type SendResult struct {
	ClientID       string
	ConversationID string
	// Message is the message as the server stored it, when confirmed.
	Message Message
	// Err is why the send failed; nil when confirmed.
	Err error
}

// OfflineCache is implemented by data sources that keep what the user last
// saw across restarts (the envelope data source with a durable store):
// notifiers start from it before the network answers, then reconcile with
// what arrives.
type OfflineCache interface {
	// CachedConversations returns the conversations as last seen, each a
	// snapshot (title, participants, last message, unread count).
	CachedConversations(ctx context.Context) ([]ConversationUpdate, error)
	// CachedMessages returns up to limit of the newest cached messages of
	// a conversation, oldest first.
	CachedMessages(ctx context.Context, conversationID string, limit int) ([]Message, error)
	// PendingSends returns the sends an earlier process left unfinished,
	// oldest first; their ends arrive on RecoveredSends.
	PendingSends(ctx context.Context) ([]MessageDraft, error)
	// RecoveredSends reports how each pending send ends. The channel
	// closes when ctx ends or the data source closes.
	RecoveredSends(ctx context.Context) <-chan SendResult
}
