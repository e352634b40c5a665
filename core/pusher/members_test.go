package pusher_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chatwire/chatwire/core/clock"
	"github.com/chatwire/chatwire/core/network"
	"github.com/chatwire/chatwire/core/pusher"
)

// Presence member lists across node failures (members.go), against the
// scripted server on a fake clock: the server plays a cluster whose nodes
// die without a member_removed and whose clients come back elsewhere.

const (
	testGrace = 10 * time.Second
	testDelay = time.Second // ReconnectDelay: a known member's return refreshes within 1-2s
)

// presenceSetup connects to fs and joins presence-room with members; the
// heartbeat is kept out of the way (activity_timeout 600s).
type presenceSetup struct {
	c       *pusher.Client
	fc      *fakeConn
	clk     *clock.Fake
	ch      *pusher.Channel
	members <-chan pusher.MemberEvent
	frames  <-chan pusher.Frame
	joined  pusher.Frame // the subscribe frame of the join
}

func joinPresence(t *testing.T, fs *fakeServer, refresh time.Duration, members ...string) *presenceSetup {
	t.Helper()
	clk := clock.NewFake(time.Now())
	c := newClient(t, pusher.Options{Host: fs.host(), Key: "key", Authorizer: &signer{},
		PresenceGrace: testGrace, PresenceRefresh: refresh,
		Manager: network.ManagerOptions{Clock: clk, ReconnectDelay: testDelay, HeartbeatInterval: time.Hour}})
	ctx := testCtx(t)
	done := make(chan error, 1)
	go func() { done <- c.Connect(ctx) }()
	fc := greet(t, fs, "1.1")
	if err := recv(t, done, "connect"); err != nil {
		t.Fatal(err)
	}
	s := &presenceSetup{c: c, fc: fc, clk: clk, frames: c.Frames(ctx)}
	joined := make(chan error, 1)
	go func() {
		var err error
		s.ch, err = c.Subscribe(ctx, "presence-room")
		joined <- err
	}()
	s.joined = fc.expect(pusher.EventSubscribe)
	fc.send(memberList("presence-room", members...))
	if err := recv(t, joined, "join"); err != nil {
		t.Fatal(err)
	}
	s.members = s.ch.MemberEvents(ctx)
	return s
}

// greet accepts the next connection with a long activity timeout.
func greet(t *testing.T, fs *fakeServer, socketID string) *fakeConn {
	t.Helper()
	fc := recv(t, fs.conns, "connection")
	fc.send(`{"event":"pusher:connection_established","data":"{\"socket_id\":\"` + socketID + `\",\"activity_timeout\":600}"}`)
	return fc
}

// memberList is a presence subscription_succeeded holding ids.
func memberList(channel string, ids ...string) string {
	hash := map[string]any{}
	for _, id := range ids {
		hash[id] = map[string]string{"name": "user " + id}
	}
	data, _ := json.Marshal(map[string]any{"presence": map[string]any{"ids": ids, "hash": hash, "count": len(ids)}})
	frame, _ := json.Marshal(map[string]string{"event": pusher.EventSubscriptionSucceeded, "channel": channel, "data": string(data)})
	return string(frame)
}

func memberFrame(event, id string) string {
	return `{"event":"` + event + `","channel":"presence-room","data":"{\"user_id\":\"` + id + `\"}"}`
}

func ids(members []pusher.Member) []string {
	out := make([]string, len(members))
	for i, m := range members {
		out[i] = m.ID
	}
	return out
}

func sameIDs(got []pusher.Member, want ...string) bool {
	g := ids(got)
	if len(g) != len(want) {
		return false
	}
	for i := range g {
		if g[i] != want[i] {
			return false
		}
	}
	return true
}

// expectRemoved waits for the next member event and for the frame that
// carries it: MemberRemoved of id, reported once its grace period ended.
func (s *presenceSetup) expectRemoved(t *testing.T, id string) {
	t.Helper()
	if ev := recv(t, s.members, "member removed"); ev.Kind != pusher.MemberRemoved || ev.Member.ID != id {
		t.Fatalf("member event %v %s, want %s removed", ev.Kind, ev.Member.ID, id)
	}
	for {
		f := recv(t, s.frames, "synthetic member_removed")
		if !f.Synthetic {
			continue
		}
		if f.Event != pusher.EventMemberRemoved || f.Raw != nil || len(f.MemberEvents) != 1 ||
			f.MemberEvents[0].Kind != pusher.MemberRemoved || f.MemberEvents[0].Member.ID != id {
			t.Fatalf("synthetic frame %+v, want the removal of %s", f, id)
		}
		return
	}
}

