package sqlitestore

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/ncruces/go-sqlite3"

	"github.com/chatwire/chatwire/data"
	"github.com/chatwire/chatwire/domain"
)

// Options configure a Store. Zero values take the documented defaults.
type Options struct {
	// MessagesPerConversation is how many messages the cache keeps per
	// conversation, the newest; zero means data.DefaultCachedMessages.
	MessagesPerConversation int
	// MaxCacheBytes bounds the cached messages' total size, as stored
	// (each message's encoded record): past it the oldest messages, of
	// any conversation, leave first, down to 90% of it. Zero means 32 MiB.
	MaxCacheBytes int64
	// CommitInterval spaces the data source's commits: a Commit waits
	// until this long after the previous one ended. Meanwhile the data
	// source gathers what arrives into its next batch, so under a flood
	// the cache is written in a few large transactions and a burst longer
	// than MessagesPerConversation is written once, not overwritten. It
	// is how much more than the last transaction a crash may lose of the
	// cache and the position (sends are synced at once). Zero means 20ms;
	// negative means no wait.
	CommitInterval time.Duration
	// MaxFileBytes, if positive, caps the database file (SQLite's
	// max_page_count). At the cap the cache gives way first; a write that
	// still does not fit fails with ErrFull. Zero means no cap.
	MaxFileBytes int64
}

const (
	defaultMaxCacheBytes  = 32 << 20
	defaultCommitInterval = 20 * time.Millisecond
)

func (o Options) withDefaults() Options {
	if o.MessagesPerConversation <= 0 {
		o.MessagesPerConversation = data.DefaultCachedMessages
	}
	if o.MaxCacheBytes <= 0 {
		o.MaxCacheBytes = defaultMaxCacheBytes
	}
	if o.CommitInterval == 0 {
		o.CommitInterval = defaultCommitInterval
	}
	return o
}

// Errors of the store besides data's ErrStoreLocked, ErrStoreCorrupt and
// ErrStoreVersion.
var (
	// ErrFull: the disk, or Options.MaxFileBytes, has no room for a write,
	// even after the cache gave way.
	ErrFull = errors.New("chatwire: the store is full")
	// ErrReadOnly: the store's file or folder cannot be written.
	ErrReadOnly = errors.New("chatwire: the store is read-only")
)

// Store is a data.Store in an SQLite file. Open it with Open.
//
// Concurrency: every method is safe for concurrent use; calls run one at
// a time on the store's one connection, in the order they get it, and a
// call waiting for it honours its ctx. After Close every call fails with
// an error wrapping domain.ErrClosed.
type Store struct {
	path string
	opts Options
	sem  chan struct{} // cap 1: held while the connection is in use
	// lastCommit is when the last Commit ended, in unix ns.
	lastCommit atomic.Int64

	// The fields below are used only while holding sem.
	conn     *sqlite3.Conn
	stmts    map[string]*sqlite3.Stmt
	closed   bool
	change   cacheChange // in a write: how it changed the cache
	leaveOut bool        // in a write to a full file: cache what fits
}

var _ data.Store = (*Store)(nil)

// Open opens the store at path, creating it if it does not exist, and
// locks it for this process. It fails with an error wrapping
// data.ErrStoreLocked when another process (or another Store in this one)
// holds it, data.ErrStoreCorrupt for a damaged file or one that is not a
// chatwire store (never resetting it), data.ErrStoreVersion for a file of
// a newer schema, and ErrReadOnly when the file cannot be written.
func Open(path string, opts Options) (*Store, error) {
	s := &Store{path: path, opts: opts.withDefaults(), sem: make(chan struct{}, 1), stmts: map[string]*sqlite3.Stmt{}}
	conn, err := openConn(path, s.opts)
	if err != nil {
		return nil, err
	}
	s.conn = conn
	return s, nil
}

// Path returns the file the store was opened at.
func (s *Store) Path() string { return s.path }

// Close checkpoints the write-ahead log into the file and releases the
// lock. Idempotent.
func (s *Store) Close() error {
	s.sem <- struct{}{}
	defer func() { <-s.sem }()
	if s.closed {
		return nil
	}
	s.closed = true
	for _, st := range s.stmts {
		_ = st.Close()
	}
	s.stmts = nil
	if err := s.conn.Close(); err != nil {
		return s.wrap("close", err)
	}
	return nil
}

// do runs f with the connection, once ctx allows and the store is open.
func (s *Store) do(ctx context.Context, op string, f func() error) error {
	select {
	case s.sem <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("chatwire: store %s: %w", op, ctx.Err())
	}
	defer func() { <-s.sem }()
	if s.closed {
		return fmt.Errorf("chatwire: store %s: %w", op, domain.ErrClosed)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("chatwire: store %s: %w", op, err)
	}
	if err := f(); err != nil {
		return s.wrap(op, err)
	}
	return nil
}

// stmt returns the prepared statement for query, preparing it once.
func (s *Store) stmt(query string) (*sqlite3.Stmt, error) {
	if st, ok := s.stmts[query]; ok {
		return st, nil
	}
	st, _, err := s.conn.Prepare(query)
	if err != nil {
		return nil, err
	}
	s.stmts[query] = st
	return st, nil
}

// exec runs query with args, discarding rows.
func (s *Store) exec(query string, args ...any) error {
	st, err := s.stmt(query)
	if err != nil {
		return err
	}
	if err := bind(st, args); err != nil {
		return err
	}
	err = st.Exec()
	if cerr := st.ClearBindings(); err == nil {
		err = cerr
	}
	return err
}

// query runs query with args and calls row for each row.
func (s *Store) query(query string, row func(*sqlite3.Stmt) error, args ...any) (err error) {
	st, err := s.stmt(query)
	if err != nil {
		return err
	}
	if err := bind(st, args); err != nil {
		return err
	}
	defer func() {
		if rerr := st.Reset(); err == nil {
			err = rerr
		}
		_ = st.ClearBindings()
	}()
	for st.Step() {
		if err := row(st); err != nil {
			if err == errStop {
				return nil
			}
			return err
		}
	}
	return st.Err()
}

// errStop, returned by a row function, ends a query early without error.
var errStop = errors.New("stop")

func bind(st *sqlite3.Stmt, args []any) error {
	for i, a := range args {
		var err error
		switch v := a.(type) {
		case string:
			err = st.BindText(i+1, v)
		case []byte:
			err = st.BindRawText(i+1, v)
		case int64:
			err = st.BindInt64(i+1, v)
		case int:
			err = st.BindInt64(i+1, int64(v))
		default:
			panic(fmt.Sprintf("sqlitestore: cannot bind %T", a))
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// inTx runs f in a write transaction: all of it or nothing.
func (s *Store) inTx(f func() error) (err error) {
	if err := s.exec("BEGIN IMMEDIATE"); err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = s.exec("ROLLBACK")
		}
	}()
	if err := f(); err != nil {
		return err
	}
	return s.exec("COMMIT")
}
