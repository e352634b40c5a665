// Package presentation holds the notifiers a user interface subscribes to:
// connection, messages, conversations, typing, presence and calls. Each one
// is built over a domain.ChatWebSocketDataSource, so it works unchanged over
// every backend, and holds an immutable snapshot of UI state.
//
// Every notifier has the same shape:
//
//   - Value returns the current snapshot.
//   - Changes(ctx) returns a channel that first holds the current snapshot
//     and then every newer one; a newer snapshot replaces one the subscriber
//     has not read yet, so a slow UI never blocks the notifier and always
//     sees the latest state. The channel closes when ctx ends or the
//     notifier closes.
//   - Close stops the notifier's goroutines and timers and waits for them.
//     It is idempotent; after it returns nothing more is sent on any channel,
//     no timer callback runs and the notifier makes no call of its own on
//     the data source. Actions (Send, MarkRead, Call...) are made on the
//     caller's goroutine: one in flight during Close still returns, and
//     later ones fail with domain.ErrClosed.
//
// Snapshots are values that are never modified after they are published:
// their slices and maps are shared between readers and must be treated as
// read-only.
//
// Bad input to an action is refused with a typed error (ErrInvalidArgument,
// domain.ErrInvalidDraft...) and the session goes on; a failure of the data
// source is returned wrapped, so errors.Is and errors.As see through it.
//
// Notifiers do not own the data source: closing a notifier leaves it open.
// Logging, where a notifier has any, goes to an injected *slog.Logger and
// is silent by default.
// Time goes through a domain.Clock (nil means the wall clock), so tests drive
// the typing, expiry and ring timers with a fake clock.
//
// This package imports domain only.
package presentation
