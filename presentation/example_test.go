package presentation_test

import (
	"context"
	"fmt"

	"github.com/chatwire/chatwire/domain"
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

// Every notifier of one data source, connected with a token source and
// closed together.
func ExampleNewNotifiers() {
	src := domainmock.NewMockChatWebSocketDataSource(gomock.NewController(reporter{}))
	state := domain.ConnectionState{Status: domain.Disconnected}
	src.EXPECT().ConnectionState().DoAndReturn(func() domain.ConnectionState { return state }).AnyTimes()
	src.EXPECT().Connect(gomock.Any(), "token-from-your-backend").DoAndReturn(func(context.Context, string) error {
		state = domain.ConnectionState{Status: domain.Connected, UserID: "alice"}
		return nil
	})
	// Streams that never deliver, for brevity.
	src.EXPECT().ConnectionStates(gomock.Any()).Return(nil)
	src.EXPECT().Errors(gomock.Any()).Return(nil)
	src.EXPECT().Messages(gomock.Any()).Return(nil).Times(3)
	src.EXPECT().ReadReceipts(gomock.Any()).Return(nil)
	src.EXPECT().ConversationUpdates(gomock.Any()).Return(nil)
	src.EXPECT().Typing(gomock.Any()).Return(nil)
	src.EXPECT().UserStatuses(gomock.Any()).Return(nil)
	src.EXPECT().Calls(gomock.Any()).Return(nil)

	ns := presentation.NewNotifiers(src, presentation.NotifiersOptions{
		TokenSource: func(context.Context) (string, error) { return "token-from-your-backend", nil },
	})
	defer ns.Close()

	if err := ns.Start(context.Background()); err != nil {
		fmt.Println("connect:", err)
		return
	}
	c := ns.Connection.Value()
	fmt.Println(c.Status, c.UserID, ns.Calls.Value().Phase)
	// Output: connected alice idle
}
