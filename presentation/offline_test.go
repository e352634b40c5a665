package presentation

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/chatwire/chatwire/core/clock"
	"github.com/chatwire/chatwire/domain"
	"github.com/chatwire/chatwire/domain/domaintest"
)

// offlineSource is a fake data source that keeps an offline cache: what an
// earlier process left, as the test sets it. The ends of the pending sends
// are pushed by the test on recovered.
type offlineSource struct {
	*domaintest.Source
	recovered *hub[domain.SendResult]

	mu       sync.Mutex
	convs    []domain.ConversationUpdate
	messages map[string][]domain.Message
	pending  []domain.MessageDraft
	fail     map[string]error // CachedMessages of a conversation fails
}

var _ domain.OfflineCache = (*offlineSource)(nil)

func newOfflineSource(t *testing.T) *offlineSource {
	t.Helper()
	src := domaintest.NewSource(domaintest.Options{UserID: me, Now: func() time.Time { return t0.Add(time.Hour) }})
	t.Cleanup(func() { _ = src.Close() })
	return &offlineSource{Source: src, recovered: newHub[domain.SendResult](),
		messages: map[string][]domain.Message{}, fail: map[string]error{}}
}

func (s *offlineSource) CachedConversations(context.Context) ([]domain.ConversationUpdate, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.convs), nil
}

func (s *offlineSource) CachedMessages(_ context.Context, conv string, limit int) ([]domain.Message, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.fail[conv]; err != nil {
		return nil, err
	}
	ms := s.messages[conv]
	return slices.Clone(ms[max(len(ms)-limit, 0):]), nil
}

func (s *offlineSource) PendingSends(context.Context) ([]domain.MessageDraft, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.pending), nil
}

func (s *offlineSource) RecoveredSends(ctx context.Context) <-chan domain.SendResult {
	return s.recovered.subscribe(ctx)
}

func unread(n int) *int { return &n }

// cacheOf fills src's cache: c1 with two messages from bob and 2 unread,
// c2 with nothing unread and an older preview, and two sends pending in
// c1 whose client ids sort against the order they were made.
func cacheOf(src *offlineSource) {
	m1, m2 := msg("m1", "c1", "bob", time.Second), msg("m2", "c1", "bob", 2*time.Second)
	old := msg("m0", "c2", "carol", 0)
	src.convs = []domain.ConversationUpdate{
		{ConversationID: "c2", Action: domain.ConversationUpdated, Title: "Old", LastMessage: &old, UnreadCount: unread(0), UpdatedAt: t0},
		{ConversationID: "c1", Action: domain.ConversationUpdated, Title: "Team", ParticipantIDs: []string{me, "bob"},
			LastMessage: &m2, UnreadCount: unread(2), UpdatedAt: t0.Add(2 * time.Second)},
	}
	src.messages["c1"] = []domain.Message{m1, m2}
	src.messages["c2"] = []domain.Message{old}
	src.pending = []domain.MessageDraft{
		{ConversationID: "c1", Content: "first offline", ClientID: "z-first"},
		{ConversationID: "c1", Content: "second offline", ClientID: "a-second"},
	}
}

func contentsOf(list []Message) []string {
	out := make([]string, len(list))
	for i, m := range list {
		out[i] = fmt.Sprintf("%s:%s", m.Content, m.Status)
	}
	return out
}

// nextEvent waits for the next event on ch.
func nextEvent[E any](t *testing.T, ch <-chan E) E {
	t.Helper()
	select {
	case e, ok := <-ch:
		if !ok {
			t.Fatal("events closed")
		}
		return e
	case <-time.After(waitLimit):
		var zero E
		t.Fatalf("timed out waiting for a %T", zero)
		return zero
	}
}

