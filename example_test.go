package chatwire_test

import (
	"context"
	"fmt"
	"time"

	"github.com/chatwire/chatwire/data"
	"github.com/chatwire/chatwire/data/chattest"
	"github.com/chatwire/chatwire/domain"
	"github.com/chatwire/chatwire/presentation"
)

// The whole wiring of a chat UI: a data source for the signed-in user, the
// notifiers over it, and a render loop that redraws what each event says.
// The reference server stands in for your backend, and bob's app for
// another user.
func Example() {
	srv := chattest.NewServer(chattest.Options{})
	defer srv.Close()
	_ = srv.CreateConversation("general", "General", "alice", "bob")
	connect := func(user string) *data.ChatWebSocketDataSource {
		src, err := data.New(data.Options{
			BaseURL:     srv.URL, // wss://chat.example.com in production
			TokenSource: func(context.Context) (string, error) { return srv.IssueToken(user), nil },
		})
		if err != nil {
			panic(err)
		}
		return src
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	// The app: one data source, the notifiers over it, then Start.
	src := connect("alice")
	defer src.Close()
	ui := presentation.NewNotifiers(src, presentation.NotifiersOptions{})
	defer ui.Close()
	messages := ui.Messages.Events(ctx)
	if err := ui.Start(ctx); err != nil {
		fmt.Println("cannot connect:", err)
		return
	}
	fmt.Println("signed in as", ui.Connection.Value().UserID)

	// Bob, elsewhere, writes.
	bob := connect("bob")
	defer bob.Close()
	_ = bob.Connect(ctx, "")
	_, _ = bob.SendMessage(ctx, domain.MessageDraft{ConversationID: "general", Content: "lunch?"})

	// The render loop. Events say what changed; the other notifiers'
	// Value already reflect a message when its event arrives.
	for e := range messages {
		m := e.Message
		switch {
		case e.Kind == presentation.MessageAdded && m.SenderID != "alice":
			conv, _ := ui.Conversations.Value().Get(m.ConversationID)
			fmt.Printf("%s: %s (%d unread)\n", m.SenderID, m.Content, conv.UnreadCount)
			_ = ui.Conversations.MarkRead(ctx, m.ConversationID, m.ID)
			_, _ = ui.Messages.Send(ctx, domain.MessageDraft{ConversationID: m.ConversationID, Content: "sure"})
		case m.SenderID == "alice":
			fmt.Printf("you: %s (%s)\n", m.Content, m.Status)
			if m.Status == presentation.MessageSent {
				_ = bob.MarkRead(ctx, m.ConversationID, m.ID) // bob reads it
			}
		}
		if m.Status == presentation.MessageRead {
			break
		}
	}
	// Output:
	// signed in as alice
	// bob: lunch? (1 unread)
	// you: sure (sending)
	// you: sure (sent)
	// you: sure (read)
}
