package presentation

import (
	"context"
	"time"

	"github.com/chatwire/chatwire/domain"
	"github.com/chatwire/chatwire/internal/fanout"
)

// UserPresence is one user's availability.
type UserPresence struct {
	Status domain.PresenceStatus
	// LastSeen is the server's last-seen time; when the server gives none,
	// it is when the user was seen going offline (zero if never).
	LastSeen time.Time
}

// Presence is a snapshot of the other users whose status is known: user id
// → presence. This user is never in it, whatever the backend (a Pusher
// presence channel lists every member, this user included; the envelope
// protocol reports only the others): this user's own state is the
// connection's. Read-only.
type Presence struct {
	Users map[string]UserPresence
}

// Of returns a user's presence and whether it is known.
func (p Presence) Of(userID string) (UserPresence, bool) {
	u, ok := p.Users[userID]
	return u, ok
}

// PresenceOptions configure a PresenceNotifier. The zero value is ready to use.
type PresenceOptions struct {
	// UserID is this user's id, left out of the snapshot. Empty means the
	// UserID of the data source's connection state.
	UserID string
	// Clock dates a user going offline when the server gives no last-seen
	// time. Nil means the wall clock.
	Clock domain.Clock
	// OnResync is called, on the notifier's goroutine, each time the
	// notifier was cut off from the UserStatuses stream and followed it
	// again. Nil means nobody is told; NewNotifiers tells the connection
	// notifier.
	OnResync func(Resync)
}

// PresenceNotifier holds the presence (online, away, offline and last
// seen) of every other user the data source has reported on.
//
// Concurrency: every method is safe for concurrent use. One goroutine,
// started by NewPresenceNotifier and stopped by Close, follows the
// UserStatuses stream.
type PresenceNotifier struct {
	src  domain.ChatWebSocketDataSource
	opts PresenceOptions
	run  *runner
	st   *store[Presence]
	ev   *fanout.Fanout[PresenceEvent]
}

// NewPresenceNotifier starts following src's user statuses.
func NewPresenceNotifier(src domain.ChatWebSocketDataSource, opts PresenceOptions) *PresenceNotifier {
	n := &PresenceNotifier{src: src, opts: opts, run: newRunner(opts.Clock),
		st: newStore(Presence{Users: map[string]UserPresence{}}), ev: newEvents[PresenceEvent](opts.Clock)}
	follow(followLoop{run: n.run, src: src, notifier: "presence", onResync: opts.OnResync},
		eventFeed(src, "UserStatuses", src.UserStatuses, n.apply), feed[struct{}]{})
	return n
}

// Value returns the current snapshot.
func (n *PresenceNotifier) Value() Presence { return n.st.value() }

// Changes returns the current snapshot and then every newer one, a newer
// one replacing an unread older one. The channel closes when ctx ends or
// the notifier closes.
func (n *PresenceNotifier) Changes(ctx context.Context) <-chan Presence { return n.st.changes(ctx) }

// Events returns every change from now on, one event each: a user's
// status or last-seen time changed. See the package doc for ordering and
// for a subscriber that stops reading.
func (n *PresenceNotifier) Events(ctx context.Context) <-chan PresenceEvent {
	return n.ev.Subscribe(ctx)
}

// Close stops following the data source and closes every Changes and
// Events channel. Idempotent.
func (n *PresenceNotifier) Close() {
	n.run.close()
	n.st.close()
	n.ev.Close()
}

func (n *PresenceNotifier) apply(u domain.UserStatusUpdate) {
	if u.UserID == "" || u.Status == "" || u.UserID == n.self() {
		return
	}
	now := n.run.now()
	updateEmitting(n.st, n.ev, func(p Presence) (Presence, []PresenceEvent, bool) {
		old, known := p.Users[u.UserID]
		next := UserPresence{Status: u.Status, LastSeen: old.LastSeen}
		switch {
		case !u.LastSeen.IsZero():
			next.LastSeen = u.LastSeen
		case u.Status == domain.StatusOffline && known && old.Status != domain.StatusOffline:
			next.LastSeen = now
		}
		if known && next.Status == old.Status && next.LastSeen.Equal(old.LastSeen) {
			return p, nil, false
		}
		m := make(map[string]UserPresence, len(p.Users)+1)
		for k, v := range p.Users {
			m[k] = v
		}
		m[u.UserID] = next
		return Presence{Users: m}, []PresenceEvent{{UserID: u.UserID, Presence: next, Previous: old, Known: known}}, true
	})
}

func (n *PresenceNotifier) self() string {
	if n.opts.UserID != "" {
		return n.opts.UserID
	}
	return n.src.ConnectionState().UserID
}
