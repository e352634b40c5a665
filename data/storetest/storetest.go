// Package storetest is the contract every data.Store passes: run it from
// a test of each implementation.
//
//	func TestContract(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) data.Store { return data.NewMemoryStore(0) })
//	}
//
// open returns a new, empty store each time; Run closes it. The store must
// keep data.DefaultCachedMessages messages per conversation.
package storetest

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/chatwire/chatwire/data"
	"github.com/chatwire/chatwire/domain"
)

// Run runs the contract's tests as subtests of t.
func Run(t *testing.T, open func(t *testing.T) data.Store) {
	tests := []struct {
		name string
		run  func(*testing.T, data.Store)
	}{
		{"NewStoreIsEmpty", newStoreIsEmpty},
		{"SendsRoundTripInOrder", sendsRoundTripInOrder},
		{"EndedSendsLeave", endedSendsLeave},
		{"AccountAndPositionStayUntilReplaced", accountAndPositionStay},
		{"MessagesOrderedReplacedAndLimited", messagesOrderedReplacedAndLimited},
		{"MessagesPerConversationAreBounded", messagesPerConversationBounded},
		{"ConversationsRoundTrip", conversationsRoundTrip},
		{"DeletedConversationsLeaveWithTheirMessages", deletedConversations},
		{"WipeForgetsEverythingAndStaysOpen", wipe},
		{"ConcurrentUse", concurrentUse},
		{"CloseIsIdempotent", closeIsIdempotent},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := open(t)
			t.Cleanup(func() { _ = st.Close() })
			tc.run(t, st)
		})
	}
}

var base = time.Date(2026, 11, 22, 10, 15, 30, 123000000, time.UTC)

// message returns a message of conv with id and content, created at
// base + minute minutes.
func message(conv, id string, minute int, seq int64) domain.Message {
	return domain.Message{ID: id, ClientID: "c-" + id, ConversationID: conv, SenderID: "bob", Content: "text of " + id,
		Kind: domain.KindText, CreatedAt: base.Add(time.Duration(minute) * time.Minute), Seq: seq}
}

func ptr[T any](v T) *T { return &v }

func commit(t *testing.T, st data.Store, b data.Batch) {
	t.Helper()
	if err := st.Commit(t.Context(), b); err != nil {
		t.Fatalf("Commit: %v", err)
	}
}

func load(t *testing.T, st data.Store) data.StoreState {
	t.Helper()
	s, err := st.Load(t.Context())
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return s
}

func messages(t *testing.T, st data.Store, conv string, limit int) []domain.Message {
	t.Helper()
	ms, err := st.Messages(t.Context(), conv, limit)
	if err != nil {
		t.Fatalf("Messages(%q, %d): %v", conv, limit, err)
	}
	return ms
}

func conversations(t *testing.T, st data.Store) []domain.ConversationUpdate {
	t.Helper()
	cs, err := st.Conversations(t.Context())
	if err != nil {
		t.Fatalf("Conversations: %v", err)
	}
	return cs
}

func ids(ms []domain.Message) []string {
	out := []string{}
	for _, m := range ms {
		out = append(out, m.ID)
	}
	return out
}

func clientIDs(ss []data.StoredSend) []string {
	out := []string{}
	for _, s := range ss {
		out = append(out, s.ClientID)
	}
	return out
}

// sameMessage compares messages, times by instant.
func sameMessage(a, b domain.Message) bool {
	if !a.CreatedAt.Equal(b.CreatedAt) {
		return false
	}
	a.CreatedAt, b.CreatedAt = time.Time{}, time.Time{}
	return reflect.DeepEqual(a, b)
}

func sameConversation(a, b domain.ConversationUpdate) bool {
	if !a.UpdatedAt.Equal(b.UpdatedAt) || (a.LastMessage == nil) != (b.LastMessage == nil) {
		return false
	}
	if a.LastMessage != nil && !sameMessage(*a.LastMessage, *b.LastMessage) {
		return false
	}
	a.UpdatedAt, b.UpdatedAt, a.LastMessage, b.LastMessage = time.Time{}, time.Time{}, nil, nil
	return reflect.DeepEqual(a, b)
}