// Before the network answers, the notifiers show what the cache holds:
// the conversation list with previews and unread counts, the cached
// messages, and the pending sends as sending, in the order they were made.
func TestOfflineStartShowsTheCacheBeforeConnecting(t *testing.T) {
	src := newOfflineSource(t)
	cacheOf(src)
	ns := NewNotifiers(src, NotifiersOptions{UserID: me, Clock: clock.NewFake(t0.Add(time.Minute))})
	defer ns.Close()

	if st := src.ConnectionState().Status; st == domain.Connected {
		t.Fatalf("the source is %s: the test must look before connecting", st)
	}
	convs := ns.Conversations.Value()
	if len(convs.List) != 2 || convs.List[0].ID != "c1" || convs.List[1].ID != "c2" {
		t.Fatalf("conversations = %+v, want c1 (newer) then c2", convs.List)
	}
	c1 := convs.List[0]
	if c1.Title != "Team" || c1.UnreadCount != 2 || c1.LastMessage == nil || c1.LastMessage.ID != "m2" ||
		!c1.LastActivity.Equal(t0.Add(2*time.Second)) || !slices.Equal(c1.ParticipantIDs, []string{me, "bob"}) {
		t.Fatalf("c1 = %+v", c1)
	}
	if convs.TotalUnread() != 2 {
		t.Fatalf("total unread = %d, want 2", convs.TotalUnread())
	}
	list := ns.Messages.Value().In("c1")
	want := []string{"hi m1:sent", "hi m2:sent", "first offline:sending", "second offline:sending"}
	if got := contentsOf(list); !slices.Equal(got, want) {
		t.Fatalf("c1 messages = %v, want %v", got, want)
	}
	if p := list[2]; p.ClientID != "z-first" || p.ID != "" || p.SenderID != me || p.Kind != domain.KindText {
		t.Fatalf("pending send shown as %+v", p)
	}
	if got := messageIDs(ns.Messages.Value().In("c2")); !slices.Equal(got, []string{"m0"}) {
		t.Fatalf("c2 messages = %v", got)
	}
}

