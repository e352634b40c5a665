package presentation

import "slices"

// unreadBook keeps what the conversations notifier needs to reset an
// unread count optimistically and to reconcile it with the server's, per
// conversation. The server's count wins: it replaces the local count and
// ends whatever the book held for that conversation, except the messages
// the count cannot hold yet.
//
// A server count is as of its update's seq, and messages and updates
// reach the notifier on two streams, so one may be handled before the
// other. Where the server numbers its events (seq > 0), the book tells
// them apart within one session: a message from someone else with a seq
// above the count's, counted before the count arrived, is added to it; one
// at or below it, handled after the count, is in it already. Across
// sessions (a new epoch may renumber) and without seqs, the count replaces
// the local one as it is.
//
// Not safe for concurrent use: the notifier's mu guards it.
type unreadBook struct {
	// counted holds the messages from others counted since the server's
	// last count, oldest first.
	counted map[string][]countedMessage
	// server is where the server's last count stands, per conversation.
	server map[string]eventMark
	// pending is the optimistic reset of a MarkRead whose send has not
	// answered yet.
	pending map[string]pendingRead
	nextGen int
}

// eventMark places an event in the server's numbering: its seq, in the
// session it arrived in. A zero seq places it nowhere.
type eventMark struct {
	seq     int64
	session string
}

// comparable reports whether a and b are numbered alike: both have a seq,
// from one session.
func (a eventMark) comparable(b eventMark) bool {
	return a.seq > 0 && b.seq > 0 && a.session == b.session
}

type countedMessage struct {
	id string
	at eventMark
}

type pendingRead struct {
	gen     int
	removed int // how much the reset took off the count
	read    int // how many counted messages (the oldest) the reset counts as read
}

func newUnreadBook() *unreadBook {
	return &unreadBook{counted: make(map[string][]countedMessage), server: make(map[string]eventMark),
		pending: make(map[string]pendingRead)}
}

// counts records a message from someone else and reports whether it adds
// one unread: not when the server's last count holds it already.
func (b *unreadBook) counts(conv, messageID string, at eventMark) bool {
	if s := b.server[conv]; at.comparable(s) && at.seq <= s.seq {
		return false
	}
	if messageID != "" {
		b.counted[conv] = append(b.counted[conv], countedMessage{id: messageID, at: at})
	}
	return true
}

// serverCount records the server's count for conv, made at, and returns
// how many messages counted before it arrived came after it: the count
// plus those is the unread count. The rest of the book for conv ends.
func (b *unreadBook) serverCount(conv string, at eventMark) (after int) {
	later := slices.DeleteFunc(b.counted[conv], func(m countedMessage) bool {
		return !m.at.comparable(at) || m.at.seq <= at.seq
	})
	delete(b.pending, conv)
	b.server[conv] = at
	if len(later) == 0 {
		delete(b.counted, conv)
		return 0
	}
	b.counted[conv] = later
	return len(later)
}

// markRead returns the count of c once read up to messageID, as far as
// the notifier can tell: zero for the newest message; for one counted
// since the server's count, the messages counted after it; for any other
// (older than what arrived since), the messages counted since. It records
// the reset as pending under gen.
func (b *unreadBook) markRead(c Conversation, messageID string) (count, gen int) {
	counted := b.counted[c.ID]
	i := slices.IndexFunc(counted, func(m countedMessage) bool { return m.id == messageID })
	switch {
	case c.LastMessage != nil && c.LastMessage.ID == messageID:
		count = 0
	case i >= 0:
		count = len(counted) - i - 1
	default:
		count = len(counted)
	}
	count = min(count, c.UnreadCount)
	b.nextGen++
	b.pending[c.ID] = pendingRead{gen: b.nextGen, removed: c.UnreadCount - count, read: max(len(counted)-count, 0)}
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
	delete(b.server, conv)
	delete(b.pending, conv)
}
