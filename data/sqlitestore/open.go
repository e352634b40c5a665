package sqlitestore

import (
	"fmt"

	"github.com/ncruces/go-sqlite3"

	"github.com/chatwire/chatwire/data"
)

// applicationID marks a chatwire store in the SQLite header ("CHWR"): a
// database of another application is refused, not converted.
const applicationID = 0x43485752

// openConn opens and locks the file, checks that it is a chatwire store
// of a schema this code knows, and brings its schema up to date.
func openConn(path string, opts Options) (_ *sqlite3.Conn, err error) {
	conn, err := sqlite3.OpenFlags(path, sqlite3.OPEN_READWRITE|sqlite3.OPEN_CREATE)
	if err != nil {
		return nil, wrapErr("open "+path, err)
	}
	defer func() {
		if err != nil {
			_ = conn.Close()
		}
	}()
	if ro, _ := conn.ReadOnly("main"); ro {
		return nil, fmt.Errorf("%w: open %s: the file cannot be written", ErrReadOnly, path)
	}
	// Exclusive locking: the lock taken by the first transaction is held
	// until Close, and in WAL mode the WAL index lives in this process's
	// memory (no -shm file, no sharing).
	if err := conn.Exec("PRAGMA locking_mode=EXCLUSIVE"); err != nil {
		return nil, wrapErr("open "+path, err)
	}
	// Look before changing anything: a file that is refused stays as it was.
	version, err := inTx(conn, func() (int64, error) { return checkStore(conn) })
	if err != nil {
		return nil, wrapErr("open "+path, err)
	}
	mode, err := pragmaText(conn, "PRAGMA journal_mode=WAL")
	if err != nil {
		return nil, wrapErr("open "+path, err)
	}
	if mode != "wal" {
		return nil, fmt.Errorf("%w: open %s: journal mode %q, not wal", ErrReadOnly, path, mode)
	}
	if _, err := inTx(conn, func() (int64, error) { return 0, migrate(conn, version) }); err != nil {
		return nil, wrapErr("open "+path, err)
	}
	settings := "PRAGMA synchronous=NORMAL; PRAGMA journal_size_limit=4194304; PRAGMA temp_store=MEMORY;"
	if opts.MaxFileBytes > 0 {
		pageSize, err := pragmaInt(conn, "PRAGMA page_size")
		if err != nil {
			return nil, wrapErr("open "+path, err)
		}
		settings += fmt.Sprintf("PRAGMA max_page_count=%d;", max(1, opts.MaxFileBytes/pageSize))
	}
	if err := conn.Exec(settings); err != nil {
		return nil, wrapErr("open "+path, err)
	}
	return conn, nil
}

// newStore is checkStore's version for a new, empty file.
const newStore = -1

// checkStore tells a new file (newStore), a store (its schema version)
// and anything else (refused) apart, changing nothing.
func checkStore(conn *sqlite3.Conn) (int64, error) {
	appID, err := pragmaInt(conn, "PRAGMA application_id")
	if err != nil {
		return 0, err
	}
	objects, err := pragmaInt(conn, "SELECT count(*) FROM sqlite_schema")
	if err != nil {
		return 0, err
	}
	switch {
	case appID == 0 && objects == 0:
		return newStore, nil
	case appID != applicationID:
		return 0, fmt.Errorf("%w: another application's database (application id %#x)", data.ErrStoreCorrupt, appID)
	}
	version, err := pragmaInt(conn, "SELECT coalesce(max(version), 0) FROM schema_migrations")
	if err != nil {
		return 0, fmt.Errorf("%w: no schema version: %w", data.ErrStoreCorrupt, err)
	}
	if latest := int64(len(migrations)); version > latest {
		return 0, fmt.Errorf("%w: schema version %d, this code knows up to %d", data.ErrStoreVersion, version, latest)
	}
	return version, nil
}

// migrate brings a store of version (newStore for a new file) to the
// current schema.
func migrate(conn *sqlite3.Conn, version int64) error {
	if version == newStore {
		if err := conn.Exec(fmt.Sprintf("PRAGMA application_id=%d;", applicationID) + createMigrations); err != nil {
			return err
		}
		version = 0
	}
	for v := version + 1; v <= int64(len(migrations)); v++ {
		if err := conn.Exec(migrations[v-1]); err != nil {
			return fmt.Errorf("migrate the store to version %d: %w", v, err)
		}
		if err := conn.Exec(fmt.Sprintf("INSERT INTO schema_migrations(version, applied_at) VALUES (%d, unixepoch())", v)); err != nil {
			return err
		}
	}
	return nil
}

// inTx runs f in a write transaction on conn (which also takes the lock).
func inTx[T any](conn *sqlite3.Conn, f func() (T, error)) (T, error) {
	var zero T
	if err := conn.Exec("BEGIN IMMEDIATE"); err != nil {
		return zero, err
	}
	v, err := f()
	if err != nil {
		_ = conn.Exec("ROLLBACK")
		return zero, err
	}
	if err := conn.Exec("COMMIT"); err != nil {
		return zero, err
	}
	return v, nil
}

// pragmaText runs a statement that returns one text value.
func pragmaText(conn *sqlite3.Conn, query string) (string, error) {
	st, _, err := conn.Prepare(query)
	if err != nil {
		return "", err
	}
	defer st.Close()
	if !st.Step() {
		if err := st.Err(); err != nil {
			return "", err
		}
		return "", fmt.Errorf("%s: no result", query)
	}
	return st.ColumnText(0), nil
}

// pragmaInt runs a statement that returns one integer.
func pragmaInt(conn *sqlite3.Conn, query string) (int64, error) {
	st, _, err := conn.Prepare(query)
	if err != nil {
		return 0, err
	}
	defer st.Close()
	if !st.Step() {
		if err := st.Err(); err != nil {
			return 0, err
		}
		return 0, fmt.Errorf("%s: no result", query)
	}
	return st.ColumnInt64(0), nil
}
