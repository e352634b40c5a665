package presentation

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/chatwire/chatwire/domain"
)

func convIDs(c Conversations) []string {
	out := make([]string, len(c.List))
	for i, x := range c.List {
		out[i] = x.ID
	}
	return out
}

func intp(i int) *int { return &i }

func newConversations(t *testing.T) (*source, *ConversationsNotifier, <-chan Conversations) {
	src := newSource(t)
	n := NewConversationsNotifier(src, ConversationsOptions{Clock: src.clock})
	t.Cleanup(n.Close)
	return src, n, n.Changes(t.Context())
}

func TestConversationsCreatedAndSortedByActivity(t *testing.T) {
	src, _, changes := newConversations(t)
	src.updates.push(t,
		domain.ConversationUpdate{ConversationID: "old", Action: domain.ConversationCreated, Title: "Old",
			ParticipantIDs: []string{me, "u2"}, UpdatedAt: t0.Add(-time.Hour), UnreadCount: intp(2)},
		domain.ConversationUpdate{ConversationID: "new", Action: domain.ConversationCreated, Title: "New",
			UpdatedAt: t0.Add(-time.Minute)},
	)
	v := waitFor(t, changes, "two conversations", func(c Conversations) bool { return len(c.List) == 2 })
	if got := convIDs(v); !slices.Equal(got, []string{"new", "old"}) {
		t.Fatalf("order = %v", got)
	}
	old, _ := v.Get("old")
	if old.Title != "Old" || old.UnreadCount != 2 || !slices.Equal(old.ParticipantIDs, []string{me, "u2"}) {
		t.Fatalf("old = %+v", old)
	}
	// A message in the old conversation moves it to the top.
	src.messages.push(t, msg("m1", "old", "u2", 0))
	v = waitFor(t, changes, "message", func(c Conversations) bool { return c.List[0].ID == "old" })
	old = v.List[0]
	if old.LastMessage == nil || old.LastMessage.ID != "m1" || old.UnreadCount != 3 || !old.LastActivity.Equal(t0) {
		t.Fatalf("after message: %+v", old)
	}
	if v.TotalUnread() != 3 {
		t.Fatalf("total unread = %d", v.TotalUnread())
	}
}

func TestConversationsUnreadCounting(t *testing.T) {
	src, _, changes := newConversations(t)
	src.messages.push(t,
		msg("m1", "c1", "u2", 1*time.Second),
		msg("m1", "c1", "u2", 1*time.Second), // a replay: counted once
		msg("m2", "c1", me, 2*time.Second),   // own: preview only
		msg("m3", "c1", "u3", 3*time.Second),
	)
	v := waitFor(t, changes, "m3", func(c Conversations) bool {
		x, ok := c.Get("c1")
		return ok && x.LastMessage.ID == "m3"
	})
	if x, _ := v.Get("c1"); x.UnreadCount != 2 {
		t.Fatalf("unread = %d, want 2", x.UnreadCount)
	}
	// An older message does not replace the preview.
	src.messages.push(t, msg("m0", "c1", "u2", 0))
	v = waitFor(t, changes, "m0 counted", func(c Conversations) bool { x, _ := c.Get("c1"); return x.UnreadCount == 3 })
	if x, _ := v.Get("c1"); x.LastMessage.ID != "m3" {
		t.Fatalf("preview = %s, want m3", x.LastMessage.ID)
	}
	// The server's count is authoritative.
	src.updates.push(t, domain.ConversationUpdate{ConversationID: "c1", Action: domain.ConversationUpdated, UnreadCount: intp(0)})
	v = waitFor(t, changes, "count reset", func(c Conversations) bool { x, _ := c.Get("c1"); return x.UnreadCount == 0 })
	if x, _ := v.Get("c1"); x.LastMessage.ID != "m3" {
		t.Fatal("an update without last_message dropped the preview")
	}
}

func TestConversationsMarkRead(t *testing.T) {
	src, n, changes := newConversations(t)
	src.updates.push(t, domain.ConversationUpdate{ConversationID: "c1", Action: domain.ConversationCreated, UnreadCount: intp(4)})
	waitFor(t, changes, "created", func(c Conversations) bool { return len(c.List) == 1 })

	src.EXPECT().MarkRead(gomock_any(), "c1", "m9").Return(domain.ErrNotConnected)
	if err := n.MarkRead(t.Context(), "c1", "m9"); !errors.Is(err, domain.ErrNotConnected) {
		t.Fatalf("MarkRead = %v", err)
	}
	if x, _ := n.Value().Get("c1"); x.UnreadCount != 4 {
		t.Fatal("a failed MarkRead reset the count")
	}
	src.EXPECT().MarkRead(gomock_any(), "c1", "m9").Return(nil)
	if err := n.MarkRead(t.Context(), "c1", "m9"); err != nil {
		t.Fatal(err)
	}
	if x, _ := n.Value().Get("c1"); x.UnreadCount != 0 {
		t.Fatalf("unread after MarkRead = %d", x.UnreadCount)
	}
	if err := n.MarkRead(t.Context(), "", "m1"); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("MarkRead without conversation = %v", err)
	}
}

func TestConversationsMembersAndDeletion(t *testing.T) {
	src, _, changes := newConversations(t)
	src.updates.push(t,
		domain.ConversationUpdate{ConversationID: "c1", Action: domain.ConversationCreated, Title: "T", ParticipantIDs: []string{me, "u2"}},
		domain.ConversationUpdate{ConversationID: "c1", Action: domain.ConversationMemberAdded, ParticipantIDs: []string{me, "u2", "u3"}},
		domain.ConversationUpdate{ConversationID: "c1", Action: domain.ConversationMemberRemoved, ParticipantIDs: []string{me, "u3"}},
		domain.ConversationUpdate{ConversationID: "c1", Action: domain.ConversationUpdated, Title: "Renamed"},
	)
	v := waitFor(t, changes, "renamed", func(c Conversations) bool { x, _ := c.Get("c1"); return x.Title == "Renamed" })
	if x, _ := v.Get("c1"); !slices.Equal(x.ParticipantIDs, []string{me, "u3"}) || x.Title != "Renamed" {
		t.Fatalf("c1 = %+v, want members [me u3] (an update without a list keeps it)", x)
	}
	src.updates.push(t,
		domain.ConversationUpdate{ConversationID: "c2", Action: domain.ConversationCreated},
		domain.ConversationUpdate{ConversationID: "c3", Action: domain.ConversationCreated},
		domain.ConversationUpdate{ConversationID: "c1", Action: domain.ConversationDeleted},
		domain.ConversationUpdate{ConversationID: "c3", Action: domain.ConversationMemberRemoved}, // no list: kept
		domain.ConversationUpdate{ConversationID: "c2", Action: domain.ConversationMemberRemoved, ParticipantIDs: []string{"u2"}},
		domain.ConversationUpdate{ConversationID: "c4", Action: domain.ConversationCreated},
	)
	v = waitFor(t, changes, "c4", func(c Conversations) bool { _, ok := c.Get("c4"); return ok })
	got := convIDs(v)
	slices.Sort(got)
	if !slices.Equal(got, []string{"c3", "c4"}) {
		t.Fatalf("conversations = %v, want c3 and c4 (c1 deleted, me removed from c2)", got)
	}
}
