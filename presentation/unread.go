package presentation

import "slices"

// unreadBook keeps what the conversations notifier needs to reset an
// unread count optimistically and to reconcile it with the server's, per
// conversation. The server's count always wins: it replaces the local
// count and ends whatever the book held for that conversation.
//
// Not safe for concurrent use: the notifier's mu guards it.
type unreadBook struct {
	// counted holds the ids of the messages from others counted since the
	// server's last count, oldest first.
	counted map[string][]string
	// pending is the optimistic reset of a MarkRead whose send has not
	// answered yet.
	pending map[string]pendingRead
	nextGen int
}

type pendingRead struct {
	gen     int
	removed int // how much the reset took off the count
	read    int // how many counted ids (the oldest) the reset counts as read
}

func newUnreadBook() *unreadBook {
	return &unreadBook{counted: make(map[string][]string), pending: make(map[string]pendingRead)}
}

// counting records a message from someone else counted as unread.
func (b *unreadBook) counting(conv, messageID string) {
	if messageID != "" {
		b.counted[conv] = append(b.counted[conv], messageID)
	}
}

// serverCount forgets what the server's count for conv replaces.
func (b *unreadBook) serverCount(conv string) {
	delete(b.counted, conv)
	delete(b.pending, conv)
}

// markRead returns the count of c once read up to messageID, as far as
// the notifier can tell: zero for the newest message; for one counted
// since the server's count, the messages counted after it; for any other
// (older than what arrived since), the messages counted since. It records
// the reset as pending under gen.
func (b *unreadBook) markRead(c Conversation, messageID string) (count, gen int) {
	ids := b.counted[c.ID]
	switch {
	case c.LastMessage != nil && c.LastMessage.ID == messageID:
		count = 0
	case slices.Contains(ids, messageID):
		count = len(ids) - slices.Index(ids, messageID) - 1
	default:
		count = len(ids)
	}
	count = min(count, c.UnreadCount)
	b.nextGen++
	b.pending[c.ID] = pendingRead{gen: b.nextGen, removed: c.UnreadCount - count, read: max(len(ids)-count, 0)}
	return count, b.nextGen
}

// settled ends the pending reset gen of conv: on success the messages it
// counted as read are no longer counted; on failure it returns how much to
// put back on the count (zero when the server's count came meanwhile).
func (b *unreadBook) settled(conv string, gen int, ok bool) (putBack int) {
	p, found := b.pending[conv]
	if !found || p.gen != gen {
		return 0 // the server's count, or a later MarkRead, has taken over
	}
	delete(b.pending, conv)
	if !ok {
		return p.removed
	}
	b.counted[conv] = slices.Clone(b.counted[conv][p.read:])
	return 0
}

// forget drops conv (deleted, or this user left it).
func (b *unreadBook) forget(conv string) {
	delete(b.counted, conv)
	delete(b.pending, conv)
}
