package main

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/chatwire/chatwire/domain"
	"github.com/chatwire/chatwire/presentation"
)

// verify checks the delivery guarantees against what every user received
// and what the server stored, prints one check line per guarantee, and
// returns what went wrong.
func (d *demo) verify() []string {
	var problems []string
	fail := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	d.mu.Lock()
	failed := slices.Clone(d.failed)
	d.mu.Unlock()
	for _, err := range failed {
		fail("%v", err)
	}
	d.check(len(failed) == 0, "every send, read, typing and call action succeeded (%d failed)", len(failed))

	sent := d.confirmed()
	convs := map[string][]string{} // conversation → members
	stored := map[string][]domain.Message{}
	for _, m := range sent {
		if _, ok := convs[m.ConversationID]; ok {
			continue
		}
		members, err := d.srv.Members(m.ConversationID)
		if err != nil {
			fail("members of %s: %v", m.ConversationID, err)
			continue
		}
		convs[m.ConversationID] = members
		msgs, err := d.srv.Messages(m.ConversationID)
		if err != nil {
			fail("messages of %s: %v", m.ConversationID, err)
			continue
		}
		for _, sm := range msgs {
			stored[m.ConversationID] = append(stored[m.ConversationID], domain.Message{ID: sm.ID, ClientID: sm.ClientID, SenderID: sm.SenderID})
		}
	}

	// The server stored each confirmed message once (a resend after a drop
	// is matched by its client id, not stored again).
	n0 := len(problems)
	for _, m := range sent {
		copies := 0
		for _, sm := range stored[m.ConversationID] {
			if sm.ClientID == m.ClientID && sm.SenderID == m.SenderID {
				copies++
				if sm.ID != m.ID {
					fail("server stored %q under id %s, the sender was told %s", m.Content, sm.ID, m.ID)
				}
			}
		}
		if copies != 1 {
			fail("server stored %q %d times", m.Content, copies)
		}
	}
	d.check(len(problems) == n0, "the server stored each of the %d confirmed messages exactly once", len(sent))

	// Every member received every confirmed message exactly once.
	n0 = len(problems)
	deliveries := 0
	for _, m := range sent {
		for _, u := range convs[m.ConversationID] {
			got := 0
			for _, r := range d.users[u].rec.messages() {
				if r.ID == m.ID {
					got++
				}
			}
			deliveries += got
			if got != 1 {
				fail("%s received %q %d times", u, m.Content, got)
			}
		}
	}
	d.check(len(problems) == n0, "every confirmed message reached every member exactly once (%d deliveries)", deliveries)

	// Every member received each sender's messages in the order the server
	// stored them.
	n0 = len(problems)
	for convID, members := range convs {
		for _, u := range members {
			got := d.users[u].rec.messages()
			for _, sender := range members {
				want := idsOf(stored[convID], func(m domain.Message) bool { return m.SenderID == sender })
				have := idsOf(got, func(m domain.Message) bool { return m.ConversationID == convID && m.SenderID == sender })
				if !slices.Equal(want, have) {
					fail("%s received %s's messages in %s out of order: %s, want %s",
						u, sender, convID, shortIDs(have), shortIDs(want))
				}
			}
		}
	}
	d.check(len(problems) == n0, "every member received each sender's messages in the order they were sent")
	return problems
}

func idsOf(msgs []domain.Message, keep func(domain.Message) bool) []string {
	var ids []string
	for _, m := range msgs {
		if keep(m) {
			ids = append(ids, m.ID)
		}
	}
	return ids
}

func shortIDs(ids []string) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = short(id)
	}
	return "[" + strings.Join(s, " ") + "]"
}

func (d *demo) check(ok bool, format string, args ...any) {
	verdict := "ok   "
	if !ok {
		verdict = "FAIL "
	}
	d.tr.line("demo", kindCheck, verdict+format, args...)
}

// finalStates prints each user's notifier snapshots as a UI would show them.
func (d *demo) finalStates() {
	for _, id := range []string{alice, bob, carol} {
		u := d.users[id]
		if u.sess == nil {
			continue
		}
		n := u.sess.n
		c := n.Connection.Value()
		d.tr.line(id, kindState, "connection %s, sync %s", c.Status, c.Sync)
		var convs []string
		msgs := n.Messages.Value()
		for _, cv := range n.Conversations.Value().List {
			convs = append(convs, fmt.Sprintf("%s (%d unread, %d messages here)", cv.ID, cv.UnreadCount, len(msgs.In(cv.ID))))
		}
		d.tr.line(id, kindState, "conversations: %s", strings.Join(convs, "; "))
		var own []string
		for convID, list := range msgs.ByConversation {
			counts := map[string]int{}
			for _, m := range list {
				if m.SenderID == id {
					counts[m.Status.String()]++
				}
			}
			var parts []string
			for _, st := range slices.Sorted(maps.Keys(counts)) {
				parts = append(parts, fmt.Sprintf("%d %s", counts[st], st))
			}
			if len(parts) > 0 {
				own = append(own, fmt.Sprintf("%s: %s", convID, strings.Join(parts, ", ")))
			}
		}
		slices.Sort(own)
		d.tr.line(id, kindState, "own messages by status: %s", strings.Join(own, "; "))
		var who []string
		for user, p := range n.Presence.Value().Users {
			who = append(who, user+" "+string(p.Status))
		}
		slices.Sort(who)
		d.tr.line(id, kindState, "presence: %s", strings.Join(who, ", "))
		if call := n.Calls.Value(); call.Phase != presentation.CallIdle {
			d.tr.line(id, kindState, "last call: %s", call.Phase)
		}
	}
}
