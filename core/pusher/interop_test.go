package pusher_test

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/chatwire/chatwire/core/pusher"
	"github.com/chatwire/chatwire/core/pusher/pushertest"
)

// A Go client and a pusher-js client (node) on the same Soketi channels
// see the same events and members, and each other's whispers; on an
// encrypted channel both decrypt the backend's event alike.
func TestInteropWithPusherJS(t *testing.T) {
	env := newSoketiEnv(t)
	env.auth.EncryptWith(env.s.EncryptionMasterKey)
	js := pushertest.StartPusherJS(t, pushertest.PusherJSOptions{Host: env.s.Host(), Key: env.s.Key, AuthEndpoint: env.auth.Endpoint(), Token: "token-bob"})
	ctx := testCtx(t)
	next := func(what string, match func(pushertest.JSMessage) bool) pushertest.JSMessage {
		t.Helper()
		m, err := js.Next(ctx, match)
		if err != nil {
			t.Fatalf("pusher-js %s: %v", what, err)
		}
		return m
	}
	next("connected", func(m pushertest.JSMessage) bool { return m.Type == "connected" })

	c := env.client(t, "token-ann", fastManager())
	if err := c.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	room, err := c.Subscribe(ctx, "presence-room")
	if err != nil {
		t.Fatal(err)
	}
	goEvents := room.Events(ctx)
	goMembers := room.MemberEvents(ctx)

	if err := js.Send(map[string]any{"op": "subscribe", "channel": "presence-room"}); err != nil {
		t.Fatal(err)
	}
	sub := next("subscribed", func(m pushertest.JSMessage) bool { return m.Type == "subscribed" && m.Channel == "presence-room" })
	if !slices.Equal(sub.Members, []string{"1", "2"}) {
		t.Fatalf("pusher-js members %v, want [1 2]", sub.Members)
	}
	if ev := recv(t, goMembers, "member added"); ev.Kind != pusher.MemberAdded || ev.Member.ID != "2" {
		t.Fatalf("Go member event %+v", ev)
	}
	var ids []string
	for _, m := range room.Members() {
		ids = append(ids, m.ID)
	}
	if !slices.Equal(ids, sub.Members) {
		t.Fatalf("Go members %v, pusher-js members %v", ids, sub.Members)
	}

	// A backend event reaches both, with the same data.
	env.trigger(t, "presence-room", `App\Events\MessageSent`, `{"id":"m1","body":"héllo \"both\""}`)
	goEv := recvEvent(t, goEvents, `App\Events\MessageSent`)
	jsEv := next("event", func(m pushertest.JSMessage) bool { return m.Type == "event" && m.Event == `App\Events\MessageSent` })
	sameJSON(t, goEv.Data, jsEv.Data)

	// Whispers both ways, stamped with the sender on a presence channel.
	if err := room.Trigger(ctx, "client-typing", map[string]any{"typing": true}); err != nil {
		t.Fatal(err)
	}
	w := next("whisper from Go", func(m pushertest.JSMessage) bool { return m.Type == "event" && m.Event == "client-typing" })
	if w.UserID != "1" {
		t.Fatalf("pusher-js saw the whisper from %q, want 1", w.UserID)
	}
	sameJSON(t, w.Data, json.RawMessage(`{"typing":true}`))
	if err := js.Send(map[string]any{"op": "whisper", "channel": "presence-room", "event": "client-typing", "data": map[string]any{"typing": false}}); err != nil {
		t.Fatal(err)
	}
	if ev := recvEvent(t, goEvents, "client-typing"); ev.UserID != "2" || string(ev.Data) != `{"typing":false}` {
		t.Fatalf("Go saw the whisper %+v", ev)
	}

	// Encrypted: both decrypt the same event.
	vault, err := c.Subscribe(ctx, "private-encrypted-vault")
	if err != nil {
		t.Fatal(err)
	}
	vaultEvents := vault.Events(ctx)
	if err := js.Send(map[string]any{"op": "subscribe", "channel": "private-encrypted-vault"}); err != nil {
		t.Fatal(err)
	}
	next("subscribed vault", func(m pushertest.JSMessage) bool {
		return m.Type == "subscribed" && m.Channel == "private-encrypted-vault"
	})
	env.trigger(t, "private-encrypted-vault", "secret", `{"code":"1234"}`)
	goSecret := recvEvent(t, vaultEvents, "secret")
	jsSecret := next("secret", func(m pushertest.JSMessage) bool { return m.Type == "event" && m.Event == "secret" })
	sameJSON(t, goSecret.Data, jsSecret.Data)

	// pusher-js leaves: Go sees the member go.
	if err := js.Send(map[string]any{"op": "unsubscribe", "channel": "presence-room"}); err != nil {
		t.Fatal(err)
	}
	if ev := recv(t, goMembers, "member removed"); ev.Kind != pusher.MemberRemoved || ev.Member.ID != "2" {
		t.Fatalf("Go member event %+v", ev)
	}
}

// sameJSON fails unless a and b hold the same JSON value.
func sameJSON(t *testing.T, a, b json.RawMessage) {
	t.Helper()
	var va, vb any
	if err := json.Unmarshal(a, &va); err != nil {
		t.Fatalf("%s: %v", a, err)
	}
	if err := json.Unmarshal(b, &vb); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	ja, _ := json.Marshal(va)
	jb, _ := json.Marshal(vb)
	if string(ja) != string(jb) {
		t.Fatalf("Go saw %s, pusher-js saw %s", a, b)
	}
}
