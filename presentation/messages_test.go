package presentation

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/chatwire/chatwire/domain"
	"go.uber.org/mock/gomock"
)

func msg(id, conv, sender string, at time.Duration) domain.Message {
	return domain.Message{ID: id, ConversationID: conv, SenderID: sender, Content: "hi " + id,
		Kind: domain.KindText, CreatedAt: t0.Add(at)}
}

func messageIDs(list []Message) []string {
	out := make([]string, len(list))
	for i, m := range list {
		out[i] = messageKey(m)
	}
	return out
}

func newMessages(t *testing.T, opts MessagesOptions) (*source, *MessagesNotifier, <-chan Messages) {
	src := newSource(t)
	if opts.Clock == nil {
		opts.Clock = src.clock
	}
	n := NewMessagesNotifier(src, opts)
	t.Cleanup(n.Close)
	return src, n, n.Changes(t.Context())
}

func TestMessagesOrderedByServerTimeThenID(t *testing.T) {
	src, _, changes := newMessages(t, MessagesOptions{})
	src.messages.push(t,
		msg("m3", "c1", "u2", 3*time.Second),
		msg("m1", "c1", "u2", time.Second),
		msg("b", "c1", "u3", 2*time.Second),
		msg("a", "c1", "u2", 2*time.Second),
		msg("x", "c2", "u2", 0),
	)
	v := waitFor(t, changes, "5 messages", func(m Messages) bool { return len(m.In("c1")) == 4 && len(m.In("c2")) == 1 })
	if got, want := messageIDs(v.In("c1")), []string{"m1", "a", "b", "m3"}; !slices.Equal(got, want) {
		t.Fatalf("order = %v, want %v", got, want)
	}
	for _, m := range v.In("c1") {
		if m.Status != MessageSent {
			t.Fatalf("received message %s has status %s", m.ID, m.Status)
		}
	}
}

func TestMessagesDeduplicatedByID(t *testing.T) {
	src, _, changes := newMessages(t, MessagesOptions{})
	m := msg("m1", "c1", "u2", time.Second)
	src.messages.push(t, m, m, msg("marker", "c1", "u2", 2*time.Second))
	v := waitFor(t, changes, "marker", func(s Messages) bool {
		return slices.Contains(messageIDs(s.In("c1")), "marker")
	})
	if got := messageIDs(v.In("c1")); !slices.Equal(got, []string{"m1", "marker"}) {
		t.Fatalf("messages = %v, want m1 once", got)
	}
}

func TestMessagesWindowDropsOldest(t *testing.T) {
	src, _, changes := newMessages(t, MessagesOptions{Window: 3})
	for i := range 5 {
		src.messages.push(t, msg(fmt.Sprintf("m%d", i), "c1", "u2", time.Duration(i)*time.Second))
	}
	v := waitFor(t, changes, "m4", func(s Messages) bool { return slices.Contains(messageIDs(s.In("c1")), "m4") })
	if got := messageIDs(v.In("c1")); !slices.Equal(got, []string{"m2", "m3", "m4"}) {
		t.Fatalf("window = %v, want the newest 3", got)
	}
	// A message older than the window does not get in; a newer one pushes
	// the oldest out.
	src.messages.push(t, msg("old", "c1", "u2", -time.Hour), msg("m5", "c1", "u2", 5*time.Second))
	v = waitFor(t, changes, "m5", func(s Messages) bool { return slices.Contains(messageIDs(s.In("c1")), "m5") })
	if got := messageIDs(v.In("c1")); !slices.Equal(got, []string{"m3", "m4", "m5"}) {
		t.Fatalf("window = %v, want [m3 m4 m5]", got)
	}
}

