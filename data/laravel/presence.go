package laravel

import (
	"slices"
	"time"

	"github.com/chatwire/chatwire/core/pusher"
	"github.com/chatwire/chatwire/domain"
)

// onPresence folds the presence channel's member changes into
// UserStatuses. It reads what the protocol client made of the frame
// (Frame.MemberEvents), not the frame itself: a member in their grace
// period is still online, and a full list after a resubscription reports
// only who came or went meanwhile.
func (s *DataSource) onPresence(f pusher.Frame, now time.Time) {
	var online, offline []string
	s.mu.Lock()
	for _, ev := range f.MemberEvents {
		switch ev.Kind {
		case pusher.MembersReplaced:
			next := make(map[string]bool, len(ev.Members))
			for _, m := range ev.Members {
				next[m.ID] = true
				if !s.members[m.ID] {
					online = append(online, m.ID)
				}
			}
			for id := range s.members {
				if !next[id] {
					offline = append(offline, id)
				}
			}
			s.members = next
		case pusher.MemberAdded:
			if !s.members[ev.Member.ID] {
				s.members[ev.Member.ID] = true
				online = append(online, ev.Member.ID)
			}
		case pusher.MemberRemoved:
			if s.members[ev.Member.ID] {
				delete(s.members, ev.Member.ID)
				offline = append(offline, ev.Member.ID)
			}
		}
	}
	s.mu.Unlock()
	slices.Sort(online)
	slices.Sort(offline)
	for _, id := range online {
		s.hub.Publish(domain.UserStatusUpdate{UserID: id, Status: domain.StatusOnline})
	}
	for _, id := range offline {
		s.hub.Publish(domain.UserStatusUpdate{UserID: id, Status: domain.StatusOffline, LastSeen: now})
	}
}

// Members returns the user ids online on the presence channel, sorted.
// After Connect returns they are the members the subscription delivered.
func (s *DataSource) Members() []string {
	ch, ok := s.client.Channel(s.opts.PresenceChannel)
	if !ok || s.opts.DisablePresence {
		return nil
	}
	members := ch.Members()
	ids := make([]string, len(members))
	for i, m := range members {
		ids[i] = m.ID
	}
	return ids
}
