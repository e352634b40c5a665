package presentation

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/chatwire/chatwire/domain"
	"github.com/chatwire/chatwire/internal/fanout"
)

// ConnectionOptions configure a ConnectionNotifier. The zero value is ready
// to use.
type ConnectionOptions struct {
	// TokenSource, if set, gives the token Start connects with. Nil (the
	// usual) leaves tokens to the data source: Start connects with an empty
	// token, and the data source asks the token source it was built with,
	// as it does before every reconnect. Set it only for a data source
	// built without one.
	TokenSource domain.TokenSource
	// Clock stamps snapshots. Nil means the wall clock.
	Clock domain.Clock
}

// Connection is a snapshot of the connection as a UI shows it.
type Connection struct {
	Status domain.ConnectionStatus
	// Attempt counts the attempts of the current reconnect cycle.
	Attempt int
	// NextRetryAt is when the next attempt starts (Reconnecting only).
	NextRetryAt time.Time
	// Err is the last error reported, classified. Err.Fatal means the SDK
	// stopped and the user must act: show a dialog; otherwise a toast or a
	// banner will do. A fatal error is not replaced by a later non-fatal
	// one. Err is cleared when the connection is (re)established.
	Err *domain.Error
	// Sync is the catch-up status of the current connection.
	Sync domain.SyncStatus
	// SyncIncomplete is set when a catch-up could not replay everything
	// missed (the app should refetch history over its HTTP API); it stays
	// set until a later catch-up completes.
	SyncIncomplete bool
	// UserID and SessionID are what the server said at session start.
	UserID    string
	SessionID string
	// Resync is the last time a notifier was cut off from one of the data
	// source's streams and followed it again (nil if never). When
	// Resync.Complete is false that notifier may lack events: refetch over
	// the app's HTTP API. Resyncs counts them.
	Resync  *Resync
	Resyncs int
	// At is when this snapshot was made.
	At time.Time
}

// ShowDialog reports whether the snapshot holds an error the user must act on.
func (c Connection) ShowDialog() bool { return c.Err != nil && c.Err.Fatal }

// ConnectionNotifier holds the connection snapshot of a data source: its
// status, reconnect attempt and next retry time, the last classified error
// and whether the history sync was incomplete.
//
// Concurrency: every method is safe for concurrent use. One goroutine,
// started by NewConnectionNotifier and stopped by Close, follows the data
// source's ConnectionStates and Errors streams.
type ConnectionNotifier struct {
	src  domain.ChatWebSocketDataSource
	opts ConnectionOptions
	run  *runner
	st   *store[Connection]
	ev   *fanout.Fanout[ConnectionEvent]
}

// NewConnectionNotifier starts following src. It does not connect: call
// Start for that.
func NewConnectionNotifier(src domain.ChatWebSocketDataSource, opts ConnectionOptions) *ConnectionNotifier {
	n := &ConnectionNotifier{src: src, opts: opts, run: newRunner(opts.Clock), ev: newEvents[ConnectionEvent](opts.Clock)}
	n.st = newStore(n.fromState(Connection{}, src.ConnectionState()))
	states := feed[domain.ConnectionState]{stream: "ConnectionStates", subscribe: src.ConnectionStates,
		handle: func(s domain.ConnectionState) {
			n.update(func(c Connection) (Connection, bool) { return n.fromState(c, s), true })
		},
		// Only the latest state matters.
		catchUp: func(domain.ConnectionState) ([]domain.ConnectionState, bool) {
			return []domain.ConnectionState{src.ConnectionState()}, true
		}}
	errs := feed[error]{stream: "Errors", subscribe: src.Errors,
		handle: func(err error) { n.setErr(classify(err, false)) },
		// Errors are reports, not history: the state holds the latest.
		catchUp: func(error) ([]error, bool) { return nil, true }}
	follow(followLoop{run: n.run, src: src, notifier: "connection", onResync: n.NoteResync}, states, errs)
	return n
}

// Value returns the current snapshot.
func (n *ConnectionNotifier) Value() Connection { return n.st.value() }

// Changes returns the current snapshot and then every newer one, a newer
// one replacing an unread older one. The channel closes when ctx ends or
// the notifier closes.
func (n *ConnectionNotifier) Changes(ctx context.Context) <-chan Connection {
	return n.st.changes(ctx)
}