// A member_removed starts a grace period: a member_added within it cancels
// it (no event at all), else MemberRemoved comes when it ends, and the
// member stays in Members until then.
func TestPresenceGrace(t *testing.T) {
	fs := newFakeServer(t)
	s := joinPresence(t, fs, -1, "me", "x", "y")

	// x's node drained: removed, then back from another node.
	s.fc.send(memberFrame(pusher.EventMemberRemoved, "x"))
	f := recvFrame(t, s.frames, pusher.EventMemberRemoved)
	if len(f.MemberEvents) != 0 || !sameIDs(s.ch.Members(), "me", "x", "y") {
		t.Fatalf("a removal in its grace period changed %v, members %v", f.MemberEvents, ids(s.ch.Members()))
	}
	s.clk.Advance(testGrace / 2)
	s.fc.send(memberFrame(pusher.EventMemberAdded, "x"))
	if f := recvFrame(t, s.frames, pusher.EventMemberAdded); len(f.MemberEvents) != 0 {
		t.Fatalf("x back within grace: %v, want nothing", f.MemberEvents)
	}
	// y leaves for good.
	s.fc.send(memberFrame(pusher.EventMemberRemoved, "y"))
	recvFrame(t, s.frames, pusher.EventMemberRemoved)
	s.clk.Advance(testGrace - time.Millisecond)
	if !sameIDs(s.ch.Members(), "me", "x", "y") {
		t.Fatalf("members %v before y's grace ended", ids(s.ch.Members()))
	}
	s.clk.Advance(time.Millisecond)
	// The first member event since the join: x's cancelled removal never shows.
	s.expectRemoved(t, "y")
	if !sameIDs(s.ch.Members(), "me", "x") {
		t.Fatalf("members %v after y's grace", ids(s.ch.Members()))
	}
}

// Without grace, a removal is reported at once.
func TestPresenceWithoutGrace(t *testing.T) {
	fs := newFakeServer(t)
	clk := clock.NewFake(time.Now())
	c := newClient(t, pusher.Options{Host: fs.host(), Key: "key", Authorizer: &signer{}, PresenceGrace: -1,
		Manager: network.ManagerOptions{Clock: clk, HeartbeatInterval: time.Hour}})
	done := make(chan error, 1)
	go func() { done <- c.Connect(testCtx(t)) }()
	fc := greet(t, fs, "1.1")
	if err := recv(t, done, "connect"); err != nil {
		t.Fatal(err)
	}
	joined := make(chan *pusher.Channel, 1)
	go func() {
		ch, _ := c.Subscribe(testCtx(t), "presence-room")
		joined <- ch
	}()
	fc.expect(pusher.EventSubscribe)
	fc.send(memberList("presence-room", "me", "x"))
	ch := recv(t, joined, "join")
	members := ch.MemberEvents(testCtx(t))
	fc.send(memberFrame(pusher.EventMemberRemoved, "x"))
	if ev := recv(t, members, "removal"); ev.Kind != pusher.MemberRemoved || ev.Member.ID != "x" {
		t.Fatalf("got %v %s", ev.Kind, ev.Member.ID)
	}
}

// The member list a subscription brought is published before Subscribe
// returns: a MemberEvents stream taken right after it starts with what
// comes next, never with the join's MembersReplaced. Played many times,
// since the old order lost the race only now and then.
func TestMemberEventsTakenAfterSubscribeStartAfterTheJoin(t *testing.T) {
	fs := newFakeServer(t)
	clk := clock.NewFake(time.Now())
	c := newClient(t, pusher.Options{Host: fs.host(), Key: "key", Authorizer: &signer{}, PresenceGrace: -1,
		Manager: network.ManagerOptions{Clock: clk, HeartbeatInterval: time.Hour}})
	done := make(chan error, 1)
	go func() { done <- c.Connect(testCtx(t)) }()
	fc := greet(t, fs, "1.1")
	if err := recv(t, done, "connect"); err != nil {
		t.Fatal(err)
	}
	for i := range 200 {
		name := fmt.Sprintf("presence-room-%d", i)
		joined := make(chan *pusher.Channel, 1)
		go func() {
			ch, _ := c.Subscribe(testCtx(t), name)
			joined <- ch
		}()
		fc.expect(pusher.EventSubscribe)
		fc.send(strings.Replace(memberList("presence-room", "me", "x"), "presence-room", name, 1))
		ch := recv(t, joined, "join")
		members := ch.MemberEvents(testCtx(t))
		fc.send(strings.Replace(memberFrame(pusher.EventMemberAdded, "z"), "presence-room", name, 1))
		if ev := recv(t, members, "z added"); ev.Kind != pusher.MemberAdded || ev.Member.ID != "z" {
			t.Fatalf("round %d: first member event %v %s, want z added", i, ev.Kind, ev.Member.ID)
		}
		if err := ch.Unsubscribe(testCtx(t)); err != nil {
			t.Fatal(err)
		}
		fc.expect(pusher.EventUnsubscribe)
	}
}

