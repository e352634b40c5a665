package laravel

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/chatwire/chatwire/core/pusher"
	"github.com/chatwire/chatwire/domain"
)

// onPresence folds the presence channel's member list into UserStatuses:
// the list a (re)subscription delivers replaces the known one, so a
// reconnect reports only who came or went meanwhile. A malformed member
// frame is skipped here: the protocol client reports it, once.
func (s *DataSource) onPresence(f pusher.Frame, now time.Time) {
	var online, offline []string
	switch f.Event {
	case pusher.EventSubscriptionSucceeded:
		ids, err := presenceIDs(f.Payload())
		if err != nil {
			return
		}
		s.mu.Lock()
		next := make(map[string]bool, len(ids))
		for _, id := range ids {
			next[id] = true
			if !s.members[id] {
				online = append(online, id)
			}
		}
		for id := range s.members {
			if !next[id] {
				offline = append(offline, id)
			}
		}
		s.members = next
		s.mu.Unlock()
	case pusher.EventMemberAdded, pusher.EventMemberRemoved:
		id, err := memberID(f.Payload())
		if err != nil {
			return
		}
		s.mu.Lock()
		was := s.members[id]
		if f.Event == pusher.EventMemberAdded && !was {
			s.members[id] = true
			online = append(online, id)
		} else if f.Event == pusher.EventMemberRemoved && was {
			delete(s.members, id)
			offline = append(offline, id)
		}
		s.mu.Unlock()
	}
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

// presenceIDs reads the member ids of a presence subscription_succeeded:
// {"presence":{"ids":[...],"hash":{id: info},"count":n}}.
func presenceIDs(data json.RawMessage) ([]string, error) {
	var d struct {
		Presence struct {
			IDs  []json.RawMessage          `json:"ids"`
			Hash map[string]json.RawMessage `json:"hash"`
		} `json:"presence"`
	}
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var ids []string
	for id := range d.Presence.Hash {
		if id != "" && !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	for _, raw := range d.Presence.IDs {
		id, err := flexString(raw)
		if err != nil {
			return nil, fmt.Errorf("presence.ids: %w", err)
		}
		if id != "" && !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	return ids, nil
}

// memberID reads the user_id of member_added and member_removed.
func memberID(data json.RawMessage) (string, error) {
	var d struct {
		UserID json.RawMessage `json:"user_id"`
	}
	if err := json.Unmarshal(data, &d); err != nil {
		return "", err
	}
	id, err := flexString(d.UserID)
	if err != nil || id == "" {
		return "", errors.New("no valid user_id")
	}
	return id, nil
}

// membersOf reads the member list of a presence subscription_succeeded,
// with each member's info, sorted by id.
func membersOf(data json.RawMessage) ([]pusher.Member, error) {
	var d struct {
		Presence struct {
			Hash map[string]json.RawMessage `json:"hash"`
		} `json:"presence"`
	}
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, err
	}
	ids, err := presenceIDs(data)
	if err != nil {
		return nil, err
	}
	slices.Sort(ids)
	members := make([]pusher.Member, len(ids))
	for i, id := range ids {
		members[i] = pusher.Member{ID: id}
		if info := d.Presence.Hash[id]; len(info) > 0 && string(info) != "null" {
			members[i].Info = info
		}
	}
	return members, nil
}
