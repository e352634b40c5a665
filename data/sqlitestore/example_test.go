package sqlitestore_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/chatwire/chatwire/data"
	"github.com/chatwire/chatwire/data/chattest"
	"github.com/chatwire/chatwire/data/sqlitestore"
	"github.com/chatwire/chatwire/domain"
)

// A data source with a durable store: what one process saw, the next one
// shows before the network answers.
func Example() {
	srv := chattest.NewServer(chattest.Options{})
	defer srv.Close()
	_ = srv.CreateConversation("c1", "Team", "alice", "bob")
	dir, _ := os.MkdirTemp("", "chatwire-example-")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "alice.db")
	ctx := context.Background()

	// First run: chat, then quit.
	store, err := sqlitestore.Open(path, sqlitestore.Options{})
	if err != nil {
		fmt.Println(err) // data.ErrStoreLocked, data.ErrStoreCorrupt, data.ErrStoreVersion, sqlitestore.ErrReadOnly
		return
	}
	src, _ := data.New(data.Options{BaseURL: srv.URL, Store: store})
	if err := src.Connect(ctx, srv.IssueToken("alice")); err != nil {
		fmt.Println(err)
		return
	}
	_, _ = src.SendMessage(ctx, domain.MessageDraft{ConversationID: "c1", Content: "see you tomorrow"})
	_ = src.Close() // writes what is pending; the data source does not close the store
	_ = store.Close()

	// Next run: the cache before connecting.
	store, _ = sqlitestore.Open(path, sqlitestore.Options{})
	defer store.Close()
	src, _ = data.New(data.Options{BaseURL: srv.URL, Store: store})
	defer src.Close()
	cached, _ := src.CachedMessages(ctx, "c1", 50)
	for _, m := range cached {
		fmt.Printf("%s: %s\n", m.SenderID, m.Content)
	}
	// Output: alice: see you tomorrow
}