// Once connected, the server's word is applied to the cached screen: a
// copy of a cached message changes nothing, a missed message is added, the
// pending sends become sent (echo first) or failed (their end), and the
// server's unread count replaces the cached one. Each with its event.
func TestOfflineStartReconcilesWithTheNetwork(t *testing.T) {
	src := newOfflineSource(t)
	cacheOf(src)
	ns := NewNotifiers(src, NotifiersOptions{UserID: me, Clock: clock.NewFake(t0.Add(time.Minute))})
	defer ns.Close()
	msgEvents := ns.Messages.Events(t.Context())
	convEvents := ns.Conversations.Events(t.Context())
	if err := ns.Start(t.Context()); err != nil {
		t.Fatal(err)
	}

	// The replay: a cached message again, then one missed while away.
	src.Push(msg("m1", "c1", "bob", time.Second))
	src.Push(msg("m3", "c1", "bob", 3*time.Second))
	if e := nextEvent(t, msgEvents); e.Kind != MessageAdded || e.Message.ID != "m3" {
		t.Fatalf("first event %v %+v, want m3 added (the cached m1 changes nothing)", e.Kind, e.Message)
	}
	if e := nextEvent(t, convEvents); e.Kind != ConversationUpdated || e.Conversation.UnreadCount != 3 || e.Conversation.LastMessage.ID != "m3" {
		t.Fatalf("conversation event %v unread %d preview %s, want updated, 3, m3 (the cached m1 not counted twice)",
			e.Kind, e.Conversation.UnreadCount, e.Conversation.LastMessage.ID)
	}
	// The first pending send's echo, then its end: sent once.
	echo := domain.Message{ID: "m4", ClientID: "z-first", ConversationID: "c1", SenderID: me, Content: "first offline",
		Kind: domain.KindText, CreatedAt: t0.Add(4 * time.Second)}
	src.Push(echo)
	if e := nextEvent(t, msgEvents); e.Kind != MessageStatusChanged || e.Previous != MessageSending ||
		e.Message.Status != MessageSent || e.Message.ID != "m4" {
		t.Fatalf("after the echo: %v %+v, want sending → sent", e.Kind, e.Message)
	}
	if e := nextEvent(t, convEvents); e.Conversation.LastMessage.ID != "m4" || e.Conversation.UnreadCount != 3 {
		t.Fatalf("after the echo: preview %s unread %d, want m4 and 3 (own messages are not unread)",
			e.Conversation.LastMessage.ID, e.Conversation.UnreadCount)
	}
	src.recovered.push(t, domain.SendResult{ClientID: "z-first", ConversationID: "c1", Message: echo})
	// The second fails; its end comes after the first's on one goroutine,
	// so the next event shows the first end changed nothing.
	refused := &domain.ServerError{Code: domain.CodeForbidden}
	src.recovered.push(t, domain.SendResult{ClientID: "a-second", ConversationID: "c1", Err: refused})
	if e := nextEvent(t, msgEvents); e.Kind != MessageStatusChanged || e.Message.ClientID != "a-second" ||
		e.Message.Status != MessageFailed || !errors.Is(e.Message.Err, refused) {
		t.Fatalf("after the ends: %v %+v, want a-second failed", e.Kind, e.Message)
	}
	// The server's unread count wins.
	src.Push(domain.ConversationUpdate{ConversationID: "c1", Action: domain.ConversationUpdated, UnreadCount: unread(1)})
	if e := nextEvent(t, convEvents); e.Conversation.UnreadCount != 1 {
		t.Fatalf("unread after the server's count = %d, want 1", e.Conversation.UnreadCount)
	}
	want := []string{"hi m1:sent", "hi m2:sent", "hi m3:sent", "first offline:sent", "second offline:failed"}
	if got := contentsOf(ns.Messages.Value().In("c1")); !slices.Equal(got, want) {
		t.Fatalf("c1 = %v, want %v", got, want)
	}

	// The failed one is retried with its client id.
	retried, err := ns.Messages.Retry(t.Context(), "a-second")
	if err != nil || retried.Status != MessageSent {
		t.Fatalf("Retry = %+v, %v", retried, err)
	}
	sent := src.Sent()
	if len(sent) != 1 || sent[0].Draft.ClientID != "a-second" || sent[0].Draft.Content != "second offline" {
		t.Fatalf("sends made = %v", sent)
	}
	v := waitFor(t, ns.Messages.Changes(t.Context()), "the retried send sent", func(s Messages) bool {
		return !slices.ContainsFunc(s.In("c1"), func(m Message) bool { return m.Status != MessageSent })
	})
	if got := len(v.In("c1")); got != 5 {
		t.Fatalf("c1 holds %d messages after the retry, want 5: %v", got, contentsOf(v.In("c1")))
	}
}

// A pending send's end may come before its echo: the end confirms it, the
// echo then changes nothing.
func TestOfflineStartEndBeforeEcho(t *testing.T) {
	src := newOfflineSource(t)
	src.pending = []domain.MessageDraft{{ConversationID: "c1", Content: "queued", ClientID: "cid-1"}}
	n := NewMessagesNotifier(src, MessagesOptions{UserID: me, Clock: clock.NewFake(t0)})
	defer n.Close()
	events := n.Events(t.Context())
	if got := contentsOf(n.Value().In("c1")); !slices.Equal(got, []string{"queued:sending"}) {
		t.Fatalf("before connecting: %v", got)
	}
	if err := src.Connect(t.Context(), "token"); err != nil {
		t.Fatal(err)
	}
	stored := domain.Message{ID: "m9", ClientID: "cid-1", ConversationID: "c1", SenderID: me, Content: "queued",
		Kind: domain.KindText, CreatedAt: t0.Add(time.Second)}
	src.recovered.push(t, domain.SendResult{ClientID: "cid-1", ConversationID: "c1", Message: stored})
	if e := nextEvent(t, events); e.Kind != MessageStatusChanged || e.Message.ID != "m9" || e.Message.Status != MessageSent {
		t.Fatalf("after the end: %v %+v", e.Kind, e.Message)
	}
	src.Push(stored)
	src.Push(msg("marker", "c1", "bob", 2*time.Second))
	if e := nextEvent(t, events); e.Kind != MessageAdded || e.Message.ID != "marker" {
		t.Fatalf("after the echo: %v %+v, want nothing before the marker", e.Kind, e.Message)
	}
	if got := messageIDs(n.Value().In("c1")); !slices.Equal(got, []string{"m9", "marker"}) {
		t.Fatalf("c1 = %v", got)
	}
}