// A killed node sends no member_removed. Its clients come back on other
// nodes, announced by member_added for members this client still lists:
// the sign to fetch the list again, within ReconnectDelay plus up to 100%.
// The fresh list drops whom the dead node took (after the grace period)
// and adds whom it shows new, without anyone seen leaving and coming back.
func TestPresenceRefreshAfterAKnownMemberJoinsAgain(t *testing.T) {
	fs := newFakeServer(t)
	s := joinPresence(t, fs, time.Hour, "me", "x", "y")
	first := subscribeData(t, s.joined)

	s.fc.send(memberFrame(pusher.EventMemberAdded, "x")) // x is back; y, on the same node, died
	if f := recvFrame(t, s.frames, pusher.EventMemberAdded); len(f.MemberEvents) != 0 {
		t.Fatalf("a known member joining again: %v, want nothing", f.MemberEvents)
	}
	s.clk.Advance(2 * testDelay)
	again := subscribeData(t, s.fc.expect(pusher.EventSubscribe))
	if again != first {
		t.Fatalf("refresh sent %+v, want the subscription's own frame %+v", again, first)
	}
	s.fc.send(memberList("presence-room", "me", "x", "z")) // z joined unseen
	if ev := recv(t, s.members, "z added"); ev.Kind != pusher.MemberAdded || ev.Member.ID != "z" {
		t.Fatalf("member event %v %s, want z added", ev.Kind, ev.Member.ID)
	}
	if !sameIDs(s.ch.Members(), "me", "x", "y", "z") {
		t.Fatalf("members %v: y must stay for its grace period", ids(s.ch.Members()))
	}
	s.clk.Advance(testGrace)
	s.expectRemoved(t, "y")
	if s.ch.State() != pusher.ChannelSubscribed {
		t.Fatalf("channel %v after a refresh", s.ch.State())
	}
}

// A member_removed is checked against a fresh list within the grace
// period: a draining node announces the leave of members that are already
// back on another node, which may have announced nothing (it saw them on
// the old one). The list that still holds them cancels the leave; one that
// lacks them lets it happen.
func TestPresenceRemovalCheckedByRefresh(t *testing.T) {
	fs := newFakeServer(t)
	s := joinPresence(t, fs, time.Hour, "me", "x")
	for _, back := range []bool{true, false} {
		s.fc.send(memberFrame(pusher.EventMemberRemoved, "x"))
		recvFrame(t, s.frames, pusher.EventMemberRemoved)
		s.clk.Advance(2 * testDelay)
		s.fc.expect(pusher.EventSubscribe)
		if back {
			s.fc.send(memberList("presence-room", "me", "x"))
		} else {
			s.fc.send(memberList("presence-room", "me"))
		}
		settle(t, s.c, s.fc)
		s.clk.Advance(testGrace)
	}
	// The first member event: only the second removal happened.
	s.expectRemoved(t, "x")
}

// The list is also fetched every PresenceRefresh (plus up to 25%), for
// the deaths nobody's return reveals.
func TestPresencePeriodicRefresh(t *testing.T) {
	fs := newFakeServer(t)
	s := joinPresence(t, fs, time.Minute, "me", "x")
	for range 2 {
		s.clk.Advance(75 * time.Second)
		s.fc.expect(pusher.EventSubscribe)
		s.fc.send(memberList("presence-room", "me", "x"))
		settle(t, s.c, s.fc)
	}
	s.clk.Advance(75 * time.Second)
	s.fc.expect(pusher.EventSubscribe)
	s.fc.send(memberList("presence-room", "me"))
	settle(t, s.c, s.fc)
	s.clk.Advance(testGrace)
	s.expectRemoved(t, "x")
}

