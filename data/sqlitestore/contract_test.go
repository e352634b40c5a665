package sqlitestore_test

import (
	"path/filepath"
	"testing"

	"github.com/chatwire/chatwire/data"
	"github.com/chatwire/chatwire/data/sqlitestore"
	"github.com/chatwire/chatwire/data/storetest"
)

// The SQLite store passes the contract every Store passes.
func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) data.Store {
		return openStore(t, filepath.Join(t.TempDir(), "chat.db"), sqlitestore.Options{})
	})
}

// openStore opens a store at path, closed at the end of the test.
func openStore(t *testing.T, path string, opts sqlitestore.Options) *sqlitestore.Store {
	t.Helper()
	st, err := sqlitestore.Open(path, opts)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}
