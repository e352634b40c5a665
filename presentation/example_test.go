package presentation_test

import (
	"context"
	"fmt"

	"github.com/chatwire/chatwire/domain"
	"github.com/chatwire/chatwire/domain/domaintest"
	"github.com/chatwire/chatwire/mocks/domainmock"
	"github.com/chatwire/chatwire/presentation"
	"go.uber.org/mock/gomock"
)

// reporter lets gomock run outside a test; a real app passes a data source
// from data instead of a mock.
type reporter struct{}

func (reporter) Errorf(format string, args ...any) { panic(fmt.Sprintf(format, args...)) }
func (reporter) Fatalf(format string, args ...any) { panic(fmt.Sprintf(format, args...)) }

// A notifier over a data source: the UI renders each snapshot it receives.
func ExampleMessagesNotifier() {
	src := domainmock.NewMockChatWebSocketDataSource(gomock.NewController(reporter{}))
	inbound := make(chan domain.Message, 1)
	src.EXPECT().Messages(gomock.Any()).Return(inbound)
	src.EXPECT().ReadReceipts(gomock.Any()).Return(make(chan domain.ReadReceipt))

	n := presentation.NewMessagesNotifier(src, presentation.MessagesOptions{UserID: "alice"})
	defer n.Close()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	changes := n.Changes(ctx)
	<-changes // the current snapshot comes first

	inbound <- domain.Message{ID: "m1", ConversationID: "c1", SenderID: "bob", Content: "hi alice"}
	snap := <-changes
	for _, m := range snap.In("c1") {
		fmt.Printf("%s: %s (%s)\n", m.SenderID, m.Content, m.Status)
	}
	// Output: bob: hi alice (sent)
}

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
