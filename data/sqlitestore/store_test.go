package sqlitestore_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chatwire/chatwire/data"
	"github.com/chatwire/chatwire/data/sqlitestore"
	"github.com/chatwire/chatwire/domain"
)

var t0 = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

func msg(conv, id string, minute int, content string) domain.Message {
	return domain.Message{ID: id, ConversationID: conv, SenderID: "bob", Content: content, Kind: domain.KindText,
		CreatedAt: t0.Add(time.Duration(minute) * time.Minute), Seq: int64(minute + 1)}
}

func putSend(t *testing.T, st data.Store, id, content string) {
	t.Helper()
	err := st.PutSend(t.Context(), data.StoredSend{ClientID: id, CreatedAt: t0,
		Draft: domain.MessageDraft{ClientID: id, ConversationID: "c1", Content: content}})
	if err != nil {
		t.Fatalf("PutSend(%s): %v", id, err)
	}
}

func sendIDs(t *testing.T, st data.Store) string {
	t.Helper()
	s, err := st.Load(t.Context())
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	var out []string
	for _, x := range s.Sends {
		out = append(out, x.ClientID)
	}
	return fmt.Sprint(out)
}

// What a store held is there when the file is opened again.
func TestReopenKeepsEverything(t *testing.T) {
	path := filepath.Join(t.TempDir(), "chat.db")
	st, err := sqlitestore.Open(path, sqlitestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	putSend(t, st, "s1", "queued")
	acct := data.Account{Server: "wss://chat.example.com", UserID: "alice"}
	unread := 2
	if err := st.Commit(t.Context(), data.Batch{Account: &acct, Position: &domain.Position{Epoch: "e1", Seq: 7},
		Messages:      []domain.Message{msg("c1", "m1", 1, "hello"), msg("c1", "m2", 2, "again")},
		Conversations: []domain.ConversationUpdate{{ConversationID: "c1", Title: "Team", UnreadCount: &unread}}}); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	st = openStore(t, path, sqlitestore.Options{})
	s, err := st.Load(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if s.Account != acct || s.Position != (domain.Position{Epoch: "e1", Seq: 7}) || len(s.Sends) != 1 || s.Sends[0].Draft.Content != "queued" {
		t.Fatalf("reopened store loads %+v", s)
	}
	ms, _ := st.Messages(t.Context(), "c1", 10)
	cs, _ := st.Conversations(t.Context())
	if len(ms) != 2 || ms[1].Content != "again" || len(cs) != 1 || cs[0].Title != "Team" || *cs[0].UnreadCount != 2 {
		t.Fatalf("reopened cache: %+v %+v", ms, cs)
	}
}

// The cache keeps within MaxCacheBytes: the oldest messages leave first,
// whatever their conversation.
func TestCacheSizeLimitDropsTheOldest(t *testing.T) {
	st := openStore(t, filepath.Join(t.TempDir(), "chat.db"), sqlitestore.Options{MaxCacheBytes: 4000})
	text := strings.Repeat("x", 200)
	var b data.Batch
	for i := range 40 { // about 400 bytes each as stored: 16 kB in all
		b.Messages = append(b.Messages, msg(fmt.Sprintf("c%d", i%2), fmt.Sprintf("m%02d", i), i, text))
	}
	if err := st.Commit(t.Context(), b); err != nil {
		t.Fatal(err)
	}
	c0, _ := st.Messages(t.Context(), "c0", 0)
	c1, _ := st.Messages(t.Context(), "c1", 0)
	kept := len(c0) + len(c1)
	if kept == 0 || kept >= 40 {
		t.Fatalf("kept %d of 40 messages under a 4000-byte limit", kept)
	}
	// The newest survive in each conversation, and nothing kept is older
	// than anything dropped.
	oldestKept := c0[0].CreatedAt
	if c1[0].CreatedAt.Before(oldestKept) {
		oldestKept = c1[0].CreatedAt
	}
	if want := t0.Add(time.Duration(40-kept) * time.Minute); !oldestKept.Equal(want) {
		t.Fatalf("oldest kept message is from %v, want %v (the %d newest kept)", oldestKept, want, kept)
	}
	if c0[len(c0)-1].ID != "m38" || c1[len(c1)-1].ID != "m39" {
		t.Fatalf("the newest messages left: c0 ends %s, c1 ends %s", c0[len(c0)-1].ID, c1[len(c1)-1].ID)
	}
}

// Wipe leaves nothing of what the store held in its files.
func TestWipeLeavesNothingOnDisk(t *testing.T) {
	path := filepath.Join(t.TempDir(), "chat.db")
	st := openStore(t, path, sqlitestore.Options{})
	const secret = "the launch code is 0000"
	putSend(t, st, "s1", secret)
	if err := st.Commit(t.Context(), data.Batch{Messages: []domain.Message{msg("c1", "m1", 1, secret)}}); err != nil {
		t.Fatal(err)
	}
	if !filesContain(t, path, secret) {
		t.Fatal("the secret is not on disk before Wipe: the test checks the wrong files")
	}
	if err := st.Wipe(t.Context()); err != nil {
		t.Fatal(err)
	}
	if filesContain(t, path, secret) {
		t.Fatal("the secret is still on disk after Wipe")
	}
	putSend(t, st, "s2", "after sign-out")
	if got := sendIDs(t, st); got != "[s2]" {
		t.Fatalf("after Wipe: sends %s", got)
	}
}

// filesContain reports whether the store's file or its WAL holds s.
func filesContain(t *testing.T, path, s string) bool {
	t.Helper()
	for _, p := range []string{path, path + "-wal", path + "-journal"} {
		b, err := os.ReadFile(p)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte(s)) {
			return true
		}
	}
	return false
}

// A second Open of a held store is refused, in the same process and in
// another one, until the holder closes it.
func TestHeldStoreIsRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "chat.db")
	st := openStore(t, path, sqlitestore.Options{})
	putSend(t, st, "s1", "mine")
	if _, err := sqlitestore.Open(path, sqlitestore.Options{}); !errors.Is(err, data.ErrStoreLocked) {
		t.Fatalf("second Open in this process: %v, want ErrStoreLocked", err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	holder := startChild(t, "hold", path)
	holder.waitLine(t, "held")
	_, err := sqlitestore.Open(path, sqlitestore.Options{})
	if !errors.Is(err, data.ErrStoreLocked) {
		t.Fatalf("Open while another process holds the store: %v, want ErrStoreLocked", err)
	}
	t.Logf("refused: %v", err)
	_ = holder.stdin.Close() // the holder closes the store and exits
	if err := holder.cmd.Wait(); err != nil {
		t.Fatalf("holder: %v; stderr:\n%s", err, holder.stderr)
	}
	st = openStore(t, path, sqlitestore.Options{})
	if got := sendIDs(t, st); got != "[s1]" {
		t.Fatalf("after the holder left: sends %s, want [s1]", got)
	}
}

// holdStore opens the store at path, says "held", and closes it at the end
// of its input.
func holdStore(path string) int {
	st, err := sqlitestore.Open(path, sqlitestore.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println("held")
	_, _ = io.Copy(io.Discard, os.Stdin)
	if err := st.Close(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}
