package presentation

import (
	"testing"
	"time"

	"github.com/chatwire/chatwire/domain"
	"github.com/chatwire/chatwire/domain/domaintest"
)

func TestPresence(t *testing.T) {
	src := newSource(t)
	n := NewPresenceNotifier(src, PresenceOptions{Clock: src.clock})
	defer n.Close()
	changes := n.Changes(t.Context())
	seen := t0.Add(-time.Hour)
	src.statuses.push(t,
		domain.UserStatusUpdate{UserID: "u2", Status: domain.StatusOnline},
		domain.UserStatusUpdate{UserID: "u3", Status: domain.StatusOffline, LastSeen: seen},
		domain.UserStatusUpdate{UserID: "", Status: domain.StatusOnline}, // ignored
	)
	v := waitFor(t, changes, "two users", func(p Presence) bool { return len(p.Users) == 2 })
	if u, ok := v.Of("u2"); !ok || u.Status != domain.StatusOnline || !u.LastSeen.IsZero() {
		t.Fatalf("u2 = %+v", u)
	}
	if u, _ := v.Of("u3"); u.Status != domain.StatusOffline || !u.LastSeen.Equal(seen) {
		t.Fatalf("u3 = %+v", u)
	}
	if _, ok := v.Of("nobody"); ok {
		t.Fatal("unknown user reported as known")
	}

	src.clock.Advance(time.Minute)
	src.statuses.push(t, domain.UserStatusUpdate{UserID: "u2", Status: domain.StatusAway})
	waitFor(t, changes, "u2 away", func(p Presence) bool { u, _ := p.Of("u2"); return u.Status == domain.StatusAway })
	src.statuses.push(t, domain.UserStatusUpdate{UserID: "u2", Status: domain.StatusOffline})
	v = waitFor(t, changes, "u2 offline", func(p Presence) bool { u, _ := p.Of("u2"); return u.Status == domain.StatusOffline })
	if u, _ := v.Of("u2"); !u.LastSeen.Equal(t0.Add(time.Minute)) {
		t.Fatalf("u2 went offline without a server time: last seen %v, want the clock's %v", u.LastSeen, t0.Add(time.Minute))
	}
	n.Close()
	assertClosed(t, changes)
}

// Presence means the same on every backend: this user is never in the
// snapshot, though a Pusher presence channel reports them as a member.
func TestPresenceLeavesThisUserOut(t *testing.T) {
	src := newFake(t, domaintest.Options{})
	n := NewPresenceNotifier(src, PresenceOptions{}) // this user from the connection state
	t.Cleanup(n.Close)
	ev := n.Events(t.Context())
	src.Push(domain.UserStatusUpdate{UserID: me, Status: domain.StatusOnline})
	src.Push(domain.UserStatusUpdate{UserID: "bob", Status: domain.StatusOnline})
	if e := next(t, ev); e.UserID != "bob" {
		t.Fatalf("first presence event is about %q, want bob", e.UserID)
	}
	if _, ok := n.Value().Of(me); ok || len(n.Value().Users) != 1 {
		t.Fatalf("presence = %+v, want bob only", n.Value().Users)
	}
}