// A server that refuses a repeated subscribe leaves the subscription as
// it is, and nothing is reported.
func TestPresenceRefreshRefused(t *testing.T) {
	fs := newFakeServer(t)
	s := joinPresence(t, fs, time.Minute, "me", "x")
	errs := s.c.Errors(testCtx(t))
	s.clk.Advance(75 * time.Second)
	s.fc.expect(pusher.EventSubscribe)
	s.fc.send(`{"event":"pusher:subscription_error","channel":"presence-room","data":{"type":"Duplicate","error":"already subscribed","status":400}}`)
	settle(t, s.c, s.fc)
	if st := s.ch.State(); st != pusher.ChannelSubscribed || s.ch.Err() != nil {
		t.Fatalf("channel %v (%v) after a refused refresh", st, s.ch.Err())
	}
	noError(t, errs)
	if !sameIDs(s.ch.Members(), "me", "x") {
		t.Fatalf("members %v", ids(s.ch.Members()))
	}
}

// After our own reconnect (our node died), the new list lacks those still
// on their way from the dead node: they stay listed through their grace
// period, and MembersReplaced holds them, so nobody is seen leaving and
// coming back; whoever does not come back is removed when it ends.
func TestPresenceAfterReconnect(t *testing.T) {
	fs := newFakeServer(t)
	s := joinPresence(t, fs, -1, "me", "x", "y", "w")
	s.fc.closeWith(4200, "") // reconnect at once
	fc := greet(t, fs, "2.2")
	fc.expect(pusher.EventSubscribe)
	fc.send(memberList("presence-room", "me", "x"))
	ev := recv(t, s.members, "member list")
	if ev.Kind != pusher.MembersReplaced || !sameIDs(ev.Members, "me", "w", "x", "y") {
		t.Fatalf("after the reconnect %v %v, want every member, w and y in their grace period", ev.Kind, ids(ev.Members))
	}
	fc.send(memberFrame(pusher.EventMemberAdded, "y")) // y made it to another node
	recvFrame(t, s.frames, pusher.EventMemberAdded)
	s.clk.Advance(testGrace)
	s.expectRemoved(t, "w")
	if !sameIDs(s.ch.Members(), "me", "x", "y") {
		t.Fatalf("members %v", ids(s.ch.Members()))
	}
}

// A member announced between our subscribe frame and its answer is kept,
// though the list the answer brings lacks them: their node announced them
// before ours asked it for the list (simultaneous joins on two nodes).
// The same holds for a refresh.
func TestPresenceMemberAnnouncedAheadOfTheList(t *testing.T) {
	fs := newFakeServer(t)
	clk := clock.NewFake(time.Now())
	c := newClient(t, pusher.Options{Host: fs.host(), Key: "key", Authorizer: &signer{},
		PresenceGrace: testGrace, PresenceRefresh: time.Hour,
		Manager: network.ManagerOptions{Clock: clk, ReconnectDelay: testDelay, HeartbeatInterval: time.Hour}})
	ctx := testCtx(t)
	done := make(chan error, 1)
	go func() { done <- c.Connect(ctx) }()
	fc := greet(t, fs, "1.1")
	if err := recv(t, done, "connect"); err != nil {
		t.Fatal(err)
	}
	joined := make(chan *pusher.Channel, 1)
	go func() {
		ch, err := c.Subscribe(ctx, "presence-room")
		if err != nil {
			t.Error(err)
		}
		joined <- ch
	}()
	fc.expect(pusher.EventSubscribe)
	fc.send(memberFrame(pusher.EventMemberAdded, "b"))
	fc.send(memberList("presence-room", "me"))
	ch := recv(t, joined, "join")
	if !sameIDs(ch.Members(), "b", "me") {
		t.Fatalf("members %v, want b announced ahead of the list", ids(ch.Members()))
	}
	members := ch.MemberEvents(ctx)

	// A refresh (after b's removal) overtaken by c's arrival.
	fc.send(memberFrame(pusher.EventMemberRemoved, "b"))
	settle(t, c, fc)
	clk.Advance(2 * testDelay)
	fc.expect(pusher.EventSubscribe)
	fc.send(memberFrame(pusher.EventMemberAdded, "c"))
	fc.send(memberList("presence-room", "me"))
	if ev := recv(t, members, "c added"); ev.Kind != pusher.MemberAdded || ev.Member.ID != "c" {
		t.Fatalf("got %v %s, want c added", ev.Kind, ev.Member.ID)
	}
	settle(t, c, fc)
	clk.Advance(testGrace)
	if ev := recv(t, members, "b removed"); ev.Kind != pusher.MemberRemoved || ev.Member.ID != "b" {
		t.Fatalf("got %v %s, want b removed (and c kept)", ev.Kind, ev.Member.ID)
	}
	if !sameIDs(ch.Members(), "c", "me") {
		t.Fatalf("members %v", ids(ch.Members()))
	}
}
