package sqlitestore_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ncruces/go-sqlite3"

	"github.com/chatwire/chatwire/data"
	"github.com/chatwire/chatwire/data/chattest"
	"github.com/chatwire/chatwire/data/sqlitestore"
	"github.com/chatwire/chatwire/domain"
)

// Files Open must refuse, with the error that says why, leaving them as
// they were: never a silent reset.
func TestOpenRefusesWhatIsNotAUsableStore(t *testing.T) {
	tests := []struct {
		name string
		make func(t *testing.T, path string)
		want error
	}{
		{"not a database", func(t *testing.T, path string) {
			writeFile(t, path, bytes.Repeat([]byte("this is a text file, not a store\n"), 200))
		}, data.ErrStoreCorrupt},
		{"another application's database", func(t *testing.T, path string) {
			execRaw(t, path, "CREATE TABLE notes(id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes(body) VALUES ('keep me');")
		}, data.ErrStoreCorrupt},
		{"truncated", func(t *testing.T, path string) {
			fillStore(t, path)
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.Truncate(path, fi.Size()/2); err != nil {
				t.Fatal(err)
			}
		}, data.ErrStoreCorrupt},
		{"damaged pages", func(t *testing.T, path string) {
			fillStore(t, path)
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			for i := 4096; i < len(b); i += 4096 { // every page's header but the first
				copy(b[i:], bytes.Repeat([]byte{0xA5}, 16))
			}
			writeFile(t, path, b)
		}, data.ErrStoreCorrupt},
		{"a newer schema", func(t *testing.T, path string) {
			fillStore(t, path)
			execRaw(t, path, "INSERT INTO schema_migrations(version, applied_at) VALUES (99, 0)")
		}, data.ErrStoreVersion},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "chat.db")
			tc.make(t, path)
			before, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			st, err := sqlitestore.Open(path, sqlitestore.Options{})
			if err == nil {
				// Some damage shows only when the pages are read.
				_, err = st.Load(t.Context())
				if err == nil {
					_, err = st.Messages(t.Context(), "c1", 0)
				}
				_ = st.Close()
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want an error wrapping %v", err, tc.want)
			}
			t.Logf("%v", err)
			after, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(before, after) {
				t.Fatal("the refused file was changed")
			}
		})
	}
}

// fillStore makes a store at path with a few hundred kB of cache, closed.
func fillStore(t *testing.T, path string) {
	t.Helper()
	st, err := sqlitestore.Open(path, sqlitestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var b data.Batch
	for i := range 600 {
		b.Messages = append(b.Messages, msg(fmt.Sprintf("c%d", i%3), fmt.Sprintf("m%03d", i), i, strings.Repeat("y", 300)))
	}
	if err := st.Commit(t.Context(), b); err != nil {
		t.Fatal(err)
	}
	putSend(t, st, "s1", "queued")
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
}

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// execRaw runs sql on the file with SQLite itself, as another program would.
func execRaw(t *testing.T, path, sql string) {
	t.Helper()
	conn, err := sqlite3.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := conn.Exec(sql); err != nil {
		t.Fatal(err)
	}
	if err := conn.Close(); err != nil {
		t.Fatal(err)
	}
}

// A file that cannot be written is refused with ErrReadOnly. (As root,
// which writes whatever the mode, the file is made immutable instead.)
func TestReadOnlyFileIsRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "chat.db")
	fillStore(t, path)
	makeReadOnly(t, path)
	_, err := sqlitestore.Open(path, sqlitestore.Options{})
	if !errors.Is(err, sqlitestore.ErrReadOnly) {
		t.Fatalf("Open of a read-only file: %v, want ErrReadOnly", err)
	}
	t.Logf("%v", err)
}

