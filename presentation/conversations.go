package presentation

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/chatwire/chatwire/domain"
	"github.com/chatwire/chatwire/internal/fanout"
	"github.com/chatwire/chatwire/internal/recent"
)

// Conversation is one entry of the conversation list.
type Conversation struct {
	ID             string
	Title          string
	ParticipantIDs []string
	// LastMessage is the preview: the newest message known; nil if none.
	LastMessage *domain.Message
	// UnreadCount is the server's count when it sent one, plus the
	// messages from others that came after it; MarkRead lowers it at once
	// and the server's next count replaces it.
	UnreadCount int
	// LastActivity is the newest of the last message's time and the
	// conversation's update time (or when it was first seen).
	LastActivity time.Time
}

// Conversations is a snapshot of the conversation list, most recently
// active first (ties by id). Read-only.
type Conversations struct {
	List []Conversation
}

// Get returns the conversation with that id.
func (c Conversations) Get(id string) (Conversation, bool) {
	i := slices.IndexFunc(c.List, func(x Conversation) bool { return x.ID == id })
	if i < 0 {
		return Conversation{}, false
	}
	return c.List[i], true
}

// TotalUnread is the sum of the unread counts.
func (c Conversations) TotalUnread() int {
	t := 0
	for _, x := range c.List {
		t += x.UnreadCount
	}
	return t
}

// ConversationsOptions configure a ConversationsNotifier. The zero value is
// ready to use.
type ConversationsOptions struct {
	// UserID is this user's id: own messages do not count as unread, and a
	// conversation this user was removed from leaves the list.
	// Empty means the UserID of the data source's connection state.
	UserID string
	// Clock dates conversations that arrive without a time. Nil means the
	// wall clock.
	Clock domain.Clock
	// OnResync is called, on the notifier's goroutine, each time the
	// notifier was cut off from a stream and followed it again. Nil means
	// nobody is told; NewNotifiers tells the connection notifier.
	OnResync func(Resync)
	// OnCacheError is called, on the constructor's goroutine, when reading
	// the data source's offline cache fails; the notifier starts from what
	// it could read. Nil means nobody is told; NewNotifiers records it on
	// the connection notifier (Connection.Err, class storage).
	OnCacheError func(error)
}

// ConversationsNotifier holds the conversation list: conversations sorted
// by last activity, with a last-message preview and unread counts. It
// follows the data source's ConversationUpdates (created, updated, deleted,
// member_added, member_removed; an unread_count there is authoritative) and
// Messages (a message from someone else adds one unread).
//
// ParticipantIDs of an update are the conversation's whole member list,
// as the reference server sends it, for every action; a member_removed
// whose list leaves this user out removes the conversation from the list.
//
// Over a data source that keeps an offline cache (domain.OfflineCache),
// the first snapshot is the cached list, with its previews and unread
// counts, before the network answers; what arrives then is applied to it.
// See "Offline-first start" in the package doc.
//
// Concurrency: every method is safe for concurrent use; MarkRead blocks on
// the caller's goroutine. One goroutine, started by NewConversationsNotifier
// and stopped by Close, follows the streams.
type ConversationsNotifier struct {
	src  domain.ChatWebSocketDataSource
	opts ConversationsOptions
	run  *runner
	st   *store[Conversations]
	ev   *fanout.Fanout[ConversationEvent]

	mu     sync.Mutex  // guards seen and unread; taken before the store's lock
	seen   *recent.Set // message ids already counted
	unread *unreadBook
}

// NewConversationsNotifier starts following src. When src keeps an
// offline cache, it reads the cache before it returns.
func NewConversationsNotifier(src domain.ChatWebSocketDataSource, opts ConversationsOptions) *ConversationsNotifier {
	return newConversationsNotifier(src, opts, true)
}

