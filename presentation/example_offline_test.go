package presentation_test

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/chatwire/chatwire/data"
	"github.com/chatwire/chatwire/data/chattest"
	"github.com/chatwire/chatwire/domain"
	"github.com/chatwire/chatwire/presentation"
)

// Over a data source with a store, the notifiers start from what the user
// last saw, before the network answers, then take the server's word. The
// first run here is closed during an outage with a reply still queued;
// the second shows it as sending before connecting, and sent after.
func ExampleNewNotifiers_offlineFirst() {
	srv := chattest.NewServer(chattest.Options{})
	defer srv.Close()
	store := data.NewMemoryStore(0) // an app reopens its file (data/sqlitestore)
	open := func() *data.ChatWebSocketDataSource {
		src, err := data.New(data.Options{BaseURL: srv.URL, Store: store,
			TokenSource: func(context.Context) (string, error) { return srv.IssueToken("alice"), nil }})
		if err != nil {
			panic(err)
		}
		return src
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	// The first run: bob asks, the network goes away, alice answers, and
	// the app is closed with the answer queued in the store.
	first := open()
	msgs := first.Messages(ctx)
	_ = first.Connect(ctx, "")
	_ = srv.CreateConversation("c1", "Lunch", "alice", "bob")
	_, _ = srv.Post(chattest.Message{ConversationID: "c1", SenderID: "bob", Content: "noon?"})
	<-msgs
	srv.Stop()
	go func() { _, _ = first.SendMessage(ctx, domain.MessageDraft{ConversationID: "c1", Content: "sure"}) }()
	for st, _ := store.Load(ctx); len(st.Sends) == 0; st, _ = store.Load(ctx) {
		time.Sleep(time.Millisecond)
	}
	_ = first.Close()

	// The second run.
	second := open()
	defer second.Close()
	ui := presentation.NewNotifiers(second, presentation.NotifiersOptions{UserID: "alice"})
	defer ui.Close()
	show := func(when string) {
		c, _ := ui.Conversations.Value().Get("c1")
		fmt.Printf("%s: %s, %d unread:", when, c.Title, c.UnreadCount)
		for _, m := range ui.Messages.Value().In("c1") {
			fmt.Printf(" %q %s", m.Content, m.Status)
		}
		fmt.Println()
	}
	show("before connecting")
	_ = srv.Start()
	_ = ui.Start(ctx)
	for v := range ui.Messages.Changes(ctx) {
		if !slices.ContainsFunc(v.In("c1"), func(m presentation.Message) bool { return m.Status == presentation.MessageSending }) {
			break
		}
	}
	show("connected")
	// Output:
	// before connecting: Lunch, 1 unread: "noon?" sent "sure" sending
	// connected: Lunch, 1 unread: "noon?" sent "sure" sent
}
