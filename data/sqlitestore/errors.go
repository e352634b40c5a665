package sqlitestore

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/ncruces/go-sqlite3"

	"github.com/chatwire/chatwire/data"
)

// wrap names the operation and classifies SQLite's error: errors.Is
// matches ErrFull, ErrReadOnly, data.ErrStoreCorrupt or
// data.ErrStoreLocked, and the SQLite error stays in the chain.
func (s *Store) wrap(op string, err error) error { return wrapErr(op, err) }

func wrapErr(op string, err error) error {
	kind := classify(err)
	if kind == nil {
		return fmt.Errorf("chatwire: store %s: %w", op, err)
	}
	return &storeError{kind: kind, op: op, err: err}
}

// storeError is a classified error: "<kind>: <op>: <cause>".
type storeError struct {
	kind error // ErrFull, ErrReadOnly, data.ErrStore...
	op   string
	err  error
}

func (e *storeError) Error() string {
	return e.kind.Error() + ": " + e.op + ": " + strings.TrimPrefix(e.err.Error(), e.kind.Error()+": ")
}

func (e *storeError) Unwrap() []error { return []error{e.kind, e.err} }

// classify returns the store error an SQLite error means, or nil.
func classify(err error) error {
	for _, kind := range []error{ErrFull, ErrReadOnly, data.ErrStoreCorrupt, data.ErrStoreLocked, data.ErrStoreVersion} {
		if errors.Is(err, kind) {
			return kind
		}
	}
	switch {
	case errors.Is(err, sqlite3.FULL):
		return ErrFull
	case errors.Is(err, sqlite3.READONLY), errors.Is(err, sqlite3.PERM), errors.Is(err, sqlite3.AUTH),
		errors.Is(err, sqlite3.CANTOPEN) && errors.Is(err, fs.ErrPermission):
		return ErrReadOnly
	case errors.Is(err, sqlite3.CORRUPT), errors.Is(err, sqlite3.NOTADB):
		return data.ErrStoreCorrupt
	case errors.Is(err, sqlite3.BUSY), errors.Is(err, sqlite3.LOCKED):
		return data.ErrStoreLocked
	}
	return nil
}
