// Package presentation holds the notifiers a user interface subscribes to:
// connection, messages, conversations, typing, presence and calls. Each one
// is built over a domain.ChatWebSocketDataSource, so it works unchanged over
// every backend, and holds an immutable snapshot of UI state. NewNotifiers
// builds all six over one data source; start there.
//
// Every notifier has the same shape:
//
//   - Value returns the current snapshot.
//   - Changes(ctx) returns a channel that first holds the current snapshot
//     and then every newer one; a newer snapshot replaces one the subscriber
//     has not read yet, so a slow UI never blocks the notifier and always
//     sees the latest state. The channel closes when ctx ends or the
//     notifier closes.
//   - Events(ctx) returns a channel of typed change events ("message
//     added", "status changed", "bob started typing"...), one per change,
//     none skipped; see "Change events" below for their order.
//   - Close stops the notifier's goroutines and timers and waits for them.
//     It is idempotent; after it returns nothing more is sent on any channel,
//     no timer callback runs and the notifier makes no call of its own on
//     the data source. Actions (Send, MarkRead, Call...) are made on the
//     caller's goroutine: one in flight during Close still returns, and
//     later ones fail with domain.ErrClosed.
//
// # Change events
//
// Within one notifier, events come in the order of its snapshots, and an
// event is published right after the snapshot that holds it: a subscriber
// that receives an event and then calls Value sees that change (or a newer
// state). A subscriber that keeps reading gets every event; one that leaves
// an event untaken for 30 s has stopped reading and is cut off (its channel
// closes). The channel also closes when ctx ends or the notifier closes.
//
// Across the notifiers of one Notifiers, a message from the data source is
// applied in a fixed order, on one goroutine: first its sender stops typing
// in its conversation (TypingStopped), then the conversation list takes it
// (its preview and unread count: ConversationUpdated, or ConversationAdded),
// then the message list (MessageAdded). So when a MessageAdded arrives, the
// typing and conversations notifiers' Value already reflect that message,
// whatever the transport. The events themselves travel on separate
// channels, so a UI reading several of them may receive them in another
// order: render from Value when an event arrives. Notifiers built one by
// one each follow the data source on their own and promise no order
// between them. The other streams (typing indicators, presence, calls,
// connection states) are independent of one another.
//
// # Snapshots
//
// Snapshots are values that are never modified after they are published:
// their slices and maps are shared between readers and must be treated as
// read-only.
//
// # Following the data source
//
// A notifier never silently stops following the data source. If the data
// source cuts one of its subscriptions off (it left events untaken too
// long), it subscribes again, replays what it missed from the data
// source's History, and reports a Resync (OnResync in its options;
// Connection.Resync in a Notifiers). A Resync that is not Complete means
// History no longer reached back far enough: refetch over the app's API.
//
// # Offline-first start
//
// A data source that keeps what the user last saw across restarts
// implements domain.OfflineCache (data.New with a data.Options.Store). Over
// one, the notifiers start from the cache, then go live:
//
//  1. The constructor (NewNotifiers, NewMessagesNotifier,
//     NewConversationsNotifier) subscribes to the data source's streams,
//     then reads the cache before it returns: the conversation list with
//     previews and unread counts, the newest cached messages of each
//     conversation (up to the window), and the sends an earlier process
//     left unfinished, shown as sending with their client ids. The first
//     Value is that cached screen, before Start, and without events: it is
//     where the notifier starts, as an empty list is without a cache.
//  2. What the data source delivers afterwards, once connected, is applied
//     to it like any other event, with its change events: a message
//     missed meanwhile is added (MessageAdded); a cached message the server
//     sends again is the same message (its id) and changes nothing unless
//     its content differs (MessageUpdated); a pending send becomes sent on
//     its confirmation or its echo, whichever comes first, or failed, and
//     Retry sends it again (MessageStatusChanged); the server's unread
//     count replaces the cached one, and a message from someone else not
//     cached adds one (ConversationUpdated). Nothing shows twice: a message
//     is its server id, or its sender and client id.
//
// A cache that cannot be read is reported through OnCacheError (in a
// Notifiers, as a storage error in Connection.Err) and the notifier starts
// from what it could read. Set UserID when the app knows who signed in:
// before the network answers, it is how cached messages of this user are
// told apart.
//
// Tokens are the data source's: ConnectionNotifier.Start connects with an
// empty token, which makes the data source ask the domain.TokenSource it
// was built with.
//
// Presence means the same on every backend: the presence snapshot holds
// other users only, never this user (whom a Pusher presence channel lists
// as a member and the envelope protocol does not).
//
// Bad input to an action is refused with a typed error (ErrInvalidArgument,
// domain.ErrInvalidDraft...) and the session goes on; a failure of the data
// source is returned wrapped, so errors.Is and errors.As see through it.
//
// Notifiers do not own the data source: closing a notifier leaves it open.
// Logging, where a notifier has any, goes to an injected *slog.Logger and
// is silent by default. Time goes through a domain.Clock (nil means the
// wall clock), so tests drive the typing, expiry and ring timers with a
// fake clock; domain/domaintest provides a fake data source for tests.
//
// This package imports domain and the module's internal utilities only.
package presentation
