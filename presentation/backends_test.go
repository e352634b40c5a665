package presentation_test

import (
	"context"
	"testing"
	"time"

	"github.com/chatwire/chatwire/core/pusher/pushertest"
	"github.com/chatwire/chatwire/data"
	"github.com/chatwire/chatwire/data/chattest"
	"github.com/chatwire/chatwire/data/laravel"
	"github.com/chatwire/chatwire/domain"
	"github.com/chatwire/chatwire/presentation"
)

const backendWait = 15 * time.Second // guards against deadlocks only

// A pair of users connected to one backend: "me" and "peer".
type backendPair struct {
	me, peer     domain.ChatWebSocketDataSource
	meID, peerID string
}

// envelopePair connects two users to the reference server over sockets.
func envelopePair(t *testing.T) backendPair {
	srv := chattest.NewServer(chattest.Options{})
	t.Cleanup(srv.Close)
	if err := srv.CreateConversation("c1", "Pair", "alice", "bob"); err != nil { // statuses go to contacts
		t.Fatal(err)
	}
	connect := func(user string) domain.ChatWebSocketDataSource {
		src, err := data.New(data.Options{BaseURL: srv.URL,
			TokenSource: func(context.Context) (string, error) { return srv.IssueToken(user), nil }})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = src.Close() })
		return src
	}
	return backendPair{me: connect("alice"), peer: connect("bob"), meID: "alice", peerID: "bob"}
}

// pusherPair connects two users to a real Soketi, authorized by an
// in-process Laravel-style auth endpoint, over the presence channel.
func pusherPair(t *testing.T) backendPair {
	s := pushertest.StartSoketi(t, pushertest.SoketiOptions{})
	auth := pushertest.NewAuthServer(t, s.Key, s.Secret)
	auth.AddUser("token-1", pushertest.User{ID: "1"})
	auth.AddUser("token-2", pushertest.User{ID: "2"})
	connect := func(user string) domain.ChatWebSocketDataSource {
		src, err := laravel.New(laravel.Options{Host: s.Host(), Key: s.Key,
			AuthEndpoint: auth.Endpoint(), UserID: user, Conversations: []string{"7"}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = src.Close() })
		return src
	}
	return backendPair{me: connect("1"), peer: connect("2"), meID: "1", peerID: "2"}
}

// Presence means the same on both backends: the other user online, this
// user not in the snapshot, though a Pusher presence channel lists every
// member, this user included.
func TestPresenceMeansTheSameOnBothBackends(t *testing.T) {
	for _, b := range []struct {
		name  string
		pair  func(*testing.T) backendPair
		token func(id string) string
	}{
		{"envelope", envelopePair, func(string) string { return "" }},
		{"pusher", pusherPair, func(id string) string { return "token-" + id }},
	} {
		t.Run(b.name, func(t *testing.T) {
			p := b.pair(t)
			n := presentation.NewPresenceNotifier(p.me, presentation.PresenceOptions{})
			defer n.Close()
			ctx, cancel := context.WithTimeout(context.Background(), backendWait)
			defer cancel()
			if err := p.me.Connect(ctx, b.token(p.meID)); err != nil {
				t.Fatal(err)
			}
			if err := p.peer.Connect(ctx, b.token(p.peerID)); err != nil {
				t.Fatal(err)
			}
			for v := range n.Changes(ctx) {
				if u, ok := v.Of(p.peerID); ok && u.Status == domain.StatusOnline {
					break
				}
			}
			if ctx.Err() != nil {
				t.Fatalf("%s never seen online", p.peerID)
			}
			if _, ok := n.Value().Of(p.meID); ok {
				t.Fatalf("this user (%s) is in the presence snapshot: %+v", p.meID, n.Value().Users)
			}
		})
	}
}