// Start connects the data source, waiting until it is connected, has
// failed or ctx ends. The token comes from the data source's own token
// source (or ConnectionOptions.TokenSource when set). A failure is returned
// and also recorded in the snapshot (a token source failure and an
// unauthorized token are fatal).
func (n *ConnectionNotifier) Start(ctx context.Context) error {
	if n.run.isClosed() {
		return domain.ErrClosed
	}
	n.update(func(c Connection) (Connection, bool) {
		if c.Status == domain.Connected || c.Status == domain.Connecting {
			return c, false
		}
		c.Status = domain.Connecting
		c.At = n.run.now()
		return c, true
	})
	token, err := n.token(ctx)
	if err != nil {
		e := &domain.Error{Class: domain.ClassConnection, Fatal: ctx.Err() == nil,
			Err: fmt.Errorf("presentation: token source: %w", err)}
		n.update(func(c Connection) (Connection, bool) {
			c.Status = domain.Disconnected
			if e.Fatal {
				c.Status = domain.Failed
			}
			c.Err = e
			c.At = n.run.now()
			return c, true
		})
		return e
	}
	if err := n.src.Connect(ctx, token); err != nil {
		e := classify(err, errors.Is(err, domain.ErrUnauthorized))
		st := n.src.ConnectionState()
		n.update(func(c Connection) (Connection, bool) {
			c = n.fromState(c, st)
			if e.Fatal {
				c.Status = domain.Failed
			} else if c.Status == domain.Connecting || c.Status == domain.Connected {
				c.Status = domain.Disconnected
			}
			c.Err = e
			return c, true
		})
		return fmt.Errorf("presentation: connect: %w", err)
	}
	st := n.src.ConnectionState()
	n.update(func(c Connection) (Connection, bool) { return n.fromState(c, st), true })
	return nil
}

// token returns the token to connect with: "" (the data source asks its
// own token source), or ConnectionOptions.TokenSource's.
func (n *ConnectionNotifier) token(ctx context.Context) (string, error) {
	if n.opts.TokenSource == nil {
		return "", nil
	}
	return n.opts.TokenSource(ctx)
}

// Events returns every change from now on: status changes, errors,
// catch-up changes and resyncs. See the package doc for ordering and for a
// subscriber that stops reading.
func (n *ConnectionNotifier) Events(ctx context.Context) <-chan ConnectionEvent {
	return n.ev.Subscribe(ctx)
}

// Close stops following the data source and closes every Changes and
// Events channel. It does not close the data source. Idempotent.
func (n *ConnectionNotifier) Close() {
	n.run.close()
	n.st.close()
	n.ev.Close()
}

// update changes the snapshot with f and publishes the events of the
// change.
func (n *ConnectionNotifier) update(f func(Connection) (Connection, bool)) {
	updateEmitting(n.st, n.ev, func(old Connection) (Connection, []ConnectionEvent, bool) {
		c, changed := f(old)
		if !changed {
			return old, nil, false
		}
		var events []ConnectionEvent
		if c.Status != old.Status {
			events = append(events, ConnectionEvent{Kind: ConnectionStatusChanged, Connection: c, Previous: old.Status})
		}
		if c.Err != nil && c.Err != old.Err {
			events = append(events, ConnectionEvent{Kind: ConnectionError, Connection: c})
		}
		if c.Sync != old.Sync || c.SyncIncomplete != old.SyncIncomplete {
			events = append(events, ConnectionEvent{Kind: ConnectionSyncChanged, Connection: c})
		}
		if c.Resyncs != old.Resyncs {
			events = append(events, ConnectionEvent{Kind: ConnectionResynced, Connection: c})
		}
		return c, events, true
	})
}

// fromState folds a data source state into c.
func (n *ConnectionNotifier) fromState(c Connection, s domain.ConnectionState) Connection {
	c.Status = s.Status
	c.Attempt = s.Attempt
	c.NextRetryAt = s.NextRetryAt
	c.Sync = s.Sync
	switch s.Sync {
	case domain.SyncIncomplete:
		c.SyncIncomplete = true
	case domain.SyncComplete:
		c.SyncIncomplete = false
	}
	if s.UserID != "" {
		c.UserID = s.UserID
	}
	if s.SessionID != "" {
		c.SessionID = s.SessionID
	}
	switch {
	case s.Status == domain.Connected:
		c.Err = nil
	case s.Err != nil:
		c.Err = mergeErr(c.Err, classify(s.Err, s.Status == domain.Failed))
	}
	c.At = s.At
	if c.At.IsZero() {
		c.At = n.run.now()
	}
	return c
}

// NoteResync records r in the snapshot. NewNotifiers passes it as every
// notifier's OnResync; call it from the OnResync of a notifier built on
// its own to have it shown here too. Safe for concurrent use.
func (n *ConnectionNotifier) NoteResync(r Resync) {
	n.update(func(c Connection) (Connection, bool) {
		c.Resync, c.Resyncs = &r, c.Resyncs+1
		c.At = n.run.now()
		return c, true
	})
}

func (n *ConnectionNotifier) setErr(e *domain.Error) {
	n.update(func(c Connection) (Connection, bool) {
		c.Err = mergeErr(c.Err, e)
		c.At = n.run.now()
		return c, true
	})
}

// mergeErr returns the error to keep: the newer one, unless that would
// replace a fatal error with a non-fatal one.
func mergeErr(old, e *domain.Error) *domain.Error {
	if old != nil && old.Fatal && !e.Fatal {
		return old
	}
	return e
}

// classify returns err as a *domain.Error, a connection error unless it
// already says otherwise. fatal forces Fatal.
func classify(err error, fatal bool) *domain.Error {
	var de *domain.Error
	if errors.As(err, &de) {
		if fatal && !de.Fatal {
			c := *de
			c.Fatal = true
			return &c
		}
		return de
	}
	return &domain.Error{Class: domain.ClassConnection, Fatal: fatal, Err: err}
}
