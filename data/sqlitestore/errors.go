package sqlitestore

import (
	"errors"
	"fmt"

	"github.com/ncruces/go-sqlite3"

	"github.com/chatwire/chatwire/data"
)

// wrap names the operation and classifies SQLite's error: errors.Is
// matches ErrFull, ErrReadOnly, data.ErrStoreCorrupt or
// data.ErrStoreLocked, and the SQLite error stays in the chain.
func (s *Store) wrap(op string, err error) error { return wrapErr(op, err) }

func wrapErr(op string, err error) error {
	if kind := classify(err); kind != nil && !errors.Is(err, kind) {
		return fmt.Errorf("%w: %s: %w", kind, op, err)
	}
	return fmt.Errorf("chatwire: store %s: %w", op, err)
}

// classify returns the store error an SQLite error means, or nil.
func classify(err error) error {
	switch {
	case errors.Is(err, sqlite3.FULL):
		return ErrFull
	case errors.Is(err, sqlite3.READONLY), errors.Is(err, sqlite3.PERM), errors.Is(err, sqlite3.AUTH):
		return ErrReadOnly
	case errors.Is(err, sqlite3.CORRUPT), errors.Is(err, sqlite3.NOTADB):
		return data.ErrStoreCorrupt
	case errors.Is(err, sqlite3.BUSY), errors.Is(err, sqlite3.LOCKED):
		return data.ErrStoreLocked
	}
	return nil
}