func TestMessagesSendOptimisticThenConfirmed(t *testing.T) {
	src, n, changes := newMessages(t, MessagesOptions{})
	release := make(chan struct{})
	var sentDraft domain.MessageDraft
	src.EXPECT().SendMessage(gomock.Any(), gomock.Any()).DoAndReturn(
		func(_ context.Context, d domain.MessageDraft) (domain.Message, error) {
			sentDraft = d
			<-release
			m := msg("srv-1", d.ConversationID, me, 10*time.Second)
			m.ClientID, m.Content = d.ClientID, d.Content
			return m, nil
		})
	type result struct {
		m   Message
		err error
	}
	done := make(chan result, 1)
	go func() {
		m, err := n.Send(t.Context(), domain.MessageDraft{ConversationID: "c1", Content: "hello"})
		done <- result{m, err}
	}()
	v := waitFor(t, changes, "optimistic message", func(s Messages) bool { return len(s.In("c1")) == 1 })
	opt := v.In("c1")[0]
	if opt.Status != MessageSending || opt.ID != "" || len(opt.ClientID) != 36 ||
		opt.SenderID != me || opt.Content != "hello" || opt.Kind != domain.KindText || !opt.CreatedAt.Equal(t0) {
		t.Fatalf("optimistic message = %+v", opt)
	}
	close(release)
	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	if sentDraft.ClientID != opt.ClientID || sentDraft.Kind != domain.KindText {
		t.Fatalf("draft sent = %+v, want client id %s", sentDraft, opt.ClientID)
	}
	if r.m.Status != MessageSent || r.m.ID != "srv-1" || r.m.ClientID != opt.ClientID {
		t.Fatalf("Send returned %+v", r.m)
	}
	list := n.Value().In("c1")
	if len(list) != 1 || list[0].ID != "srv-1" || list[0].Status != MessageSent {
		t.Fatalf("after confirmation: %+v", list)
	}
	// The echo arriving afterwards changes nothing.
	echo := list[0].Message
	src.messages.push(t, echo, msg("marker", "c1", "u2", 11*time.Second))
	v = waitFor(t, changes, "marker", func(s Messages) bool { return len(s.In("c1")) >= 2 })
	if got := messageIDs(v.In("c1")); !slices.Equal(got, []string{"srv-1", "marker"}) {
		t.Fatalf("after echo: %v", got)
	}
}

func TestMessagesEchoBeforeConfirmation(t *testing.T) {
	src, n, changes := newMessages(t, MessagesOptions{})
	echoed := make(chan struct{})
	var clientID string
	src.EXPECT().SendMessage(gomock.Any(), gomock.Any()).DoAndReturn(
		func(_ context.Context, d domain.MessageDraft) (domain.Message, error) {
			clientID = d.ClientID
			m := msg("srv-1", d.ConversationID, me, 10*time.Second)
			m.ClientID = d.ClientID
			src.messages.push(t, m)
			<-echoed
			return m, nil
		})
	done := make(chan error, 1)
	go func() {
		_, err := n.Send(t.Context(), domain.MessageDraft{ConversationID: "c1", Content: "hello"})
		done <- err
	}()
	v := waitFor(t, changes, "echo", func(s Messages) bool {
		l := s.In("c1")
		return len(l) > 0 && l[0].ID == "srv-1"
	})
	if l := v.In("c1"); len(l) != 1 || l[0].Status != MessageSent || l[0].ClientID != clientID {
		t.Fatalf("echo did not replace the optimistic copy: %+v", l)
	}
	close(echoed)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if l := n.Value().In("c1"); len(l) != 1 {
		t.Fatalf("duplicate after confirmation: %v", messageIDs(l))
	}
}

func TestMessagesSendFailsThenRetry(t *testing.T) {
	src, n, _ := newMessages(t, MessagesOptions{})
	var first domain.MessageDraft
	gomock.InOrder(
		src.EXPECT().SendMessage(gomock.Any(), gomock.Any()).DoAndReturn(
			func(_ context.Context, d domain.MessageDraft) (domain.Message, error) {
				first = d
				return domain.Message{}, domain.ErrOutboxFull
			}),
		src.EXPECT().SendMessage(gomock.Any(), gomock.Any()).DoAndReturn(
			func(_ context.Context, d domain.MessageDraft) (domain.Message, error) {
				if d.ClientID != first.ClientID || d.Content != "hello" || d.ReplyTo != "m0" {
					t.Errorf("retry draft = %+v, want the first one %+v", d, first)
				}
				m := msg("srv-9", d.ConversationID, me, time.Minute)
				m.ClientID = d.ClientID
				return m, nil
			}),
	)
	m, err := n.Send(t.Context(), domain.MessageDraft{ConversationID: "c1", Content: "hello", ReplyTo: "m0"})
	if !errors.Is(err, domain.ErrOutboxFull) {
		t.Fatalf("Send = %v, want ErrOutboxFull", err)
	}
	if m.Status != MessageFailed || !errors.Is(m.Err, domain.ErrOutboxFull) {
		t.Fatalf("failed message = %+v", m)
	}
	if l := n.Value().In("c1"); len(l) != 1 || l[0].Status != MessageFailed {
		t.Fatalf("snapshot after failure: %+v", l)
	}
	if _, err := n.Retry(t.Context(), "nope"); !errors.Is(err, ErrUnknownMessage) {
		t.Fatalf("Retry(unknown) = %v", err)
	}
	src.clock.Advance(time.Second)
	m, err = n.Retry(t.Context(), m.ClientID)
	if err != nil {
		t.Fatal(err)
	}
	if m.Status != MessageSent || m.ID != "srv-9" {
		t.Fatalf("retried message = %+v", m)
	}
	if _, err := n.Retry(t.Context(), m.ClientID); !errors.Is(err, ErrUnknownMessage) {
		t.Fatalf("Retry of a sent message = %v, want ErrUnknownMessage", err)
	}
}

