package data

import (
	"cmp"
	"context"
	"slices"
	"sync"

	"github.com/chatwire/chatwire/domain"
)

// DefaultCachedMessages is how many messages per conversation a store
// keeps unless configured.
const DefaultCachedMessages = 500

// MemoryStore is a Store in memory: it lives as long as the process. It
// shares a cache between data sources of one process (an app that closes
// and reopens its session), and is the reference the disk stores are
// tested against. Safe for concurrent use.
type MemoryStore struct {
	perConversation int

	mu       sync.Mutex
	account  Account
	position domain.Position
	sends    []StoredSend
	messages map[string][]domain.Message // per conversation, oldest first
	convs    map[string]domain.ConversationUpdate
}

var _ Store = (*MemoryStore)(nil)

// NewMemoryStore returns an empty store keeping up to perConversation
// messages per conversation (DefaultCachedMessages when zero or less).
func NewMemoryStore(perConversation int) *MemoryStore {
	if perConversation <= 0 {
		perConversation = DefaultCachedMessages
	}
	return &MemoryStore{perConversation: perConversation}
}

// Load returns the store's state.
func (m *MemoryStore) Load(ctx context.Context) (StoreState, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return StoreState{Account: m.account, Position: m.position, Sends: slices.Clone(m.sends)}, nil
}

// PutSend records s.
func (m *MemoryStore) PutSend(ctx context.Context, s StoredSend) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sends = append(m.sends, s)
	return nil
}

// Commit applies b.
func (m *MemoryStore) Commit(ctx context.Context, b Batch) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if b.Account != nil {
		m.account = *b.Account
	}
	if b.Position != nil {
		m.position = *b.Position
	}
	if len(b.EndedSends) > 0 {
		m.sends = slices.DeleteFunc(m.sends, func(s StoredSend) bool { return slices.Contains(b.EndedSends, s.ClientID) })
	}
	for _, msg := range b.Messages {
		m.addMessageLocked(msg)
	}
	for _, c := range b.Conversations {
		if m.convs == nil {
			m.convs = make(map[string]domain.ConversationUpdate)
		}
		m.convs[c.ConversationID] = c
	}
	for _, id := range b.DeletedConversations {
		delete(m.convs, id)
		delete(m.messages, id)
	}
	return nil
}

func (m *MemoryStore) addMessageLocked(msg domain.Message) {
	if m.messages == nil {
		m.messages = make(map[string][]domain.Message)
	}
	list := m.messages[msg.ConversationID]
	if i := slices.IndexFunc(list, func(o domain.Message) bool { return o.ID == msg.ID }); i >= 0 {
		list[i] = msg
		return
	}
	// Messages mostly arrive in order: append, else insert in place.
	i := len(list)
	if i > 0 && compareMessages(list[i-1], msg) > 0 {
		i, _ = slices.BinarySearchFunc(list, msg, compareMessages)
		for i < len(list) && compareMessages(list[i], msg) == 0 {
			i++ // after equals, as a stable sort would put it
		}
	}
	list = slices.Insert(list, i, msg)
	if over := len(list) - m.perConversation; over > 0 {
		list = slices.Delete(list, 0, over)
	}
	m.messages[msg.ConversationID] = list
}

// compareMessages orders messages by creation time, then seq.
func compareMessages(a, b domain.Message) int {
	if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
		return c
	}
	return cmp.Compare(a.Seq, b.Seq)
}

// Messages returns up to limit of a conversation's newest messages, oldest
// first.
func (m *MemoryStore) Messages(ctx context.Context, conversationID string, limit int) ([]domain.Message, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	list := m.messages[conversationID]
	if limit > 0 && len(list) > limit {
		list = list[len(list)-limit:]
	}
	return slices.Clone(list), nil
}

// Conversations returns the cached snapshots, by conversation id.
func (m *MemoryStore) Conversations(ctx context.Context) ([]domain.ConversationUpdate, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]domain.ConversationUpdate, 0, len(m.convs))
	for _, c := range m.convs {
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b domain.ConversationUpdate) int { return cmp.Compare(a.ConversationID, b.ConversationID) })
	return out, nil
}

// Wipe forgets everything.
func (m *MemoryStore) Wipe(ctx context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.account, m.position, m.sends, m.messages, m.convs = Account{}, domain.Position{}, nil, nil, nil
	return nil
}

// Close does nothing: the store lives as long as the process.
func (m *MemoryStore) Close() error { return nil }
