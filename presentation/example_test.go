package presentation_test

import (
	"context"
	"fmt"
	"time"

	"github.com/chatwire/chatwire/domain"
	"github.com/chatwire/chatwire/domain/domaintest"
	"github.com/chatwire/chatwire/presentation"
)

// The examples run the notifiers over domaintest's fake data source, which
// plays the server; an app passes a data source from data.New (the
// envelope protocol) or data/laravel.New (Pusher) instead.

// fakeFor returns a connected fake data source for user.
func fakeFor(user string) *domaintest.Source {
	src := domaintest.NewSource(domaintest.Options{UserID: user})
	_ = src.Connect(context.Background(), "token")
	return src
}

// at is a fixed time, so that the output does not depend on the clock.
var at = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// Every notifier of one data source, started and closed together. The
// token source belongs to the data source (data.Options.TokenSource, or
// here the fake's): Start leaves tokens to it.
func ExampleNewNotifiers() {
	src := domaintest.NewSource(domaintest.Options{UserID: "alice",
		TokenSource: func(context.Context) (string, error) { return "token-from-your-backend", nil }})
	defer src.Close()

	ns := presentation.NewNotifiers(src, presentation.NotifiersOptions{})
	defer ns.Close()
	if err := ns.Start(context.Background()); err != nil {
		fmt.Println("connect:", err)
		return
	}
	c := ns.Connection.Value()
	fmt.Println(c.Status, c.UserID, ns.Calls.Value().Phase, src.Tokens())
	// Output: connected alice idle [token-from-your-backend]
}

// A UI renders the messages of a conversation from each snapshot; a send
// shows at once as sending and then as sent.
func ExampleMessagesNotifier() {
	src := fakeFor("alice")
	defer src.Close()
	n := presentation.NewMessagesNotifier(src, presentation.MessagesOptions{})
	defer n.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	events := n.Events(ctx)

	src.Push(domain.Message{ID: "m1", ConversationID: "c1", SenderID: "bob", Content: "hi alice", CreatedAt: at})
	<-events // bob's message is in
	if _, err := n.Send(ctx, domain.MessageDraft{ConversationID: "c1", Content: "hi bob"}); err != nil {
		fmt.Println(err)
	}
	for _, m := range n.Value().In("c1") {
		fmt.Printf("%s: %s (%s)\n", m.SenderID, m.Content, m.Status)
	}
	// Output:
	// bob: hi alice (sent)
	// alice: hi bob (sent)
}

// Change events say what happened, without diffing snapshots.
func ExampleMessagesNotifier_Events() {
	src := fakeFor("alice")
	defer src.Close()
	n := presentation.NewMessagesNotifier(src, presentation.MessagesOptions{})
	defer n.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	events := n.Events(ctx)

	_, _ = n.Send(ctx, domain.MessageDraft{ConversationID: "c1", Content: "hi bob"})
	src.Push(domain.ReadReceipt{ConversationID: "c1", UserID: "bob", MessageID: "m-1"})
	for range 3 {
		e := <-events
		fmt.Printf("%s: %q is %s\n", e.Kind, e.Message.Content, e.Message.Status)
	}
	// Output:
	// added: "hi bob" is sending
	// status changed: "hi bob" is sent
	// status changed: "hi bob" is read
}

// The conversation list: previews, unread counts, and MarkRead.
func ExampleConversationsNotifier() {
	src := fakeFor("alice")
	defer src.Close()
	n := presentation.NewConversationsNotifier(src, presentation.ConversationsOptions{})
	defer n.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	events := n.Events(ctx)

	src.Push(domain.ConversationUpdate{ConversationID: "c1", Action: domain.ConversationCreated, Title: "Lunch"})
	src.Push(domain.Message{ID: "m1", ConversationID: "c1", SenderID: "bob", Content: "noon?", CreatedAt: at})
	src.Push(domain.Message{ID: "m2", ConversationID: "c1", SenderID: "bob", Content: "or one?", CreatedAt: at})
	for range 3 {
		<-events
	}
	c, _ := n.Value().Get("c1")
	fmt.Printf("%s: %q, %d unread\n", c.Title, c.LastMessage.Content, c.UnreadCount)

	_ = n.MarkRead(ctx, "c1", "m2")
	c, _ = n.Value().Get("c1")
	fmt.Printf("%s: %d unread\n", c.Title, c.UnreadCount)
	// Output:
	// Lunch: "or one?", 2 unread
	// Lunch: 0 unread
}