func newStoreIsEmpty(t *testing.T, st data.Store) {
	s := load(t, st)
	if s.Account != (data.Account{}) || s.Position != (domain.Position{}) || len(s.Sends) != 0 {
		t.Errorf("a new store loads %+v, want nothing", s)
	}
	if ms := messages(t, st, "c1", 0); len(ms) != 0 {
		t.Errorf("a new store has messages %v", ids(ms))
	}
	if cs := conversations(t, st); len(cs) != 0 {
		t.Errorf("a new store has conversations %+v", cs)
	}
	commit(t, st, data.Batch{}) // an empty batch changes nothing
	if s := load(t, st); s.Account != (data.Account{}) || s.Position != (domain.Position{}) {
		t.Errorf("after an empty batch: %+v", s)
	}
}

func sendsRoundTripInOrder(t *testing.T, st data.Store) {
	want := []data.StoredSend{
		{ClientID: "s1", Draft: domain.MessageDraft{ClientID: "s1", ConversationID: "c1", Content: "first", Kind: domain.KindText}, CreatedAt: base},
		{ClientID: "s2", Draft: domain.MessageDraft{ClientID: "s2", ConversationID: "c2", Content: "with a photo", Kind: domain.KindImage,
			ReplyTo: "m9", Attachments: []domain.Attachment{{URL: "https://cdn.example.com/p.jpg", Name: "p.jpg", MIME: "image/jpeg", Size: 2048}}},
			CreatedAt: base.Add(time.Second)},
		{ClientID: "s3", Draft: domain.MessageDraft{ClientID: "s3", ConversationID: "c1", Content: "ünïcode ✓ and \"quotes\"\n"}, CreatedAt: base.Add(2 * time.Second)},
	}
	for _, s := range want {
		if err := st.PutSend(t.Context(), s); err != nil {
			t.Fatalf("PutSend(%s): %v", s.ClientID, err)
		}
	}
	got := load(t, st).Sends
	if len(got) != len(want) {
		t.Fatalf("loaded sends %v, want %v", clientIDs(got), clientIDs(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if !g.CreatedAt.Equal(w.CreatedAt) || g.ClientID != w.ClientID || !reflect.DeepEqual(g.Draft, w.Draft) {
			t.Errorf("send %d loaded as %+v, want %+v", i, g, w)
		}
	}
}

func endedSendsLeave(t *testing.T, st data.Store) {
	for _, id := range []string{"s1", "s2", "s3", "s4"} {
		if err := st.PutSend(t.Context(), data.StoredSend{ClientID: id, Draft: domain.MessageDraft{ClientID: id, ConversationID: "c1", Content: id}, CreatedAt: base}); err != nil {
			t.Fatal(err)
		}
	}
	commit(t, st, data.Batch{EndedSends: []string{"s3", "s1", "unknown"}})
	if got := clientIDs(load(t, st).Sends); fmt.Sprint(got) != "[s2 s4]" {
		t.Errorf("sends after s1 and s3 ended: %v, want [s2 s4]", got)
	}
}

func accountAndPositionStay(t *testing.T, st data.Store) {
	acct := data.Account{Server: "wss://chat.example.com", UserID: "alice"}
	commit(t, st, data.Batch{Account: &acct, Position: &domain.Position{Epoch: "e1", Seq: 41}})
	commit(t, st, data.Batch{Messages: []domain.Message{message("c1", "m1", 0, 42)}})
	s := load(t, st)
	if s.Account != acct || s.Position != (domain.Position{Epoch: "e1", Seq: 41}) {
		t.Fatalf("after a batch without them: account %+v position %+v", s.Account, s.Position)
	}
	commit(t, st, data.Batch{Position: &domain.Position{Epoch: "e2", Seq: 3}})
	if s := load(t, st); s.Position != (domain.Position{Epoch: "e2", Seq: 3}) || s.Account != acct {
		t.Fatalf("after a new position: %+v", s)
	}
}

func messagesOrderedReplacedAndLimited(t *testing.T, st data.Store) {
	// Committed out of order, in two batches, with a tie on time broken by seq.
	commit(t, st, data.Batch{Messages: []domain.Message{
		message("c1", "m3", 3, 30), message("c1", "m1", 1, 10), message("c2", "x1", 0, 5),
	}})
	withAttachment := message("c1", "m2", 3, 20)
	withAttachment.Attachments = []domain.Attachment{{URL: "https://cdn.example.com/f.pdf", Name: "f.pdf", MIME: "application/pdf", Size: 1}}
	withAttachment.ReplyTo = "m1"
	commit(t, st, data.Batch{Messages: []domain.Message{withAttachment, message("c1", "m4", 4, 40)}})

	if got := ids(messages(t, st, "c1", 0)); fmt.Sprint(got) != "[m1 m2 m3 m4]" {
		t.Fatalf("c1 with no limit: %v, want [m1 m2 m3 m4] (by time, then seq)", got)
	}
	if got := ids(messages(t, st, "c1", 2)); fmt.Sprint(got) != "[m3 m4]" {
		t.Fatalf("c1 limit 2: %v, want the newest two, oldest first", got)
	}
	if got := ids(messages(t, st, "c2", 10)); fmt.Sprint(got) != "[x1]" {
		t.Fatalf("c2: %v", got)
	}
	if got := messages(t, st, "c1", 0)[1]; !sameMessage(got, withAttachment) {
		t.Fatalf("m2 came back as %+v, want %+v", got, withAttachment)
	}

	edited := message("c1", "m3", 3, 30)
	edited.Content = "edited"
	commit(t, st, data.Batch{Messages: []domain.Message{edited}})
	got := messages(t, st, "c1", 0)
	if fmt.Sprint(ids(got)) != "[m1 m2 m3 m4]" || got[2].Content != "edited" {
		t.Fatalf("after replacing m3: %v, m3 %q", ids(got), got[2].Content)
	}
}

func messagesPerConversationBounded(t *testing.T, st data.Store) {
	n := data.DefaultCachedMessages + 10
	var b data.Batch
	for i := range n {
		b.Messages = append(b.Messages, message("c1", fmt.Sprintf("m%04d", i), i, int64(i+1)))
	}
	commit(t, st, b)
	commit(t, st, data.Batch{Messages: []domain.Message{message("c2", "other", 0, int64(n+1))}})
	got := messages(t, st, "c1", 0)
	if len(got) != data.DefaultCachedMessages || got[0].ID != "m0010" || got[len(got)-1].ID != fmt.Sprintf("m%04d", n-1) {
		t.Fatalf("kept %d messages from %s to %s, want the newest %d (m0010 to m%04d)",
			len(got), got[0].ID, got[len(got)-1].ID, data.DefaultCachedMessages, n-1)
	}
	if got := ids(messages(t, st, "c2", 0)); fmt.Sprint(got) != "[other]" {
		t.Fatalf("c2 lost its message to c1's limit: %v", got)
	}
}

func conversationsRoundTrip(t *testing.T, st data.Store) {
	last := message("c2", "m7", 7, 70)
	c1 := domain.ConversationUpdate{ConversationID: "c1", Action: domain.ConversationCreated, Title: "Team",
		ParticipantIDs: []string{"alice", "bob"}, UpdatedAt: base, Seq: 3}
	c2 := domain.ConversationUpdate{ConversationID: "c2", Action: domain.ConversationUpdated, Title: "DM",
		ParticipantIDs: []string{"alice", "carol"}, LastMessage: &last, UnreadCount: ptr(0), UpdatedAt: base.Add(time.Hour), Seq: 71}
	commit(t, st, data.Batch{Conversations: []domain.ConversationUpdate{c2, c1}})
	got := conversations(t, st)
	if len(got) != 2 || !sameConversation(got[0], c1) || !sameConversation(got[1], c2) {
		t.Fatalf("conversations came back as %+v, want %+v then %+v (by id; a nil count stays nil, zero stays zero)", got, c1, c2)
	}
	c1.Title, c1.UnreadCount = "Team (renamed)", ptr(4)
	commit(t, st, data.Batch{Conversations: []domain.ConversationUpdate{c1}})
	got = conversations(t, st)
	if len(got) != 2 || !sameConversation(got[0], c1) {
		t.Fatalf("after replacing c1: %+v", got)
	}
}

func deletedConversations(t *testing.T, st data.Store) {
	commit(t, st, data.Batch{
		Messages:      []domain.Message{message("c1", "m1", 1, 1), message("c2", "x1", 1, 2)},
		Conversations: []domain.ConversationUpdate{{ConversationID: "c1", Title: "one"}, {ConversationID: "c2", Title: "two"}},
	})
	// A message and the deletion of its conversation in one batch: gone.
	commit(t, st, data.Batch{Messages: []domain.Message{message("c1", "m2", 2, 3)}, DeletedConversations: []string{"c1"}})
	if ms := messages(t, st, "c1", 0); len(ms) != 0 {
		t.Errorf("deleted c1 still has messages %v", ids(ms))
	}
	cs := conversations(t, st)
	if len(cs) != 1 || cs[0].ConversationID != "c2" {
		t.Errorf("conversations after deleting c1: %+v", cs)
	}
	if got := ids(messages(t, st, "c2", 0)); fmt.Sprint(got) != "[x1]" {
		t.Errorf("c2's messages after deleting c1: %v", got)
	}
}

func wipe(t *testing.T, st data.Store) {
	acct := data.Account{Server: "wss://chat.example.com", UserID: "alice"}
	if err := st.PutSend(t.Context(), data.StoredSend{ClientID: "s1", Draft: domain.MessageDraft{ClientID: "s1", ConversationID: "c1", Content: "x"}, CreatedAt: base}); err != nil {
		t.Fatal(err)
	}
	commit(t, st, data.Batch{Account: &acct, Position: &domain.Position{Epoch: "e", Seq: 9},
		Messages: []domain.Message{message("c1", "m1", 1, 9)}, Conversations: []domain.ConversationUpdate{{ConversationID: "c1"}}})
	if err := st.Wipe(t.Context()); err != nil {
		t.Fatalf("Wipe: %v", err)
	}
	s := load(t, st)
	if s.Account != (data.Account{}) || s.Position != (domain.Position{}) || len(s.Sends) != 0 {
		t.Errorf("after Wipe: %+v", s)
	}
	if len(messages(t, st, "c1", 0)) != 0 || len(conversations(t, st)) != 0 {
		t.Errorf("after Wipe the cache is not empty")
	}
	// Still open: a new account starts.
	if err := st.PutSend(t.Context(), data.StoredSend{ClientID: "s2", Draft: domain.MessageDraft{ClientID: "s2", ConversationID: "c1", Content: "y"}, CreatedAt: base}); err != nil {
		t.Fatalf("PutSend after Wipe: %v", err)
	}
	commit(t, st, data.Batch{Account: &data.Account{Server: acct.Server, UserID: "bob"}})
	if s := load(t, st); s.Account.UserID != "bob" || fmt.Sprint(clientIDs(s.Sends)) != "[s2]" {
		t.Errorf("after Wipe and new writes: %+v", s)
	}
}

// concurrentUse calls the store as the data source does (PutSend from the
// goroutines of SendMessage, Commit from its own, reads from anywhere), at
// once; run under -race.
func concurrentUse(t *testing.T, st data.Store) {
	const senders, perSender, batches = 4, 10, 20
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, senders*perSender+batches*2)
	for g := range senders {
		wg.Go(func() {
			for i := range perSender {
				id := fmt.Sprintf("g%d-%02d", g, i)
				errs <- st.PutSend(ctx, data.StoredSend{ClientID: id, Draft: domain.MessageDraft{ClientID: id, ConversationID: "c1", Content: id}, CreatedAt: base})
			}
		})
	}
	wg.Go(func() {
		for i := range batches {
			errs <- st.Commit(ctx, data.Batch{Position: &domain.Position{Seq: int64(i + 1)},
				Messages: []domain.Message{message("c1", fmt.Sprintf("m%02d", i), i, int64(i+1))}})
		}
	})
	wg.Go(func() {
		for range batches {
			_, err := st.Messages(ctx, "c1", 5)
			if err == nil {
				_, err = st.Conversations(ctx)
			}
			errs <- err
		}
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("concurrent call: %v", err)
		}
	}
	s := load(t, st)
	if len(s.Sends) != senders*perSender || s.Position.Seq != batches {
		t.Fatalf("after concurrent use: %d sends, position %+v; want %d and seq %d", len(s.Sends), s.Position, senders*perSender, batches)
	}
	// Each sender's sends keep its order.
	for g := range senders {
		var mine []string
		for _, id := range clientIDs(s.Sends) {
			if id[:2] == fmt.Sprintf("g%d", g) {
				mine = append(mine, id)
			}
		}
		if !slices.IsSorted(mine) || len(mine) != perSender {
			t.Errorf("sender %d's sends loaded as %v", g, mine)
		}
	}
	if got := len(messages(t, st, "c1", 0)); got != batches {
		t.Errorf("%d messages cached, want %d", got, batches)
	}
}

func closeIsIdempotent(t *testing.T, st data.Store) {
	if err := st.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := st.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}