// Identity is the sender and client id: a cached echo of this user's send
// still listed as pending (a crash between the two writes) shows once; a
// cached message of someone else's with the same client id does not hide
// the pending send.
func TestOfflineStartPendingSendAlreadyCached(t *testing.T) {
	src := newOfflineSource(t)
	mine := domain.Message{ID: "m1", ClientID: "cid-1", ConversationID: "c1", SenderID: me, Content: "mine", CreatedAt: t0}
	theirs := domain.Message{ID: "m2", ClientID: "cid-2", ConversationID: "c1", SenderID: "bob", Content: "theirs", CreatedAt: t0.Add(time.Second)}
	src.messages["c1"] = []domain.Message{mine, theirs}
	src.pending = []domain.MessageDraft{
		{ConversationID: "c1", Content: "mine", ClientID: "cid-1"},
		{ConversationID: "c1", Content: "also mine", ClientID: "cid-2"},
	}
	n := NewMessagesNotifier(src, MessagesOptions{UserID: me, Clock: clock.NewFake(t0.Add(time.Minute))})
	defer n.Close()
	want := []string{"mine:sent", "theirs:sent", "also mine:sending"}
	if got := contentsOf(n.Value().In("c1")); !slices.Equal(got, want) {
		t.Fatalf("c1 = %v, want %v", got, want)
	}
}

// The cache fills the window with its newest messages; a conversation the
// cache cannot read is reported and the others are shown.
func TestOfflineStartWindowAndCacheErrors(t *testing.T) {
	src := newOfflineSource(t)
	for i := range 5 {
		src.messages["c1"] = append(src.messages["c1"], msg(fmt.Sprint("m", i), "c1", "bob", time.Duration(i)*time.Second))
	}
	src.convs = []domain.ConversationUpdate{{ConversationID: "c1"}, {ConversationID: "c2"}}
	diskErr := errors.New("disk on fire")
	src.fail["c2"] = diskErr
	ns := NewNotifiers(src, NotifiersOptions{UserID: me, Messages: MessagesOptions{Window: 3}})
	defer ns.Close()
	if got := messageIDs(ns.Messages.Value().In("c1")); !slices.Equal(got, []string{"m2", "m3", "m4"}) {
		t.Fatalf("c1 = %v, want the newest 3", got)
	}
	if len(ns.Conversations.Value().List) != 2 {
		t.Fatalf("conversations = %+v", ns.Conversations.Value().List)
	}
	e := ns.Connection.Value().Err
	if e == nil || e.Class != domain.ClassStorage || e.Fatal || !errors.Is(e, diskErr) {
		t.Fatalf("Connection.Err = %v, want a non-fatal storage error wrapping the cache's", e)
	}

	// Built one by one, the notifier tells OnCacheError.
	got := newRecorder[error]()
	n := NewMessagesNotifier(src, MessagesOptions{OnCacheError: got.add})
	defer n.Close()
	if err := got.next(t); !errors.Is(err, diskErr) {
		t.Fatalf("OnCacheError got %v", err)
	}
	got.none(t)
}

