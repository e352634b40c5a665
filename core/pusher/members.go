package pusher

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/chatwire/chatwire/core/clock"
)

// Presence member lists across node failures.
//
// A node of a cluster that dies sends no member_removed for its members,
// and those who were on it reconnect elsewhere, where the server announces
// them again with member_added. Two rules keep a member list true through
// that without showing the living leaving and coming back:
//
//   - grace: a member who leaves (member_removed, or missing from a fresh
//     list) stays listed for Options.PresenceGrace; a member_added or a
//     fresh list that holds them meanwhile cancels it, else MemberRemoved
//     is reported when it runs out. Grace periods run only while the
//     channel is subscribed: after a reconnect, the new list decides.
//   - refresh: a subscribed presence channel's list is fetched again every
//     Options.PresenceRefresh, and sooner (ReconnectDelay plus up to 100%
//     jitter, within half a grace period) after a known member joins again,
//     the sign that a node was lost, and after a member_removed. A fresh list is a repeated pusher:subscribe on the same socket
//     with the same signature, which Soketi answers with
//     subscription_succeeded and the current members, announcing nothing
//     to the others. Who is missing from it starts a grace period; who is
//     new is MemberAdded.
//
// Member events that arrive between a subscribe frame and its answer are
// applied again on top of the list the answer brings: a node adds a new
// subscriber to the channel before it asks the others for the list, so a
// member who joins on another node at the same time may be announced
// before a list that lacks them (Soketi does this to about one in four
// simultaneous joins).
//
// Everything here runs under Client.mu; route publishes the events.

// presenceDefaults returns Options.PresenceGrace and PresenceRefresh with
// their defaults filled in.
func presenceDefaults(o Options) (grace, refresh time.Duration) {
	grace, refresh = o.PresenceGrace, o.PresenceRefresh
	if grace == 0 {
		delay, handshake := reconnectDelay(o), o.Manager.HandshakeTimeout
		if handshake <= 0 {
			handshake = defaultHandshakeTimeout
		}
		grace = delay*5/4 + handshake
	}
	if refresh == 0 {
		refresh = DefaultPresenceRefresh
	}
	return grace, refresh
}

// DefaultPresenceRefresh is how often a presence channel's member list is
// fetched again by default.
const DefaultPresenceRefresh = 60 * time.Second

// The manager's defaults, which the presence defaults derive from.
const (
	defaultReconnectDelay   = 5 * time.Second
	defaultHandshakeTimeout = 10 * time.Second
)

// reconnectDelay is the manager's first reconnect delay.
func reconnectDelay(o Options) time.Duration {
	if o.Manager.ReconnectDelay > 0 {
		return o.Manager.ReconnectDelay
	}
	return defaultReconnectDelay
}

// presenceTimer is the one timer of every grace period and refresh,
// armed for the earliest deadline. Guarded by Client.mu; route reads wake.
type presenceTimer struct {
	wake chan struct{} // buffered 1: a due deadline
	at   time.Time     // when the armed timer fires; zero when none is
	stop func() bool
}

// armLocked makes sure the timer fires by at.
func (t *presenceTimer) armLocked(clk clock.Clock, at time.Time) {
	if !t.at.IsZero() && !at.Before(t.at) {
		return
	}
	t.stopLocked()
	t.at = at
	wake := t.wake
	fire := func() {
		select {
		case wake <- struct{}{}:
		default:
		}
	}
	if d := at.Sub(clk.Now()); d > 0 {
		t.stop = clk.AfterFunc(d, fire)
	} else {
		fire()
	}
}

// stopLocked disarms the timer.
func (t *presenceTimer) stopLocked() {
	if t.stop != nil {
		t.stop()
		t.stop = nil
	}
	t.at = time.Time{}
}

// applyEarlyLocked applies the member events that arrived while the list
// was on its way to fresh, and forgets them.
func applyEarlyLocked(ch *Channel, fresh map[string]Member) {
	for _, ev := range ch.early {
		if ev.Kind == MemberAdded {
			fresh[ev.Member.ID] = ev.Member
		} else {
			delete(fresh, ev.Member.ID)
		}
	}
	ch.early = nil
}

