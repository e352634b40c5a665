package laravel_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log"

	"github.com/chatwire/chatwire/data/laravel"
	"github.com/chatwire/chatwire/domain"
	"github.com/chatwire/chatwire/presentation"
)

// Wiring a Laravel app that broadcasts through Reverb: channels are signed
// by /broadcasting/auth, messages are stored through the app's JSON API,
// and the presentation notifiers sit on top as with any data source.
func ExampleNew() {
	src, err := laravel.New(laravel.Options{
		Host: "ws.app.example:443", Key: "reverb-app-key", TLS: true,
		AuthEndpoint:  "https://app.example/broadcasting/auth",
		API:           laravel.HTTPBackendOptions{BaseURL: "https://app.example"},
		TokenSource:   func(ctx context.Context) (string, error) { return "fresh-token", nil },
		UserID:        "42",
		UserName:      "Ann",
		Conversations: []string{"7", "9"},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer src.Close()

	notifiers := presentation.NewNotifiers(src, presentation.NotifiersOptions{UserID: "42"})
	defer notifiers.Close()

	ctx := context.Background()
	if err := src.Connect(ctx, "access-token"); err != nil {
		log.Fatal(err)
	}
	_ = src.Join(ctx, "12") // a conversation opened later
	_ = notifiers.Typing.Keystroke(ctx, "7")
}

// Mapping the app's own events: start from the defaults, add a
// broadcastAs name, and decode a payload shape of one's own.
func ExampleDefaultEvents() {
	events := laravel.DefaultEvents()
	// broadcastAs() 'message.edited' arrives as "message.edited"; in Echo
	// one listens for '.message.edited'.
	events[".message.edited"] = laravel.DecodeMessage
	// A payload the defaults do not know: {"post": {...}} → a message.
	events["PostPublished"] = func(ev laravel.Event) (domain.Event, error) {
		var p struct {
			Post struct {
				ID     int    `json:"id"`
				Author int    `json:"author_id"`
				Title  string `json:"title"`
			} `json:"post"`
		}
		if err := json.Unmarshal(ev.Data, &p); err != nil {
			return nil, err
		}
		return domain.Message{
			ID: fmt.Sprint("post-", p.Post.ID), ConversationID: ev.ConversationID,
			SenderID: fmt.Sprint(p.Post.Author), Content: p.Post.Title, Kind: domain.KindSystem,
		}, nil
	}
	src, err := laravel.New(laravel.Options{
		Host: "127.0.0.1:6001", Key: "app-key",
		AuthEndpoint: "http://127.0.0.1:8000/broadcasting/auth",
		UserID:       "1",
		Events:       events,
	})
	fmt.Println("options accepted:", err == nil)
	if err == nil {
		_ = src.Close()
	}

	// What a decoder makes of a Laravel payload: the public $message
	// property of App\Events\MessageSent, ids as numbers.
	ev, err := laravel.DecodeMessage(laravel.Event{
		ConversationID: "7",
		Data:           json.RawMessage(`{"message":{"id":501,"user_id":2,"body":"Hello","created_at":"2026-05-01T10:00:00.000000Z"}}`),
	})
	if err != nil {
		log.Fatal(err)
	}
	m := ev.(domain.Message)
	fmt.Println(m.ID, m.ConversationID, m.SenderID, m.Content, m.Kind, m.CreatedAt.Format("15:04"))
	// Output:
	// options accepted: true
	// 501 7 2 Hello text 10:00
}

// Laravel Echo's vocabulary in Go: any channel, any event, several presence
// channels, whispers and notifications, on the data source's one
// connection.
func ExampleDataSource_JoinPresence() {
	src, err := laravel.New(laravel.Options{
		Host: "127.0.0.1:8080", Key: "reverb-app-key",
		AuthEndpoint: "http://127.0.0.1:8000/broadcasting/auth",
		UserID:       "42",
	})
	if err != nil {
		log.Fatal(err)
	}
	defer src.Close()
	ctx := context.Background()
	if err := src.Connect(ctx, "access-token"); err != nil {
		log.Fatal(err)
	}

	// Echo.join('room.1').here(...).joining(...).leaving(...)
	room := src.JoinPresence("room.1")
	joining, leaving := room.Joining(ctx), room.Leaving(ctx)
	if err := room.Subscribe(ctx); err != nil {
		log.Fatal(err)
	}
	fmt.Println("here:", room.Members())

	// Echo.private('orders.7').listen('OrderShipped', ...)
	orders := src.Private("orders.7")
	shipped := orders.Listen(ctx, "OrderShipped") // App\Events\OrderShipped
	typing := orders.ListenForWhisper(ctx, "typing")
	_ = orders.Whisper(ctx, "typing", map[string]any{"name": "Ann"})

	// Echo.private('App.Models.User.42').notification(...)
	notes := src.Private("App.Models.User.42").Notification(ctx)

	for {
		select {
		case m := <-joining:
			fmt.Println("joined:", m.ID)
		case m := <-leaving:
			fmt.Println("left:", m.ID)
		case ev := <-shipped:
			fmt.Println("shipped:", string(ev.Data))
		case ev := <-typing:
			fmt.Println("typing:", ev.UserID)
		case ev := <-notes:
			fmt.Println("notification:", string(ev.Data))
		}
	}
}