// A ConversationsNotifier on its own reads the cached messages too: the
// server sending a cached message again does not count it unread twice.
func TestOfflineStartConversationsAlone(t *testing.T) {
	src := newOfflineSource(t)
	cacheOf(src)
	n := NewConversationsNotifier(src, ConversationsOptions{UserID: me})
	defer n.Close()
	events := n.Events(t.Context())
	if c, _ := n.Value().Get("c1"); c.UnreadCount != 2 {
		t.Fatalf("cached unread = %d", c.UnreadCount)
	}
	if err := src.Connect(t.Context(), "token"); err != nil {
		t.Fatal(err)
	}
	src.Push(msg("m1", "c1", "bob", time.Second))
	src.Push(msg("m3", "c1", "bob", 3*time.Second))
	e := nextEvent(t, events)
	if e.Conversation.UnreadCount != 3 || e.Conversation.LastMessage.ID != "m3" {
		t.Fatalf("first event: unread %d preview %s, want 3 and m3 (m1 was cached)", e.Conversation.UnreadCount, e.Conversation.LastMessage.ID)
	}
}

// A conversation this user was removed from, as last cached, is not
// listed.
func TestOfflineStartLeavesOutConversationsLeft(t *testing.T) {
	src := newOfflineSource(t)
	src.convs = []domain.ConversationUpdate{
		{ConversationID: "gone", Action: domain.ConversationMemberRemoved, ParticipantIDs: []string{"bob"}},
		{ConversationID: "here", Action: domain.ConversationMemberAdded, ParticipantIDs: []string{me, "bob"}},
	}
	n := NewConversationsNotifier(src, ConversationsOptions{UserID: me})
	defer n.Close()
	if got := n.Value().List; len(got) != 1 || got[0].ID != "here" {
		t.Fatalf("list = %+v, want only here", got)
	}
}

// The ends of the pending sends are followed again after a cut-off, and
// the resync says it may have missed some.
func TestOfflineStartRecoveredSendsCutOff(t *testing.T) {
	src := newOfflineSource(t)
	src.pending = []domain.MessageDraft{
		{ConversationID: "c1", Content: "one", ClientID: "cid-1"},
		{ConversationID: "c1", Content: "two", ClientID: "cid-2"},
	}
	resyncs := newRecorder[Resync]()
	n := NewMessagesNotifier(src, MessagesOptions{UserID: me, OnResync: resyncs.add})
	defer n.Close()
	events := n.Events(t.Context())
	src.recovered.push(t, domain.SendResult{ClientID: "cid-1", ConversationID: "c1", Err: domain.ErrSendExpired})
	if e := nextEvent(t, events); e.Message.ClientID != "cid-1" || e.Message.Status != MessageFailed {
		t.Fatalf("%v %+v", e.Kind, e.Message)
	}
	src.recovered.closeAll()
	r := resyncs.next(t)
	if r.Stream != "RecoveredSends" || r.Notifier != "messages" || r.Complete {
		t.Fatalf("resync = %+v", r)
	}
	src.recovered.push(t, domain.SendResult{ClientID: "cid-2", ConversationID: "c1", Err: domain.ErrSendExpired})
	if e := nextEvent(t, events); e.Message.ClientID != "cid-2" || e.Message.Status != MessageFailed {
		t.Fatalf("%v %+v", e.Kind, e.Message)
	}
}

// With nothing pending, the notifier does not follow the sends' ends.
func TestOfflineStartNothingPending(t *testing.T) {
	src := newOfflineSource(t)
	cacheOf(src)
	src.pending = nil
	n := NewMessagesNotifier(src, MessagesOptions{UserID: me})
	defer n.Close()
	waitUntil(t, "no subscription to RecoveredSends with nothing pending", func() bool {
		src.recovered.mu.Lock()
		defer src.recovered.mu.Unlock()
		return len(src.recovered.subs) == 0
	})
	if got := messageIDs(n.Value().In("c1")); !slices.Equal(got, []string{"m1", "m2"}) {
		t.Fatalf("c1 = %v", got)
	}
}