// A full file (Options.MaxFileBytes, as a full disk would) first costs the
// cache its oldest messages; sends and the position still go in. When
// nothing is left to give, writes fail with ErrFull, and everything
// written before is still there.
func TestFullFileGivesUpTheCacheFirst(t *testing.T) {
	path := filepath.Join(t.TempDir(), "chat.db")
	st := openStore(t, path, sqlitestore.Options{MaxFileBytes: 256 << 10, CommitInterval: -1})
	text := strings.Repeat("z", 1000)
	n := 0
	for ; n < 600; n++ { // far more than fits: the cache keeps making room
		if err := st.Commit(t.Context(), data.Batch{Position: &domain.Position{Seq: int64(n + 1)},
			Messages: []domain.Message{msg("c1", fmt.Sprintf("m%04d", n), n, text)}}); err != nil {
			t.Fatalf("commit %d: %v", n, err)
		}
	}
	cached, _ := st.Messages(t.Context(), "c1", 0)
	if len(cached) == 0 || len(cached) >= n || cached[len(cached)-1].ID != fmt.Sprintf("m%04d", n-1) {
		t.Fatalf("cache after %d commits into 256 KiB: %d messages", n, len(cached))
	}
	// Sends now: until even they do not fit.
	big := strings.Repeat("s", 4000)
	var stored []string
	var full error
	for i := 0; i < 1000 && full == nil; i++ {
		id := fmt.Sprintf("s%03d", i)
		full = st.PutSend(t.Context(), data.StoredSend{ClientID: id, CreatedAt: t0,
			Draft: domain.MessageDraft{ClientID: id, ConversationID: "c1", Content: big}})
		if full == nil {
			stored = append(stored, id)
		}
	}
	if !errors.Is(full, sqlitestore.ErrFull) {
		t.Fatalf("after %d sends of 4 kB into 256 KiB: %v, want ErrFull", len(stored), full)
	}
	t.Logf("%d sends stored, then: %v", len(stored), full)
	if cached, _ := st.Messages(t.Context(), "c1", 0); len(cached) != 0 {
		t.Errorf("sends failed while the cache still held %d messages", len(cached))
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	st = openStore(t, path, sqlitestore.Options{MaxFileBytes: 256 << 10, CommitInterval: -1})
	s, err := st.Load(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Sends) != len(stored) || s.Position.Seq != int64(n) {
		t.Fatalf("reopened: %d sends, position %d; want %d and %d", len(s.Sends), s.Position.Seq, len(stored), n)
	}
}

// In a full file, a batch with a message that can never fit is written
// without it: the rest of the batch (the position, the other messages)
// is not lost with it.
func TestFullFileLeavesOutWhatCannotFit(t *testing.T) {
	st := openStore(t, filepath.Join(t.TempDir(), "chat.db"), sqlitestore.Options{MaxFileBytes: 64 << 10, CommitInterval: -1})
	huge := msg("c1", "huge", 1, strings.Repeat("h", 200<<10))
	small := msg("c1", "small", 2, "fits")
	err := st.Commit(t.Context(), data.Batch{Position: &domain.Position{Seq: 2}, Messages: []domain.Message{huge, small}})
	if err != nil {
		t.Fatalf("Commit: %v", err)
	}
	cached, _ := st.Messages(t.Context(), "c1", 0)
	s, _ := st.Load(t.Context())
	if len(cached) != 1 || cached[0].ID != "small" || s.Position.Seq != 2 {
		t.Fatalf("cached %d messages, position %d; want only the small one, and position 2", len(cached), s.Position.Seq)
	}
}

// A file damaged under a live session (the database truncated and its
// pages overwritten, the WAL cut, by another program): the session goes on
// (events delivered, sends confirmed, nothing acknowledged lost), anything
// the store reports is a non-fatal storage error, and reopening the file
// later is refused as corrupt (or finds a usable store), never a silent
// reset. SQLite, holding the file exclusively, works from its page cache
// and WAL index meanwhile, so the damage shows at the next open.
func TestFileDamagedUnderALiveSession(t *testing.T) {
	srv := chattest.NewServer(chattest.Options{})
	t.Cleanup(srv.Close)
	if err := srv.CreateConversation("c1", "Team", "alice", "bob"); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "alice.db")
	store, err := sqlitestore.Open(path, sqlitestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	src := newSource(t, srv, "alice", store)
	errs, msgs := src.Errors(t.Context()), src.Messages(t.Context())
	connect(t, src, srv, "alice")
	for i := range 50 {
		post(t, srv, "c1", "bob", fmt.Sprintf("before %d %s", i, strings.Repeat("x", 500)))
		recv(t, msgs)
	}
	eventually(t, "the cache written", func() bool {
		ms, _ := store.Messages(t.Context(), "c1", 0)
		return len(ms) == 50
	})

	// Another program damages the file: half of it gone, the rest's
	// page headers overwritten, the WAL cut after its header.
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b = b[:len(b)/2]
	for i := 4096; i < len(b); i += 4096 {
		copy(b[i:], bytes.Repeat([]byte{0xA5}, 16))
	}
	if err := os.WriteFile(path, b, 0o600); err != nil { // truncates the file in place
		t.Fatal(err)
	}
	if err := os.Truncate(path+"-wal", 100); err != nil {
		t.Fatal(err)
	}

	for i := range 20 {
		content := fmt.Sprintf("after %d %s", i, strings.Repeat("y", 500))
		post(t, srv, "c1", "bob", content)
		if m := recv(t, msgs); m.Content != content {
			t.Fatalf("after the damage: %q", m.Content)
		}
		ctx, cancel := context.WithTimeout(t.Context(), waitFor)
		sent, err := src.SendMessage(ctx, domain.MessageDraft{ConversationID: "c1", Content: fmt.Sprint("mine ", i)})
		cancel()
		if err != nil {
			t.Fatalf("SendMessage after the damage: %v", err)
		}
		if m := recv(t, msgs); m.ID != sent.ID {
			t.Fatalf("the echo of mine %d: %+v", i, m)
		}
	}
	if st := src.ConnectionState(); st.Status != domain.Connected {
		t.Fatalf("state %v after the damage", st.Status)
	}
	if err := src.Close(); err != nil {
		t.Fatal(err)
	}
	for err := range errs { // closed by Close
		var de *domain.Error
		if !errors.As(err, &de) || de.Class != domain.ClassStorage || de.Fatal {
			t.Errorf("Errors: %v, want only non-fatal storage errors", err)
		}
	}
	_ = store.Close() // may fail on the damaged file; must return
	if again, err := sqlitestore.Open(path, sqlitestore.Options{}); err == nil {
		_ = again.Close()
	} else if !errors.Is(err, data.ErrStoreCorrupt) {
		t.Fatalf("reopening the damaged file: %v, want ErrStoreCorrupt or a usable store", err)
	}
	want := 20
	if got := strings.Count(serverContents(t, srv, "c1"), "alice:mine "); got != want {
		t.Fatalf("the server holds %d of alice's messages, want %d", got, want)
	}
}
