package presentation

import (
	"context"
	"log/slog"
	"sync"

	"github.com/chatwire/chatwire/domain"
)

// NotifiersOptions configure NewNotifiers. The zero value is ready to use:
// tokens are the data source's business (see ConnectionOptions.TokenSource).
type NotifiersOptions struct {
	// UserID, Clock and Logger fill the same fields of the per-notifier
	// options below where those are left zero.
	UserID string
	Clock  domain.Clock
	Logger *slog.Logger

	Connection    ConnectionOptions
	Messages      MessagesOptions
	Conversations ConversationsOptions
	Typing        TypingOptions
	Presence      PresenceOptions
	Calls         CallOptions
}

// Notifiers is every notifier of one data source, built and closed
// together. The fields are set by NewNotifiers and must not be replaced.
//
// Concurrency: Start and Close are safe for concurrent use; see each
// notifier for its own methods.
type Notifiers struct {
	Connection    *ConnectionNotifier
	Messages      *MessagesNotifier
	Conversations *ConversationsNotifier
	Typing        *TypingNotifier
	Presence      *PresenceNotifier
	Calls         *CallNotifier
}

// NewNotifiers builds every notifier over src. They start following src at
// once; call Start to connect. Closing them does not close src. When src
// keeps an offline cache (domain.OfflineCache), the messages and
// conversations notifiers read it before NewNotifiers returns, so their
// first Value is what the user last saw (see "Offline-first start" in the
// package doc).
//
// Unlike notifiers built one by one, these follow src's Messages stream
// once, together, in a fixed order (see the package doc), and every
// notifier's OnResync also records on the connection notifier.
func NewNotifiers(src domain.ChatWebSocketDataSource, opts NotifiersOptions) *Notifiers {
	clk := func(c domain.Clock) domain.Clock {
		if c == nil {
			return opts.Clock
		}
		return c
	}
	user := func(id string) string {
		if id == "" {
			return opts.UserID
		}
		return id
	}
	c := opts.Connection
	c.Clock = clk(c.Clock)
	m := opts.Messages
	m.UserID, m.Clock = user(m.UserID), clk(m.Clock)
	cv := opts.Conversations
	cv.UserID, cv.Clock = user(cv.UserID), clk(cv.Clock)
	t := opts.Typing
	t.UserID, t.Clock = user(t.UserID), clk(t.Clock)
	if t.Logger == nil {
		t.Logger = opts.Logger
	}
	p := opts.Presence
	p.UserID, p.Clock = user(p.UserID), clk(p.Clock)
	ca := opts.Calls
	ca.UserID, ca.Clock = user(ca.UserID), clk(ca.Clock)
	if ca.Logger == nil {
		ca.Logger = opts.Logger
	}
	conn := NewConnectionNotifier(src, c)
	m.OnResync = resyncTo(m.OnResync, conn)
	cv.OnResync = resyncTo(cv.OnResync, conn)
	t.OnResync = resyncTo(t.OnResync, conn)
	p.OnResync = resyncTo(p.OnResync, conn)
	ca.OnResync = resyncTo(ca.OnResync, conn)
	m.OnCacheError = cacheErrorTo(m.OnCacheError, conn)
	cv.OnCacheError = cacheErrorTo(cv.OnCacheError, conn)
	// One subscription to Messages feeds three notifiers in a fixed order
	// (see the package doc): typing, then conversations, then messages.
	typing := newTypingNotifier(src, t, false)
	convs := newConversationsNotifier(src, cv, false)
	return &Notifiers{
		Connection: conn,
		Messages: newMessagesNotifier(src, m, messageHooks{
			before: []func(domain.Message){typing.messageArrived, convs.receive}, cached: convs.markSeen}),
		Conversations: convs,
		Typing:        typing,
		Presence:      NewPresenceNotifier(src, p),
		Calls:         NewCallNotifier(src, ca),
	}
}

// resyncTo returns an OnResync that records on conn, then calls own.
func resyncTo(own func(Resync), conn *ConnectionNotifier) func(Resync) {
	return func(r Resync) {
		conn.NoteResync(r)
		if own != nil {
			own(r)
		}
	}
}

// cacheErrorTo returns an OnCacheError that records on conn, as a storage
// error, then calls own.
func cacheErrorTo(own func(error), conn *ConnectionNotifier) func(error) {
	return func(err error) {
		conn.setErr(&domain.Error{Class: domain.ClassStorage, Err: err})
		if own != nil {
			own(err)
		}
	}
}

// Start connects the data source through the connection notifier; see
// ConnectionNotifier.Start.
func (n *Notifiers) Start(ctx context.Context) error { return n.Connection.Start(ctx) }

// Close closes every notifier and waits for all of them: the messages
// notifier first (it feeds the typing and conversations notifiers), then
// the others concurrently. Idempotent.
func (n *Notifiers) Close() {
	n.Messages.Close()
	closers := []func(){n.Connection.Close, n.Conversations.Close, n.Typing.Close, n.Presence.Close, n.Calls.Close}
	var wg sync.WaitGroup
	for _, c := range closers {
		wg.Go(c)
	}
	wg.Wait()
}