// membersArrivedLocked folds a member list from subscription_succeeded
// into ch: the first one as is (MembersReplaced); a later one after a
// resubscription (full) as MembersReplaced holding the members in their
// grace period too; a refreshed one as the MemberAdded it shows, and a
// grace period for whoever it lacks. It returns the events to report.
func (c *Client) membersArrivedLocked(ch *Channel, fresh map[string]Member, full bool) []MemberEvent {
	if ch.memberMap == nil {
		ch.memberMap = fresh
		return []MemberEvent{{Kind: MembersReplaced, Members: sortedMembers(fresh)}}
	}
	now := c.clock.Now()
	var evs []MemberEvent
	for _, id := range sortedIDs(fresh) {
		if _, known := ch.memberMap[id]; !known && !full {
			evs = append(evs, MemberEvent{Kind: MemberAdded, Member: fresh[id]})
		}
		ch.memberMap[id] = fresh[id]
		delete(ch.leaving, id)
	}
	for _, id := range sortedIDs(ch.memberMap) {
		if _, ok := fresh[id]; ok {
			continue
		}
		if c.opts.PresenceGrace < 0 {
			if !full {
				evs = append(evs, MemberEvent{Kind: MemberRemoved, Member: ch.memberMap[id]})
			}
			delete(ch.memberMap, id)
			continue
		}
		c.leaveLaterLocked(ch, id, now, full)
	}
	if full {
		return []MemberEvent{{Kind: MembersReplaced, Members: sortedMembers(ch.memberMap)}}
	}
	return evs
}

// memberAddedLocked folds a member_added into ch: a member in their grace
// period stays, silently; a member already listed stays too, and the list
// is refreshed soon (their old connection went without a member_removed:
// a node may be lost); a new one is MemberAdded.
func (c *Client) memberAddedLocked(ch *Channel, m Member) []MemberEvent {
	if ch.memberMap == nil {
		ch.memberMap = make(map[string]Member)
	}
	_, known := ch.memberMap[m.ID]
	_, leaving := ch.leaving[m.ID]
	ch.memberMap[m.ID] = m
	switch {
	case leaving:
		delete(ch.leaving, m.ID)
		return nil
	case known:
		c.refreshSoonLocked(ch)
		return nil
	}
	return []MemberEvent{{Kind: MemberAdded, Member: m}}
}

// memberRemovedLocked folds a member_removed into ch: the member's grace
// period starts (or, without grace, MemberRemoved), and the list is
// refreshed within it. A node that drains announces its members' leave
// while they reconnect elsewhere, and the node they reach may have seen
// them still on the old one and announce nothing: the fresh list is what
// tells that they are still here.
func (c *Client) memberRemovedLocked(ch *Channel, m Member) []MemberEvent {
	old, known := ch.memberMap[m.ID]
	if !known {
		return nil
	}
	if c.opts.PresenceGrace < 0 {
		delete(ch.memberMap, m.ID)
		return []MemberEvent{{Kind: MemberRemoved, Member: old}}
	}
	c.leaveLaterLocked(ch, m.ID, c.clock.Now(), false)
	c.refreshSoonLocked(ch)
	return nil
}

// leaveLaterLocked starts the grace period of member id. A period under
// way keeps its end, unless extend: after our own reconnect, a member we
// could not hear return gets a whole period from now.
func (c *Client) leaveLaterLocked(ch *Channel, id string, now time.Time, extend bool) {
	end := now.Add(c.opts.PresenceGrace)
	if old, pending := ch.leaving[id]; pending && (!extend || !old.Before(end)) {
		end = old
	}
	if ch.leaving == nil {
		ch.leaving = make(map[string]time.Time)
	}
	ch.leaving[id] = end
	c.presence.armLocked(c.clock, end)
}

