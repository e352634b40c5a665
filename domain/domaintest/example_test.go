package domaintest_test

import (
	"context"
	"fmt"
	"time"

	"go.uber.org/mock/gomock"

	"github.com/chatwire/chatwire/domain"
	"github.com/chatwire/chatwire/domain/domaintest"
	"github.com/chatwire/chatwire/mocks/domainmock"
	"github.com/chatwire/chatwire/presentation"
)

// The code under test here is a MessagesNotifier; yours may be a view
// model or a bot built on the port. The test plays the server: it pushes
// what the server sends, and the fake answers the sends.
func Example() {
	ctx := context.Background()
	src := domaintest.NewSource(domaintest.Options{UserID: "alice"})
	defer src.Close()
	n := presentation.NewMessagesNotifier(src, presentation.MessagesOptions{})
	defer n.Close()
	_ = src.Connect(ctx, "token")

	src.Push(domain.Message{ID: "m1", ConversationID: "c1", SenderID: "bob", Content: "hi alice",
		CreatedAt: time.Now().Add(-time.Minute)})
	mine, err := n.Send(ctx, domain.MessageDraft{ConversationID: "c1", Content: "hi bob"})
	fmt.Println(mine.ID, mine.Status, err)

	for _, m := range waitFor(n, func(s presentation.Messages) bool { return len(s.In("c1")) == 2 }).In("c1") {
		fmt.Printf("%s: %s (%s)\n", m.SenderID, m.Content, m.Status)
	}
	fmt.Println(src.Sent()[0])
	// Output:
	// m-1 sent <nil>
	// bob: hi alice (sent)
	// alice: hi bob (sent)
	// SendMessage(c1: "hi bob")
}

// A send can be left hanging and answered when the test decides: here it
// fails, and the notifier shows the message as failed.
func ExampleHang() {
	ctx := context.Background()
	src := domaintest.NewSource(domaintest.Options{UserID: "alice", Answer: domaintest.Hang})
	defer src.Close()
	n := presentation.NewMessagesNotifier(src, presentation.MessagesOptions{})
	defer n.Close()

	result := make(chan error, 1)
	go func() {
		_, err := n.Send(ctx, domain.MessageDraft{ConversationID: "c1", Content: "hello?"})
		result <- err
	}()
	send, _ := src.NextSend(ctx)
	fmt.Println(n.Value().In("c1")[0].Status) // shown at once, optimistically
	send.Fail(domain.ErrSendExpired)
	fmt.Println(<-result)
	fmt.Println(n.Value().In("c1")[0].Status)
	// Output:
	// sending
	// presentation: send message: chatwire: send expired before it could be written
	// failed
}

// The same test with the generated gomock mock of the port: each stream
// the notifier subscribes to and each call it makes is an expectation the
// test writes by hand, and the test feeds the channels itself. Use it to
// check exact calls; use a Source to play a session.
func Example_gomock() {
	ctrl := gomock.NewController(panicReporter{})
	defer ctrl.Finish()
	src := domainmock.NewMockChatWebSocketDataSource(ctrl)
	inbound := make(chan domain.Message, 1)
	src.EXPECT().Messages(gomock.Any()).Return(inbound)
	src.EXPECT().ReadReceipts(gomock.Any()).Return(make(chan domain.ReadReceipt))
	src.EXPECT().SendMessage(gomock.Any(), gomock.Any()).DoAndReturn(
		func(_ context.Context, d domain.MessageDraft) (domain.Message, error) {
			return domain.Message{ID: "m-1", ClientID: d.ClientID, ConversationID: d.ConversationID,
				SenderID: "alice", Content: d.Content, CreatedAt: time.Now()}, nil
		})

	n := presentation.NewMessagesNotifier(src, presentation.MessagesOptions{UserID: "alice"})
	defer n.Close()
	inbound <- domain.Message{ID: "m1", ConversationID: "c1", SenderID: "bob", Content: "hi alice",
		CreatedAt: time.Now().Add(-time.Minute)}
	mine, err := n.Send(context.Background(), domain.MessageDraft{ConversationID: "c1", Content: "hi bob"})
	fmt.Println(mine.ID, mine.Status, err)
	for _, m := range waitFor(n, func(s presentation.Messages) bool { return len(s.In("c1")) == 2 }).In("c1") {
		fmt.Printf("%s: %s (%s)\n", m.SenderID, m.Content, m.Status)
	}
	// Output:
	// m-1 sent <nil>
	// bob: hi alice (sent)
	// alice: hi bob (sent)
}

// waitFor returns the first snapshot of n that ok accepts.
func waitFor(n *presentation.MessagesNotifier, ok func(presentation.Messages) bool) presentation.Messages {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for s := range n.Changes(ctx) {
		if ok(s) {
			return s
		}
	}
	panic("timed out")
}

// panicReporter lets gomock run outside a *testing.T.
type panicReporter struct{}

func (panicReporter) Errorf(format string, args ...any) { panic(fmt.Sprintf(format, args...)) }
func (panicReporter) Fatalf(format string, args ...any) { panic(fmt.Sprintf(format, args...)) }
