package pusher_test

import (
	"testing"

	"github.com/chatwire/chatwire/core/network"
	"github.com/chatwire/chatwire/core/pusher"
)

// A Soketi restart in the middle of a session: the client reconnects,
// authorizes its channels again for the new socket id, resubscribes, gets a
// fresh presence member list, and sees each later event exactly once.
func TestSoketiRestart(t *testing.T) {
	env := newSoketiEnv(t)
	ctx := testCtx(t)
	c := env.client(t, "token-ann", fastManager())
	states := c.States(ctx)
	if err := c.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	names := []string{"news", "private-conversation.1", "presence-room"}
	chans := map[string]*pusher.Channel{}
	events := map[string]<-chan pusher.Event{}
	for _, name := range names {
		ch, err := c.Subscribe(ctx, name)
		if err != nil {
			t.Fatalf("Subscribe %s: %v", name, err)
		}
		chans[name] = ch
		events[name] = ch.Events(ctx)
	}
	members := chans["presence-room"].MemberEvents(ctx)

	restarts := []struct {
		name    string
		restart func()
		// code is the close code the client sees, 0 for a dropped socket.
		code int
	}{
		{"graceful", func() { _ = env.s.Restart() }, 4200},
		{"crash", func() { env.s.Kill(); _ = env.s.Start() }, 0},
	}
	for _, r := range restarts {
		oldID := c.SocketID()
		authBefore := env.auth.Requests()
		r.restart()

		// The connection dropped for the server's reason...
		for {
			sc := recv(t, states, "state change")
			if sc.State != network.StateReconnecting {
				continue
			}
			// Soketi sends pusher:error 4200 and closes with 4200: either
			// one may be what ended the connection.
			if code, _ := pusher.ErrorCode(sc.Err); r.code != 0 && code != r.code {
				t.Fatalf("%s: dropped with %v, want code %d", r.name, sc.Err, r.code)
			}
			if got := pusher.Classify(sc.Err); r.code == 4200 && got != network.ReconnectNow {
				t.Fatalf("%s: Classify = %v", r.name, got)
			}
			break
		}
		// ...and came back with a new socket id and every channel.
		eventually(t, r.name+": new socket id", func() bool {
			id := c.SocketID()
			return id != "" && id != oldID
		})
		for _, name := range names {
			if err := chans[name].Wait(ctx); err != nil {
				t.Fatalf("%s: %s not resubscribed: %v", r.name, name, err)
			}
		}
		if n := env.auth.Requests() - authBefore; n != 2 {
			t.Fatalf("%s: %d authorizations, want 2 (private and presence, new socket id)", r.name, n)
		}
		for {
			ev := recv(t, members, "member list")
			if ev.Kind == pusher.MembersReplaced {
				if len(ev.Members) != 1 || ev.Members[0].ID != "1" {
					t.Fatalf("%s: members = %+v", r.name, ev.Members)
				}
				break
			}
		}

		// Each event once: the event, then the marker, nothing in between.
		for _, name := range names {
			env.trigger(t, name, "after-"+r.name, `{"n":1}`)
			env.trigger(t, name, "marker", `{}`)
			for _, want := range []string{"after-" + r.name, "marker"} {
				if ev := recv(t, events[name], name+" events"); ev.Event != want {
					t.Fatalf("%s: %s got %q, want %q", r.name, name, ev.Event, want)
				}
			}
		}
	}
}