// newConversationsNotifier follows src's conversation updates and, when
// followMessages is set, its messages; otherwise the messages come from
// the messages notifier (NewNotifiers) through receive.
func newConversationsNotifier(src domain.ChatWebSocketDataSource, opts ConversationsOptions, followMessages bool) *ConversationsNotifier {
	n := &ConversationsNotifier{src: src, opts: opts, run: newRunner(opts.Clock),
		st: newStore(Conversations{}), ev: newEvents[ConversationEvent](opts.Clock),
		seen: recent.New(4096), unread: newUnreadBook()}
	messages := feed[domain.Message]{}
	if followMessages {
		messages = eventFeed(src, "Messages", src.Messages, n.receive)
	}
	loop := followLoop{run: n.run, src: src, notifier: "conversations", onResync: opts.OnResync}
	if cache, ok := src.(domain.OfflineCache); ok {
		// Without the messages stream, the messages notifier tells which
		// cached messages not to count again (messageHooks.cached).
		loop.start = func() { n.startFromCache(cache, followMessages) }
	}
	follow(loop, eventFeed(src, "ConversationUpdates", src.ConversationUpdates, n.apply), messages)
	return n
}

// Value returns the current snapshot.
func (n *ConversationsNotifier) Value() Conversations { return n.st.value() }

// Changes returns the current snapshot and then every newer one, a newer
// one replacing an unread older one. The channel closes when ctx ends or
// the notifier closes.
func (n *ConversationsNotifier) Changes(ctx context.Context) <-chan Conversations {
	return n.st.changes(ctx)
}

// Events returns every change from now on, one event each: a
// conversation added, updated (title, members, preview, unread count) or
// removed. See the package doc for ordering and for a subscriber that
// stops reading.
func (n *ConversationsNotifier) Events(ctx context.Context) <-chan ConversationEvent {
	return n.ev.Subscribe(ctx)
}

// Close stops following the data source and closes every Changes and
// Events channel. Idempotent.
func (n *ConversationsNotifier) Close() {
	n.run.close()
	n.st.close()
	n.ev.Close()
}

// MarkRead tells the server this user has read conversationID up to and
// including messageID. The unread count drops at once, optimistically, to
// the messages known to have come after messageID (zero when it is the
// newest); the server's own count, when it sends one, replaces it. If the
// send fails, what the reset took off is put back (unless the server's
// count came meanwhile) and the error is returned.
func (n *ConversationsNotifier) MarkRead(ctx context.Context, conversationID, messageID string) error {
	if conversationID == "" || messageID == "" {
		return fmt.Errorf("%w: mark read needs a conversation id and a message id", ErrInvalidArgument)
	}
	if n.run.isClosed() {
		return domain.ErrClosed
	}
	n.mu.Lock()
	gen := 0
	n.edit(conversationID, false, func(c *Conversation) bool {
		var count int
		count, gen = n.unread.markRead(*c, messageID)
		changed := count != c.UnreadCount
		c.UnreadCount = count
		return changed
	})
	n.mu.Unlock()

	err := n.src.MarkRead(ctx, conversationID, messageID)
	n.mu.Lock()
	defer n.mu.Unlock()
	if putBack := n.unread.settled(conversationID, gen, err == nil); putBack > 0 {
		n.edit(conversationID, false, func(c *Conversation) bool {
			c.UnreadCount += putBack
			return true
		})
	}
	if err != nil {
		return fmt.Errorf("presentation: mark read: %w", err)
	}
	return nil
}

func (n *ConversationsNotifier) apply(u domain.ConversationUpdate) {
	if u.ConversationID == "" {
		return
	}
	self := n.self()
	n.mu.Lock()
	defer n.mu.Unlock()
	if leaves(u, self) {
		n.unread.forget(u.ConversationID)
		n.remove(u.ConversationID)
		return
	}
	after := n.noteUpdate(u, n.mark(u.Seq))
	n.edit(u.ConversationID, true, func(c *Conversation) bool {
		applyUpdate(c, u, after)
		return true
	})
}

// mark places an event with seq in the current session.
func (n *ConversationsNotifier) mark(seq int64) eventMark {
	if seq <= 0 {
		return eventMark{}
	}
	return eventMark{seq: seq, session: n.src.ConnectionState().SessionID}
}

// leaves reports whether u takes the conversation off this user's list:
// deleted, or this user removed from it.
func leaves(u domain.ConversationUpdate, self string) bool {
	switch u.Action {
	case domain.ConversationDeleted:
		return true
	case domain.ConversationMemberRemoved:
		return self != "" && u.ParticipantIDs != nil && !slices.Contains(u.ParticipantIDs, self)
	}
	return false
}

