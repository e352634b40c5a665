package data

import (
	"context"
	"errors"
	"time"

	"github.com/chatwire/chatwire/domain"
)

// Store keeps what one account's session must not lose with the process:
// the sends not yet ended, the position the next sync starts from, and a
// bounded cache of what the user last saw (messages per conversation and
// the conversation list with unread counts). One store belongs to one
// account (a user on a server); open one per account.
//
// The data source calls PutSend on the goroutine of SendMessage, and every
// other method from one goroutine of its own, never concurrently with
// itself; Messages and Conversations may be called from any goroutine.
// Implementations: NewMemoryStore here, and data/sqlitestore on disk.
type Store interface {
	// Load returns what an earlier process left.
	Load(ctx context.Context) (StoreState, error)
	// PutSend records a send before it is written anywhere; it is durable
	// when PutSend returns.
	PutSend(ctx context.Context, s StoredSend) error
	// Commit applies b atomically. It need not be durable when it returns:
	// a crash may lose the latest batches, never part of one. It must not
	// keep b's slices after it returns: the data source reuses them.
	Commit(ctx context.Context, b Batch) error
	// Messages returns up to limit of a conversation's newest cached
	// messages, oldest first.
	Messages(ctx context.Context, conversationID string, limit int) ([]domain.Message, error)
	// Conversations returns the cached conversation snapshots.
	Conversations(ctx context.Context) ([]domain.ConversationUpdate, error)
	// Wipe forgets everything (sign-out). The store stays open.
	Wipe(ctx context.Context) error
	// Close releases the store. Idempotent.
	Close() error
}

// StoreState is what a store held when it was loaded.
type StoreState struct {
	// Account is who the store belongs to; zero for a new store.
	Account Account
	// Position is where the account's last session stood.
	Position domain.Position
	// Sends are the sends not yet ended, oldest first.
	Sends []StoredSend
}

// Account is who a store belongs to: a user on a server.
type Account struct {
	Server string // the data source's BaseURL
	UserID string // session.ready's user_id
}

// StoredSend is a send as the store keeps it until it ends.
type StoredSend struct {
	ClientID  string
	Draft     domain.MessageDraft // with ClientID set
	CreatedAt time.Time
}

// Batch is a set of changes applied together.
type Batch struct {
	// Account, if set, binds the store to an account.
	Account *Account
	// Position, if set, replaces the stored position.
	Position *domain.Position
	// EndedSends are the client ids of sends that ended.
	EndedSends []string
	// Messages are added to the cache (a message already cached, by id,
	// is replaced).
	Messages []domain.Message
	// Conversations replace the cached snapshots of their conversations.
	Conversations []domain.ConversationUpdate
	// DeletedConversations are dropped from the cache with their messages.
	DeletedConversations []string
}

// empty reports whether b changes nothing.
func (b *Batch) empty() bool {
	return b.Account == nil && b.Position == nil && len(b.EndedSends) == 0 && len(b.Messages) == 0 &&
		len(b.Conversations) == 0 && len(b.DeletedConversations) == 0
}

// Errors of stores.
var (
	// ErrStoreAccount: the store belongs to another account.
	ErrStoreAccount = errors.New("chatwire: the store belongs to another account")
	// ErrStoreLocked: another process holds the store.
	ErrStoreLocked = errors.New("chatwire: the store is held by another process")
	// ErrStoreCorrupt: the store's file is damaged or not a store.
	ErrStoreCorrupt = errors.New("chatwire: the store is corrupt or not a chatwire store")
	// ErrStoreVersion: the store was written by a newer version.
	ErrStoreVersion = errors.New("chatwire: the store was written by a newer version")
)