// refreshSoonLocked schedules a refresh of ch within ReconnectDelay plus
// up to 100% jitter (time for the clients of a lost node to come back),
// but within the first half of a grace period, unless one is due sooner.
func (c *Client) refreshSoonLocked(ch *Channel) {
	if c.opts.PresenceRefresh < 0 {
		return
	}
	d := reconnectDelay(c.opts)
	delay := d + time.Duration(rand.Float64()*float64(d))
	if g := c.opts.PresenceGrace; g > 0 && delay > g/2 {
		delay = g/4 + time.Duration(rand.Float64()*float64(g/4))
	}
	at := c.clock.Now().Add(delay)
	if ch.refreshAt.IsZero() || at.Before(ch.refreshAt) {
		ch.refreshAt = at
		c.presence.armLocked(c.clock, at)
	}
}

// refreshLaterLocked schedules the periodic refresh of ch: PresenceRefresh
// plus up to 25% jitter from now.
func (c *Client) refreshLaterLocked(ch *Channel) {
	ch.refreshAt = time.Time{}
	if c.opts.PresenceRefresh < 0 {
		return
	}
	p := c.opts.PresenceRefresh
	ch.refreshAt = c.clock.Now().Add(p + time.Duration(rand.Float64()*float64(p)/4))
	c.presence.armLocked(c.clock, ch.refreshAt)
}

// onPresenceDue ends the grace periods and starts the refreshes that are
// due, and arms the timer for the next deadline. It runs on route: each
// ended grace period is published as MemberRemoved on the channel and as
// a synthetic member_removed frame on Frames.
func (c *Client) onPresenceDue() {
	type removal struct {
		ch *Channel
		ev MemberEvent
	}
	var removals []removal
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.presence.stopLocked()
	now := c.clock.Now()
	var next time.Time
	later := func(t time.Time) {
		if next.IsZero() || t.Before(next) {
			next = t
		}
	}
	for _, name := range sortedIDs(c.channels) {
		ch := c.channels[name]
		if ch.kind != Presence || ch.state != ChannelSubscribed {
			continue // grace periods wait for the next list
		}
		for _, id := range sortedIDs(ch.leaving) {
			if end := ch.leaving[id]; end.After(now) {
				later(end)
				continue
			}
			removals = append(removals, removal{ch, MemberEvent{Kind: MemberRemoved, Member: ch.memberMap[id]}})
			delete(ch.memberMap, id)
			delete(ch.leaving, id)
		}
		if ch.refreshAt.IsZero() {
			continue
		}
		if ch.refreshAt.After(now) {
			later(ch.refreshAt)
			continue
		}
		c.startRefreshLocked(ch)
		if !ch.refreshAt.IsZero() {
			later(ch.refreshAt)
		}
	}
	if !next.IsZero() {
		c.presence.armLocked(c.clock, next)
	}
	c.mu.Unlock()
	for _, r := range removals {
		data, _ := json.Marshal(struct {
			UserID string `json:"user_id"`
		}{r.ev.Member.ID})
		r.ch.members.Publish(r.ev)
		c.deliver(Frame{Event: EventMemberRemoved, Channel: r.ch.name, Data: data, Synthetic: true, MemberEvents: []MemberEvent{r.ev}})
	}
}

// startRefreshLocked sends ch's subscribe frame again, with the signature
// of its subscription on this socket, and schedules the next refresh. An
// answer that never comes changes nothing.
func (c *Client) startRefreshLocked(ch *Channel) {
	conn := c.conn
	c.refreshLaterLocked(ch)
	if conn == nil || ch.refreshSocket != conn.socketID {
		return
	}
	ch.refreshing, ch.early = true, nil
	frame := encodeSubscribe(ch.name, ch.refreshAuth)
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		ctx, cancel := context.WithTimeout(chanContext{conn.done}, c.opts.SubscribeTimeout)
		defer cancel()
		ch.sendMu.Lock()
		defer ch.sendMu.Unlock()
		c.mu.Lock()
		wanted := c.channels[ch.name] == ch && c.conn == conn
		c.mu.Unlock()
		if !wanted {
			return // unsubscribed meanwhile: a subscribe now would undo it
		}
		if err := c.sendOn(ctx, conn, frame); err != nil {
			c.log.Debug("pusher: member list refresh not sent", "channel", ch.name, "err", err)
		}
	}()
}

// sortedIDs returns the keys of m in order, so that events come out in a
// stable order.
func sortedIDs[V any](m map[string]V) []string {
	ids := make([]string, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}
