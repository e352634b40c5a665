package presentation

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/chatwire/chatwire/domain"
	"github.com/chatwire/chatwire/internal/fanout"
	"github.com/chatwire/chatwire/internal/ids"
)

// DefaultMessageWindow is how many messages a MessagesNotifier keeps per
// conversation when MessagesOptions.Window is zero.
const DefaultMessageWindow = 500

// MessageStatus is where a message stands from this user's point of view.
type MessageStatus int

const (
	// MessageSending: sent optimistically, not yet confirmed by the server.
	MessageSending MessageStatus = iota
	// MessageSent: the server has the message (every message from others
	// is in this state).
	MessageSent
	// MessageRead: another participant has read this user's message.
	MessageRead
	// MessageFailed: the send failed; Err says why and Retry sends it again.
	MessageFailed
)

func (s MessageStatus) String() string {
	switch s {
	case MessageSending:
		return "sending"
	case MessageSent:
		return "sent"
	case MessageRead:
		return "read"
	case MessageFailed:
		return "failed"
	}
	return "unknown"
}

// Message is a chat message as a UI shows it. An optimistic message has a
// ClientID, no ID yet, and the local time as CreatedAt.
type Message struct {
	domain.Message
	Status MessageStatus
	// Err is why the send failed (Status MessageFailed only).
	Err error
}

// Messages is a snapshot of the messages of every conversation seen. Each
// conversation's messages are ordered by CreatedAt, then id, oldest first,
// hold each message once and at most the configured window. Read-only.
type Messages struct {
	ByConversation map[string][]Message
}

// In returns the messages of one conversation (nil if none). Read-only.
func (m Messages) In(conversationID string) []Message { return m.ByConversation[conversationID] }