func TestMessagesFailedThenLateEcho(t *testing.T) {
	src, n, changes := newMessages(t, MessagesOptions{})
	src.EXPECT().SendMessage(gomock.Any(), gomock.Any()).Return(domain.Message{}, context.DeadlineExceeded)
	m, err := n.Send(t.Context(), domain.MessageDraft{ConversationID: "c1", Content: "slow"})
	if err == nil || m.Status != MessageFailed {
		t.Fatalf("Send = %+v, %v", m, err)
	}
	echo := msg("srv-1", "c1", me, time.Second)
	echo.ClientID = m.ClientID
	src.messages.push(t, echo)
	v := waitFor(t, changes, "echo", func(s Messages) bool {
		l := s.In("c1")
		return len(l) == 1 && l[0].ID == "srv-1"
	})
	if got := v.In("c1")[0]; got.Status != MessageSent || got.Err != nil {
		t.Fatalf("late echo left %+v", got)
	}
}

func TestMessagesInvalidDraft(t *testing.T) {
	_, n, _ := newMessages(t, MessagesOptions{})
	for _, d := range []domain.MessageDraft{
		{Content: "no conversation"},
		{ConversationID: "c1"},
	} {
		if _, err := n.Send(t.Context(), d); !errors.Is(err, domain.ErrInvalidDraft) {
			t.Fatalf("Send(%+v) = %v, want ErrInvalidDraft", d, err)
		}
	}
	if _, err := n.Retry(t.Context(), ""); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("Retry(\"\") = %v", err)
	}
	if len(n.Value().ByConversation) != 0 {
		t.Fatal("an invalid draft was shown")
	}
}

func TestMessagesReadReceipts(t *testing.T) {
	src, _, changes := newMessages(t, MessagesOptions{UserID: me})
	src.messages.push(t,
		msg("m1", "c1", me, 1*time.Second),
		msg("m2", "c1", "u2", 2*time.Second),
		msg("m3", "c1", me, 3*time.Second),
		msg("m4", "c1", me, 4*time.Second),
	)
	waitFor(t, changes, "4 messages", func(s Messages) bool { return len(s.In("c1")) == 4 })

	// This user's own read receipt (another device) changes nothing; the
	// other user's receipt up to m3 marks m1 and m3.
	src.receipts.push(t,
		domain.ReadReceipt{ConversationID: "c1", UserID: me, MessageID: "m4"},
		domain.ReadReceipt{ConversationID: "c1", UserID: "u2", MessageID: "m3"},
	)
	v := waitFor(t, changes, "read", func(s Messages) bool { return s.In("c1")[0].Status == MessageRead })
	want := []MessageStatus{MessageRead, MessageSent, MessageRead, MessageSent}
	for i, m := range v.In("c1") {
		if m.Status != want[i] {
			t.Fatalf("%s status = %s, want %s", m.ID, m.Status, want[i])
		}
	}
	// A read message stays read when the server sends it again.
	src.messages.push(t, msg("m1", "c1", me, 1*time.Second), msg("m5", "c1", "u2", 5*time.Second))
	v = waitFor(t, changes, "m5", func(s Messages) bool { return len(s.In("c1")) == 5 })
	if v.In("c1")[0].Status != MessageRead {
		t.Fatal("re-delivery reset a read message")
	}
}

func TestMessagesSnapshotsAreImmutable(t *testing.T) {
	src, _, changes := newMessages(t, MessagesOptions{})
	src.messages.push(t, msg("m1", "c1", "u2", time.Second))
	before := waitFor(t, changes, "m1", func(s Messages) bool { return len(s.In("c1")) == 1 })
	src.messages.push(t, msg("m0", "c1", "u2", 0))
	waitFor(t, changes, "m0", func(s Messages) bool { return len(s.In("c1")) == 2 })
	if got := messageIDs(before.In("c1")); !slices.Equal(got, []string{"m1"}) {
		t.Fatalf("an earlier snapshot changed to %v", got)
	}
}

func TestMessagesCloseEndsEverything(t *testing.T) {
	_, n, changes := newMessages(t, MessagesOptions{})
	n.Close()
	assertClosed(t, changes)
	if _, err := n.Send(t.Context(), domain.MessageDraft{ConversationID: "c", Content: "x"}); !errors.Is(err, domain.ErrClosed) {
		t.Fatalf("Send after Close = %v", err)
	}
}
