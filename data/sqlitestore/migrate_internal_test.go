package sqlitestore

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/ncruces/go-sqlite3"

	"github.com/chatwire/chatwire/data"
	"github.com/chatwire/chatwire/domain"
)

// A store of an older schema is migrated on Open, its data kept: here a
// store of version 1 meets a version 2 that adds a column.
func TestOpenMigratesAnOlderStore(t *testing.T) {
	path := filepath.Join(t.TempDir(), "chat.db")
	st, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := st.PutSend(ctx, data.StoredSend{ClientID: "s1", CreatedAt: time.Now(),
		Draft: domain.MessageDraft{ClientID: "s1", ConversationID: "c1", Content: "kept"}}); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	v1 := migrations
	t.Cleanup(func() { migrations = v1 })
	migrations = append(v1[:len(v1):len(v1)], `ALTER TABLE sends ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;`)

	st, err = Open(path, Options{})
	if err != nil {
		t.Fatalf("Open with a version 2: %v", err)
	}
	defer st.Close()
	var version, attempts int64
	err = st.do(ctx, "check", func() error {
		if err := st.query("SELECT max(version) FROM schema_migrations", func(r *sqlite3.Stmt) error {
			version = r.ColumnInt64(0)
			return nil
		}); err != nil {
			return err
		}
		return st.query("SELECT attempts FROM sends WHERE client_id = 's1'", func(r *sqlite3.Stmt) error {
			attempts = r.ColumnInt64(0)
			return nil
		})
	})
	if err != nil || version != 2 || attempts != 0 {
		t.Fatalf("after the migration: version %d, attempts %d, err %v", version, attempts, err)
	}
	s, err := st.Load(ctx)
	if err != nil || len(s.Sends) != 1 || s.Sends[0].Draft.Content != "kept" {
		t.Fatalf("after the migration the send is %+v, %v", s.Sends, err)
	}
}