// MessagesOptions configure a MessagesNotifier. The zero value is ready to use.
type MessagesOptions struct {
	// UserID is this user's id, which tells own messages apart. Empty means
	// the UserID of the data source's connection state at the time.
	UserID string
	// Window is how many messages are kept per conversation; the oldest are
	// dropped first. Zero means DefaultMessageWindow.
	Window int
	// Clock stamps optimistic messages. Nil means the wall clock.
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

// MessagesNotifier holds the messages of every conversation: what arrives
// on the data source's Messages stream, de-duplicated by id and by client
// id, plus this user's sends, shown at once as sending and then moved to
// sent (on the confirmation or the echo), read (on another user's read
// receipt) or failed.
//
// Over a data source that keeps an offline cache (domain.OfflineCache),
// the first snapshot is what the cache holds, before the network answers:
// the cached messages of every cached conversation, and the sends an
// earlier process left unfinished, as sending, which then become sent or
// failed as the data source resends them. See "Offline-first start" in the
// package doc.
//
// Concurrency: every method is safe for concurrent use. Send and Retry
// block, on the caller's goroutine, until the data source answers. One
// goroutine, started by NewMessagesNotifier and stopped by Close, follows
// the Messages and ReadReceipts streams; while sends an earlier process
// left are pending, a second one follows how they end.
type MessagesNotifier struct {
	src   domain.ChatWebSocketDataSource
	opts  MessagesOptions
	run   *runner
	st    *store[Messages]
	ev    *fanout.Fanout[MessageEvent]
	hooks messageHooks
}

// messageHooks let NewNotifiers feed the other notifiers from the
// messages notifier's one subscription.
type messageHooks struct {
	// before is called with each message from the stream before it is
	// filed (the typing and conversations notifiers).
	before []func(domain.Message)
	// cached is called with the messages read from the offline cache at
	// start (the conversations notifier does not count them again).
	cached func([]domain.Message)
}

// NewMessagesNotifier starts following src's messages and read receipts.
// When src keeps an offline cache, it reads the cache before it returns.
func NewMessagesNotifier(src domain.ChatWebSocketDataSource, opts MessagesOptions) *MessagesNotifier {
	return newMessagesNotifier(src, opts, messageHooks{})
}

func newMessagesNotifier(src domain.ChatWebSocketDataSource, opts MessagesOptions, hooks messageHooks) *MessagesNotifier {
	if opts.Window <= 0 {
		opts.Window = DefaultMessageWindow
	}
	n := &MessagesNotifier{src: src, opts: opts, run: newRunner(opts.Clock),
		st: newStore(Messages{ByConversation: map[string][]Message{}}), ev: newEvents[MessageEvent](opts.Clock),
		hooks: hooks}
	loop := followLoop{run: n.run, src: src, notifier: "messages", onResync: opts.OnResync}
	cache, offline := src.(domain.OfflineCache)
	var recovered <-chan domain.SendResult
	if offline {
		loop.start = func() { recovered = n.startFromCache(cache) }
	}
	follow(loop,
		eventFeed(src, "Messages", src.Messages, n.receive),
		eventFeed(src, "ReadReceipts", src.ReadReceipts, func(r domain.ReadReceipt) { n.markRead(r, n.self()) }))
	if recovered != nil {
		loop.start = nil
		follow(loop, recoveredFeed(cache, recovered, n.settleRecovered), feed[struct{}]{})
	}
	return n
}

// Value returns the current snapshot.
func (n *MessagesNotifier) Value() Messages { return n.st.value() }

// Changes returns the current snapshot and then every newer one, a newer
// one replacing an unread older one. The channel closes when ctx ends or
// the notifier closes.
func (n *MessagesNotifier) Changes(ctx context.Context) <-chan Messages { return n.st.changes(ctx) }

// Events returns every change from now on, one event each: a message
// added, its status changed (sending → sent, sent → read...), updated or
// removed. See the package doc for ordering and for a subscriber that
// stops reading.
func (n *MessagesNotifier) Events(ctx context.Context) <-chan MessageEvent {
	return n.ev.Subscribe(ctx)
}

// Close stops following the data source and closes every Changes and
// Events channel. Idempotent. Sends in flight still return, but no longer
// change the snapshot.
func (n *MessagesNotifier) Close() {
	n.run.close()
	n.st.close()
	n.ev.Close()
}

// Send shows draft at once as a sending message with a new client id (or
// draft.ClientID when set), sends it, and waits for the data source's
// answer: the message then becomes sent, or failed with the error, which
// Send also returns. It returns the message as it stands afterwards.
// An invalid draft is refused with domain.ErrInvalidDraft and shown nowhere.
func (n *MessagesNotifier) Send(ctx context.Context, draft domain.MessageDraft) (Message, error) {
	if err := draft.Validate(); err != nil {
		return Message{}, err
	}
	if n.run.isClosed() {
		return Message{}, domain.ErrClosed
	}
	if draft.ClientID == "" {
		draft.ClientID = ids.New()
	}
	if draft.Kind == "" {
		draft.Kind = domain.KindText
	}
	draft.Attachments = slices.Clone(draft.Attachments)
	m := optimistic(draft, n.self(), n.run.now())
	inUse := false
	updateEmitting(n.st, n.ev, func(s Messages) (Messages, []MessageEvent, bool) {
		list := s.ByConversation[m.ConversationID]
		if slices.ContainsFunc(list, func(x Message) bool { return ownWithClientID(x, m.SenderID, m.ClientID) }) {
			inUse = true
			return s, nil, false
		}
		list, events := n.insert(list, m, nil)
		return s.with(m.ConversationID, list), events, true
	})
	if inUse {
		return Message{}, fmt.Errorf("%w: you already used client id %q in this conversation", ErrInvalidArgument, m.ClientID)
	}
	return n.deliver(ctx, draft)
}

// Retry sends a failed message again, with the same client id (so a
// duplicate the server already has is not stored twice). It moves the
// message to the end as sending and then behaves like Send. It returns
// ErrUnknownMessage when no failed message has that client id.
func (n *MessagesNotifier) Retry(ctx context.Context, clientID string) (Message, error) {
	if clientID == "" {
		return Message{}, fmt.Errorf("%w: empty client id", ErrInvalidArgument)
	}
	if n.run.isClosed() {
		return Message{}, domain.ErrClosed
	}
	var draft domain.MessageDraft
	found := false
	now := n.run.now()
	updateEmitting(n.st, n.ev, func(s Messages) (Messages, []MessageEvent, bool) {
		for conv, list := range s.ByConversation {
			i := slices.IndexFunc(list, func(x Message) bool { return x.ClientID == clientID && x.Status == MessageFailed })
			if i < 0 {
				continue
			}
			m := list[i]
			found = true
			draft = domain.MessageDraft{ConversationID: conv, Content: m.Content, Kind: m.Kind,
				ReplyTo: m.ReplyTo, Attachments: m.Attachments, ClientID: clientID}
			m.Status, m.Err, m.CreatedAt = MessageSending, nil, now
			list, events := n.insert(slices.Delete(slices.Clone(list), i, i+1), m, &list[i])
			return s.with(conv, list), events, true
		}
		return s, nil, false
	})
	if !found {
		return Message{}, fmt.Errorf("%w: %q", ErrUnknownMessage, clientID)
	}
	return n.deliver(ctx, draft)
}

// optimistic is this user's draft as a sending message, stamped at. The
// draft's attachments are shared, not copied.
func optimistic(draft domain.MessageDraft, self string, at time.Time) Message {
	kind := draft.Kind
	if kind == "" {
		kind = domain.KindText
	}
	return Message{Status: MessageSending, Message: domain.Message{
		ClientID:       draft.ClientID,
		ConversationID: draft.ConversationID,
		SenderID:       self,
		Content:        draft.Content,
		Kind:           kind,
		CreatedAt:      at,
		ReplyTo:        draft.ReplyTo,
		Attachments:    draft.Attachments,
	}}
}

// deliver sends draft, whose optimistic copy is in the snapshot, and
// records the outcome.
func (n *MessagesNotifier) deliver(ctx context.Context, draft domain.MessageDraft) (Message, error) {
	confirmed, err := n.src.SendMessage(ctx, draft)
	out := n.settle(draft.ConversationID, draft.ClientID, confirmed, err)
	if err != nil && out.Status == MessageFailed {
		return out, fmt.Errorf("presentation: send message: %w", err)
	}
	if out.ClientID == "" { // not in the window (or closed): report what we know
		out = Message{Message: confirmed, Status: MessageSent}
		if err != nil {
			out = Message{Status: MessageFailed, Err: err}
			return out, fmt.Errorf("presentation: send message: %w", err)
		}
	}
	return out, nil
}

// settle records how this user's send with clientID in conversation conv
// ended: the server's copy (err nil) replaces the optimistic one, or err
// marks it failed, unless the echo came first. It returns the message as
// it stands afterwards; zero when the list does not hold it (it fell out
// of the window, or the notifier closed).
func (n *MessagesNotifier) settle(conv, clientID string, confirmed domain.Message, err error) Message {
	self := n.self()
	mine := func(x Message) bool { return ownWithClientID(x, self, clientID) }
	if confirmed.ClientID == "" {
		confirmed.ClientID = clientID
	}
	if confirmed.ConversationID == "" {
		confirmed.ConversationID = conv
	}
	var out Message
	updateEmitting(n.st, n.ev, func(s Messages) (Messages, []MessageEvent, bool) {
		list := s.ByConversation[conv]
		i := slices.IndexFunc(list, mine)
		if i < 0 { // dropped from the window meanwhile
			return s, nil, false
		}
		old := list[i]
		var events []MessageEvent
		if err == nil {
			// The confirmed message replaces this send's copy, whether
			// still optimistic or already the echo (keeping a read status).
			var changed bool
			list, events, changed = n.merge(slices.Delete(slices.Clone(list), i, i+1), confirmed, self, &old)
			if !changed {
				out = old
				return s, nil, false
			}
		} else {
			if old.Status != MessageSending { // the echo won the race
				out = old
				return s, nil, false
			}
			list = slices.Clone(list)
			list[i].Status, list[i].Err = MessageFailed, err
			events = []MessageEvent{{Kind: MessageStatusChanged, Message: list[i], Previous: old.Status}}
		}
		if j := slices.IndexFunc(list, mine); j >= 0 {
			out = list[j]
		}
		return s.with(conv, list), events, true
	})
	return out
}

// receive merges a message from the Messages stream.
func (n *MessagesNotifier) receive(m domain.Message) {
	if m.ConversationID == "" || (m.ID == "" && m.ClientID == "") {
		return // nothing to file it under or to de-duplicate it by
	}
	for _, f := range n.hooks.before {
		f(m)
	}
	self := n.self()
	updateEmitting(n.st, n.ev, func(s Messages) (Messages, []MessageEvent, bool) {
		list, events, changed := n.merge(s.ByConversation[m.ConversationID], m, self, nil)
		if !changed {
			return s, nil, false // a copy of what the list holds
		}
		return s.with(m.ConversationID, list), events, true
	})
}

// merge returns a copy of list with the server's m in it, and its events:
// m replaces the same message (same id, or same sender and client id),
// keeping a read status, or is added. replaced, when set, is this user's
// copy that m confirms, already taken out of list: m replaces it too.
// changed is false when list already held m as it is.
func (n *MessagesNotifier) merge(list []Message, m domain.Message, self string, replaced *Message) (_ []Message, _ []MessageEvent, changed bool) {
	um := Message{Message: m, Status: MessageSent}
	um.Attachments = slices.Clone(m.Attachments)
	var events []MessageEvent
	confirming := replaced != nil
	i := slices.IndexFunc(list, func(x Message) bool { return sameMessage(x, m, self) })
	if i >= 0 && confirming { // the echo came as a copy of its own
		events = append(events, MessageEvent{Kind: MessageRemoved, Message: *replaced})
	}
	if i >= 0 {
		replaced = &list[i]
	}
	if replaced != nil {
		if replaced.Status == MessageRead {
			um.Status = MessageRead
		}
		if um.ClientID == "" {
			um.ClientID = replaced.ClientID
		}
	}
	switch {
	case i >= 0 && !confirming && equalMessages(list[i], um):
		return list, nil, false // a copy of what the list holds
	case i < 0 && confirming && equalMessages(*replaced, um):
		return list, nil, false // confirms what the echo already filed
	case i >= 0:
		list = slices.Delete(slices.Clone(list), i, i+1)
	}
	list, added := n.insert(list, um, replaced)
	return list, append(events, added...), true
}

// insert returns list plus m, sorted and trimmed to the window, with its
// events: m added, or, when it replaces a copy (was), m changed; and the
// oldest messages removed from the window. list is not modified.
func (n *MessagesNotifier) insert(list []Message, m Message, was *Message) ([]Message, []MessageEvent) {
	i, _ := slices.BinarySearchFunc(list, m, compareMessages)
	total := len(list) + 1
	drop := max(total-n.opts.Window, 0) // the oldest fall out of the window
	out := make([]Message, 0, total-drop)
	var events []MessageEvent
	if drop <= i {
		out = append(out, list[drop:i]...)
		out = append(out, m)
		out = append(out, list[i:]...)
		events = append(events, changeOf(m, was))
	} else {
		out = append(out, list[drop-1:]...) // m itself is older than the window
		if was != nil {
			events = append(events, MessageEvent{Kind: MessageRemoved, Message: *was})
		}
		drop--
	}
	for _, gone := range list[:drop] {
		events = append(events, MessageEvent{Kind: MessageRemoved, Message: gone})
	}
	return out, events
}

// changeOf is the event of m taking the place of was (nil: m is new).
func changeOf(m Message, was *Message) MessageEvent {
	switch {
	case was == nil:
		return MessageEvent{Kind: MessageAdded, Message: m}
	case was.Status != m.Status:
		return MessageEvent{Kind: MessageStatusChanged, Message: m, Previous: was.Status}
	default:
		return MessageEvent{Kind: MessageUpdated, Message: m}
	}
}

// markRead moves own messages up to and including r.MessageID to read when
// another user read them.
func (n *MessagesNotifier) markRead(r domain.ReadReceipt, self string) {
	if self == "" || r.UserID == self {
		return
	}
	updateEmitting(n.st, n.ev, func(s Messages) (Messages, []MessageEvent, bool) {
		list := s.ByConversation[r.ConversationID]
		i := slices.IndexFunc(list, func(x Message) bool { return x.ID == r.MessageID })
		if i < 0 {
			return s, nil, false
		}
		var out []Message
		var events []MessageEvent
		for j := 0; j <= i; j++ {
			if list[j].SenderID == self && list[j].Status == MessageSent {
				if out == nil {
					out = slices.Clone(list)
				}
				out[j].Status = MessageRead
				events = append(events, MessageEvent{Kind: MessageStatusChanged, Message: out[j], Previous: MessageSent})
			}
		}
		if out == nil {
			return s, nil, false
		}
		return s.with(r.ConversationID, out), events, true
	})
}

func (n *MessagesNotifier) self() string {
	if n.opts.UserID != "" {
		return n.opts.UserID
	}
	return n.src.ConnectionState().UserID
}

// A message's identity is its server id, or its sender and client id:
// client ids are made by each sender's SDK, so two users may use the same.

// sameMessage reports whether x (in the list) and the server's m are one
// message.
func sameMessage(x Message, m domain.Message, self string) bool {
	if m.ID != "" && x.ID == m.ID {
		return true
	}
	if m.ClientID == "" || x.ClientID != m.ClientID {
		return false
	}
	xOwn, mOwn := own(x, self), self != "" && m.SenderID == self
	if xOwn || mOwn {
		return xOwn && mOwn
	}
	return x.SenderID == m.SenderID
}

// own reports whether x is this user's message: an optimistic copy
// (sending or failed; only this user's sends are) or one self sent.
func own(x Message, self string) bool {
	return x.Status == MessageSending || x.Status == MessageFailed || (self != "" && x.SenderID == self)
}

// ownWithClientID reports whether x is this user's message with client id
// clientID.
func ownWithClientID(x Message, self, clientID string) bool {
	return clientID != "" && x.ClientID == clientID && own(x, self)
}

// equalMessages reports whether a and b are the same message in the same
// state, whatever the representation of their time (a copy read back from
// a store may carry another location) and of no attachments.
func equalMessages(a, b Message) bool {
	if !a.CreatedAt.Equal(b.CreatedAt) || len(a.Attachments) != len(b.Attachments) {
		return false
	}
	a.CreatedAt = b.CreatedAt
	if len(a.Attachments) == 0 {
		a.Attachments = b.Attachments
	}
	return reflect.DeepEqual(a, b)
}

// with returns a copy of s in which conversation conv holds list.
func (s Messages) with(conv string, list []Message) Messages {
	m := make(map[string][]Message, len(s.ByConversation)+1)
	for k, v := range s.ByConversation {
		m[k] = v
	}
	m[conv] = list
	return Messages{ByConversation: m}
}

// compareMessages orders by server time, then id (client id while the
// message has no id).
func compareMessages(a, b Message) int {
	if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
		return c
	}
	return strings.Compare(messageKey(a), messageKey(b))
}

func messageKey(m Message) string {
	if m.ID != "" {
		return m.ID
	}
	return m.ClientID
}
