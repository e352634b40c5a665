package laravel_test

import (
	"slices"
	"testing"

	"github.com/chatwire/chatwire/core/pusher"
	"github.com/chatwire/chatwire/data/laravel"
	"github.com/chatwire/chatwire/domain"
)

func memberIDs(ms []pusher.Member) []string {
	ids := make([]string, len(ms))
	for i, m := range ms {
		ids[i] = m.ID
	}
	return ids
}

// Laravel Echo's vocabulary against Soketi: any channel, any event, typed
// where a decoder knows it; whispers; notifications; several presence
// channels at once with here, joining and leaving; encrypted channels;
// leave.
func TestEchoVocabulary(t *testing.T) {
	app := newLaravelApp(t)
	app.auth.EncryptWith(app.s.EncryptionMasterKey)
	ann := app.connect(t, "token-ann", nil)
	bob := app.connect(t, "token-bob", nil)
	ctx := testCtx(t)

	t.Run("listen on any channel, typed where known", func(t *testing.T) {
		orders := ann.Private("orders.7")
		shipped := orders.Listen(ctx, "OrderShipped")
		sent := orders.Listen(ctx, ".message.sent")
		if err := orders.Subscribe(ctx); err != nil {
			t.Fatalf("Subscribe: %v", err)
		}
		app.trigger(t, "private-orders.7", `App\Events\OrderShipped`, `{"order_id":7}`)
		ev := recv(t, shipped, "OrderShipped")
		if ev.Event != `App\Events\OrderShipped` || string(ev.Data) != `{"order_id":7}` || ev.Typed != nil || ev.Channel != "private-orders.7" {
			t.Fatalf("event %+v", ev)
		}
		app.trigger(t, "private-orders.7", "message.sent", `{"id":"m-7","conversation_id":"7","user_id":"2","body":"hi"}`)
		ev = recv(t, sent, "message.sent")
		if m, ok := ev.Typed.(domain.Message); !ok || m.ID != "m-7" || m.Content != "hi" {
			t.Fatalf("typed %#v", ev.Typed)
		}
	})

	t.Run("whispers", func(t *testing.T) {
		whispers := ann.Private("orders.7").ListenForWhisper(ctx, "typing")
		bobOrders := bob.Private("orders.7")
		if err := bobOrders.Subscribe(ctx); err != nil {
			t.Fatal(err)
		}
		if err := bobOrders.Whisper(ctx, "typing", map[string]any{"name": "Bob"}); err != nil {
			t.Fatalf("Whisper: %v", err)
		}
		if ev := recv(t, whispers, "whisper"); ev.Event != "client-typing" || string(ev.Data) != `{"name":"Bob"}` {
			t.Fatalf("whisper %+v", ev)
		}
	})

	t.Run("notifications", func(t *testing.T) {
		user := ann.Private("App.Models.User.1")
		notes := user.Notification(ctx)
		if err := user.Subscribe(ctx); err != nil {
			t.Fatal(err)
		}
		app.trigger(t, "private-App.Models.User.1", laravel.NotificationEvent, `{"id":"n1","type":"App\\Notifications\\InvoicePaid"}`)
		if ev := recv(t, notes, "notification"); ev.Event != laravel.NotificationEvent {
			t.Fatalf("notification %+v", ev)
		}
	})

	t.Run("several presence channels", func(t *testing.T) {
		room1, room2 := ann.JoinPresence("room.1"), ann.JoinPresence("room.2")
		joining1, leaving1, joining2 := room1.Joining(ctx), room1.Leaving(ctx), room2.Joining(ctx)
		here1 := room1.Here(ctx)
		for _, p := range []*laravel.PresenceChannel{room1, room2} {
			if err := p.Subscribe(ctx); err != nil {
				t.Fatalf("%s: %v", p.Name(), err)
			}
			if got := memberIDs(p.Members()); !slices.Equal(got, []string{"1"}) {
				t.Fatalf("%s members %v right after Subscribe", p.Name(), got)
			}
		}
		if got := memberIDs(recv(t, here1, "here")); !slices.Equal(got, []string{"1"}) {
			t.Fatalf("here %v", got)
		}
		if err := bob.JoinPresence("room.1").Subscribe(ctx); err != nil {
			t.Fatal(err)
		}
		if m := recv(t, joining1, "joining"); m.ID != "2" || string(m.Info) != `{"name":"Bob"}` {
			t.Fatalf("joining %+v", m)
		}
		if err := bob.LeaveChannel(ctx, "room.1"); err != nil {
			t.Fatal(err)
		}
		if m := recv(t, leaving1, "leaving"); m.ID != "2" {
			t.Fatalf("leaving %+v", m)
		}
		if got := memberIDs(room1.Members()); !slices.Equal(got, []string{"1"}) {
			t.Fatalf("room.1 members %v after bob left", got)
		}
		select {
		case m := <-joining2:
			t.Fatalf("room.2 saw %+v join", m)
		default:
		}
	})

	t.Run("encrypted channel", func(t *testing.T) {
		vault := ann.EncryptedPrivate("vault")
		secrets := vault.Listen(ctx, ".secret")
		if err := vault.Subscribe(ctx); err != nil {
			t.Fatal(err)
		}
		app.trigger(t, "private-encrypted-vault", "secret", `{"code":"1234"}`)
		if ev := recv(t, secrets, "secret"); string(ev.Data) != `{"code":"1234"}` {
			t.Fatalf("decrypted %s", ev.Data)
		}
	})

	t.Run("leave closes the listeners", func(t *testing.T) {
		ch := ann.Channel("news")
		all := ch.ListenToAll(ctx)
		if err := ch.Subscribe(ctx); err != nil {
			t.Fatal(err)
		}
		app.trigger(t, "news", "headline", `{"t":"x"}`)
		if ev := recv(t, all, "headline"); ev.Event != "headline" {
			t.Fatalf("event %+v", ev)
		}
		if err := ann.LeaveChannel(ctx, "news"); err != nil {
			t.Fatal(err)
		}
		for range all { // closes: the loop ends
		}
	})
}
