package sqlitestore

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/ncruces/go-sqlite3"

	"github.com/chatwire/chatwire/data"
	"github.com/chatwire/chatwire/domain"
)

// The recorded cache size stays the sum of the cached messages' sizes
// through inserts, replacements, trims, deletions and a full file; and a
// burst larger than the per-conversation limit (written in part) leaves
// the cache as writing it whole would.
func TestCacheSizeAccounting(t *testing.T) {
	ctx := context.Background()
	base := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	mk := func(conv string, i int, content string) domain.Message {
		return domain.Message{ID: fmt.Sprintf("%s-%03d", conv, i), ConversationID: conv, SenderID: "bob", Content: content,
			CreatedAt: base.Add(time.Duration(i/2) * time.Second), Seq: int64(i)} // pairs share a time
	}
	burst := func(conv string, n int) []domain.Message {
		var ms []domain.Message
		for i := range n {
			ms = append(ms, mk(conv, i, fmt.Sprint("v1 ", i)))
		}
		ms = append(ms, mk(conv, n-1, "v2, longer than the first version")) // a replacement in the same batch
		return ms
	}
	whole, err := Open(filepath.Join(t.TempDir(), "whole.db"), Options{MessagesPerConversation: 20, CommitInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer whole.Close()
	parts, err := Open(filepath.Join(t.TempDir(), "parts.db"), Options{MessagesPerConversation: 20, MaxFileBytes: 1 << 20, CommitInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer parts.Close()
	for _, m := range burst("c1", 70) { // one at a time: nothing skipped
		if err := whole.Commit(ctx, data.Batch{Messages: []domain.Message{m}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := parts.Commit(ctx, data.Batch{Messages: burst("c1", 70)}); err != nil { // one batch: 50 skipped
		t.Fatal(err)
	}
	a, _ := whole.Messages(ctx, "c1", 0)
	b, _ := parts.Messages(ctx, "c1", 0)
	if !slices.EqualFunc(a, b, func(x, y domain.Message) bool { return x.ID == y.ID && x.Content == y.Content }) || len(a) != 20 {
		t.Fatalf("one at a time: %d messages; in one batch: %d; they differ", len(a), len(b))
	}
	for _, st := range []*Store{whole, parts} {
		checkSize(t, st)
		if err := st.Commit(ctx, data.Batch{Messages: burst("c2", 5), DeletedConversations: []string{"c1"}}); err != nil {
			t.Fatal(err)
		}
		checkSize(t, st)
	}
	if n, err := parts.dropOldestHalf(); err != nil || n != 3 {
		t.Fatalf("dropOldestHalf: %d, %v", n, err)
	}
	checkSize(t, parts)
	if err := parts.Wipe(ctx); err != nil {
		t.Fatal(err)
	}
	checkSize(t, parts)
}

func checkSize(t *testing.T, st *Store) {
	t.Helper()
	var recorded, actual string
	err := st.do(context.Background(), "check", func() error {
		row := func(out *string) func(*sqlite3.Stmt) error {
			return func(r *sqlite3.Stmt) error {
				*out += fmt.Sprintf("%s:%d:%d ", r.ColumnText(0), r.ColumnInt64(1), r.ColumnInt64(2))
				return nil
			}
		}
		if err := st.query("SELECT conversation_id, messages, bytes FROM cache_counts ORDER BY 1", row(&recorded)); err != nil {
			return err
		}
		return st.query("SELECT conversation_id, count(*), sum(size) FROM messages GROUP BY 1 ORDER BY 1", row(&actual))
	})
	if err != nil || recorded != actual {
		t.Fatalf("recorded counts %q, the messages count %q (%v)", recorded, actual, err)
	}
}

// A batch longer than the per-conversation limit, holding two versions of
// one message of which the latest is among the oldest: the cache keeps the
// limit newest of the batch's latest versions, never the earlier version
// (a batch applies as a whole, then the limit).
func TestBurstKeepsNoReplacedVersion(t *testing.T) {
	ctx := context.Background()
	st, err := Open(filepath.Join(t.TempDir(), "s.db"), Options{MessagesPerConversation: 2, CommitInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	base := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	mk := func(id, content string, sec int) domain.Message {
		return domain.Message{ID: id, ConversationID: "c", SenderID: "bob", Content: content,
			CreatedAt: base.Add(time.Duration(sec) * time.Second), Seq: int64(sec)}
	}
	batch := []domain.Message{mk("a", "a v1", 10), mk("b", "b", 5), mk("c", "c", 6), mk("a", "a v2", 1)}
	if err := st.Commit(ctx, data.Batch{Messages: batch}); err != nil {
		t.Fatal(err)
	}
	ms, err := st.Messages(ctx, "c", 0)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range ms {
		got = append(got, m.Content)
	}
	if want := []string{"b", "c"}; !slices.Equal(got, want) {
		t.Fatalf("cached %q, want %q", got, want)
	}
	checkSize(t, st)
}