// Who is typing, as events ("bob started typing") and as a snapshot.
func ExampleTypingNotifier() {
	src := fakeFor("alice")
	defer src.Close()
	n := presentation.NewTypingNotifier(src, presentation.TypingOptions{})
	defer n.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	events := n.Events(ctx)

	src.Push(domain.TypingIndicator{ConversationID: "c1", UserID: "bob", IsTyping: true})
	e := <-events
	fmt.Printf("%s %s in %s; typing in c1: %v\n", e.UserID, e.Kind, e.ConversationID, n.Value().In("c1"))
	src.Push(domain.Message{ID: "m1", ConversationID: "c1", SenderID: "bob", Content: "done", CreatedAt: at})
	e = <-events
	fmt.Printf("%s %s in %s; typing in c1: %v\n", e.UserID, e.Kind, e.ConversationID, n.Value().In("c1"))
	// Output:
	// bob started typing in c1; typing in c1: [bob]
	// bob stopped typing in c1; typing in c1: []
}

// Presence of the other users; this user is never listed.
func ExamplePresenceNotifier() {
	src := fakeFor("alice")
	defer src.Close()
	n := presentation.NewPresenceNotifier(src, presentation.PresenceOptions{})
	defer n.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	events := n.Events(ctx)

	src.Push(domain.UserStatusUpdate{UserID: "alice", Status: domain.StatusOnline}) // this user: left out
	src.Push(domain.UserStatusUpdate{UserID: "bob", Status: domain.StatusOnline})
	src.Push(domain.UserStatusUpdate{UserID: "bob", Status: domain.StatusOffline, LastSeen: at})
	for range 2 {
		e := <-events
		fmt.Printf("%s: %s → %s\n", e.UserID, e.Previous.Status, e.Presence.Status)
	}
	_, listed := n.Value().Of("alice")
	fmt.Println("alice listed:", listed)
	// Output:
	// bob:  → online
	// bob: online → offline
	// alice listed: false
}

// An incoming call rings, is accepted, and ends.
func ExampleCallNotifier() {
	src := fakeFor("alice")
	defer src.Close()
	n := presentation.NewCallNotifier(src, presentation.CallOptions{})
	defer n.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	events := n.Events(ctx)

	src.Push(domain.CallEvent{Kind: domain.CallIncoming, CallID: "k1", ConversationID: "c1",
		CallerID: "bob", CalleeIDs: []string{"alice"}, Media: domain.MediaVideo})
	e := <-events
	fmt.Printf("%s call from %s: %s\n", e.Call.Media, e.Call.CallerID, e.Call.Phase)
	_ = n.Accept(ctx, "k1")
	e = <-events
	fmt.Println(e.Previous, "→", e.Call.Phase)
	src.Push(domain.CallEvent{Kind: domain.CallEnded, CallID: "k1", EndedBy: "bob", Reason: "bye"})
	e = <-events
	fmt.Println(e.Previous, "→", e.Call.Phase, "by", e.Call.EndedBy)
	fmt.Println(src.Sent()[0])
	// Output:
	// video call from bob: incoming_ringing
	// incoming_ringing → active
	// active → ended by bob
	// SendCallSignal(accept k1)
}

// The connection as a UI shows it: a banner while reconnecting, a dialog
// for a fatal error.
func ExampleConnectionNotifier() {
	src := domaintest.NewSource(domaintest.Options{UserID: "alice"})
	defer src.Close()
	n := presentation.NewConnectionNotifier(src, presentation.ConnectionOptions{})
	defer n.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	events := n.Events(ctx)

	_ = n.Start(ctx)
	fmt.Println((<-events).Connection.Status) // connecting
	fmt.Println((<-events).Connection.Status) // connected
	src.SetState(domain.ConnectionState{Status: domain.Failed, Err: domain.ErrUnauthorized})
	for e := range events {
		if e.Kind == presentation.ConnectionError {
			fmt.Println(e.Connection.Status, e.Connection.Err, "dialog:", e.Connection.ShowDialog())
			break
		}
	}
	// Output:
	// connecting
	// connected
	// failed connection: chatwire: unauthorized dialog: true
}