// noteUpdate records what u, placed at, tells the unread bookkeeping: its
// last message is counted, its unread count is the server's. It returns
// how many messages counted already came after u (see unreadBook). The
// caller holds n.mu.
func (n *ConversationsNotifier) noteUpdate(u domain.ConversationUpdate, at eventMark) (after int) {
	if u.LastMessage != nil && u.LastMessage.ID != "" {
		n.seen.Add(u.LastMessage.ID)
	}
	if u.UnreadCount != nil {
		after = n.unread.serverCount(u.ConversationID, at)
	}
	return after
}

// applyUpdate applies what u carries to c; after is added to its unread
// count.
func applyUpdate(c *Conversation, u domain.ConversationUpdate, after int) {
	if u.Title != "" {
		c.Title = u.Title
	}
	if u.ParticipantIDs != nil {
		c.ParticipantIDs = slices.Clone(u.ParticipantIDs)
	}
	if u.LastMessage != nil {
		setPreview(c, *u.LastMessage)
	}
	if u.UnreadCount != nil {
		c.UnreadCount = max(*u.UnreadCount, 0) + after
	}
	if u.UpdatedAt.After(c.LastActivity) {
		c.LastActivity = u.UpdatedAt
	}
}

func (n *ConversationsNotifier) receive(m domain.Message) {
	if m.ConversationID == "" {
		return
	}
	self := n.self()
	fromOther := m.SenderID != "" && m.SenderID != self
	n.mu.Lock()
	defer n.mu.Unlock()
	if m.ID != "" && !n.seen.Add(m.ID) {
		return // already counted (a replay, or the update's last message)
	}
	counts := fromOther && n.unread.counts(m.ConversationID, m.ID, n.mark(m.Seq))
	n.edit(m.ConversationID, true, func(c *Conversation) bool {
		setPreview(c, m)
		if counts {
			c.UnreadCount++
		}
		return true
	})
}

// setPreview makes m the last message unless a newer one is known.
func setPreview(c *Conversation, m domain.Message) {
	if c.LastMessage != nil && m.CreatedAt.Before(c.LastMessage.CreatedAt) {
		return
	}
	cp := m
	cp.Attachments = slices.Clone(m.Attachments)
	c.LastMessage = &cp
	if m.CreatedAt.After(c.LastActivity) {
		c.LastActivity = m.CreatedAt
	}
}

// edit applies f to a copy of conversation id (created first when create is
// set and it is missing) and publishes the re-sorted list if f reports a
// change.
func (n *ConversationsNotifier) edit(id string, create bool, f func(*Conversation) bool) {
	now := n.run.now()
	updateEmitting(n.st, n.ev, func(s Conversations) (Conversations, []ConversationEvent, bool) {
		i := slices.IndexFunc(s.List, func(x Conversation) bool { return x.ID == id })
		var c Conversation
		if i >= 0 {
			c = s.List[i]
		} else if create {
			c = Conversation{ID: id}
		} else {
			return s, nil, false
		}
		if !f(&c) {
			return s, nil, false
		}
		if c.LastActivity.IsZero() {
			c.LastActivity = now // first seen without a time
		}
		list := make([]Conversation, 0, len(s.List)+1)
		list = append(list, s.List...)
		ev := ConversationEvent{Kind: ConversationAdded, Conversation: c}
		if i >= 0 {
			ev.Kind, ev.Previous = ConversationUpdated, list[i]
			list[i] = c
		} else {
			list = append(list, c)
		}
		slices.SortStableFunc(list, compareConversations)
		return Conversations{List: list}, []ConversationEvent{ev}, true
	})
}

func (n *ConversationsNotifier) remove(id string) {
	updateEmitting(n.st, n.ev, func(s Conversations) (Conversations, []ConversationEvent, bool) {
		i := slices.IndexFunc(s.List, func(x Conversation) bool { return x.ID == id })
		if i < 0 {
			return s, nil, false
		}
		ev := ConversationEvent{Kind: ConversationRemoved, Conversation: s.List[i]}
		return Conversations{List: slices.Delete(slices.Clone(s.List), i, i+1)}, []ConversationEvent{ev}, true
	})
}

func (n *ConversationsNotifier) self() string {
	if n.opts.UserID != "" {
		return n.opts.UserID
	}
	return n.src.ConnectionState().UserID
}

func compareConversations(a, b Conversation) int {
	if c := b.LastActivity.Compare(a.LastActivity); c != 0 {
		return c
	}
	return strings.Compare(a.ID, b.ID)
}
