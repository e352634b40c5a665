package domaintest_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/chatwire/chatwire/domain"
	"github.com/chatwire/chatwire/domain/domaintest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const waitLimit = 10 * time.Second // guards against deadlocks only

func receive[T any](t *testing.T, ch <-chan T) T {
	t.Helper()
	select {
	case v, ok := <-ch:
		if !ok {
			t.Fatal("stream closed")
		}
		return v
	case <-time.After(waitLimit):
		t.Fatal("nothing received")
	}
	panic("unreachable")
}

func closed[T any](t *testing.T, ch <-chan T) {
	t.Helper()
	limit := time.After(waitLimit)
	for {
		select {
		case _, ok := <-ch:
			if !ok {
				return
			}
		case <-limit:
			t.Fatal("stream not closed")
		}
	}
}

func TestPushReachesEverySubscriberInOrderAndHistory(t *testing.T) {
	src := domaintest.NewSource(domaintest.Options{HistorySize: 3})
	defer src.Close()
	a, b := src.Messages(t.Context()), src.Messages(t.Context())
	typing := src.Typing(t.Context())
	for i := range 4 {
		src.Push(domain.Message{ID: fmt.Sprint(i), ConversationID: "c"})
	}
	src.Push(domain.TypingIndicator{ConversationID: "c", UserID: "bob", IsTyping: true})
	src.Push(domain.RawFrame{Type: "x.custom"})
	for _, ch := range []<-chan domain.Message{a, b} {
		for i := range 4 {
			if got := receive(t, ch); got.ID != fmt.Sprint(i) {
				t.Fatalf("got %q, want %d", got.ID, i)
			}
		}
	}
	if got := receive(t, typing); got.UserID != "bob" {
		t.Fatalf("typing %+v", got)
	}
	h := src.History()
	if len(h) != 3 {
		t.Fatalf("History holds %d events, want the last 3", len(h))
	}
	if m, ok := h[0].(domain.Message); !ok || m.ID != "2" {
		t.Fatalf("History starts with %+v, want message 2", h[0])
	}
	if _, ok := h[2].(domain.TypingIndicator); !ok {
		t.Fatalf("History ends with %T; raw frames are not recorded", h[2])
	}
}

// Push holds back while a subscriber has not taken its buffer, and loses
// nothing: the subscriber that reads later gets everything in order.
func TestPushIsLossless(t *testing.T) {
	src := domaintest.NewSource(domaintest.Options{})
	defer src.Close()
	ch := src.ReadReceipts(t.Context())
	const n = 1000
	go func() {
		for i := range n {
			src.Push(domain.ReadReceipt{MessageID: fmt.Sprint(i)})
		}
	}()
	for i := range n {
		if got := receive(t, ch); got.MessageID != fmt.Sprint(i) {
			t.Fatalf("got %q, want %d", got.MessageID, i)
		}
	}
}

func TestStreamsCloseOnContextAndClose(t *testing.T) {
	src := domaintest.NewSource(domaintest.Options{})
	ctx, cancel := context.WithCancel(t.Context())
	byCtx := src.Calls(ctx)
	byClose := src.Calls(t.Context())
	states := src.ConnectionStates(t.Context())
	cancel()
	closed(t, byCtx)
	if src.Subscribers(domaintest.Calls) != 1 {
		t.Fatalf("Subscribers = %d after one ctx ended, want 1", src.Subscribers(domaintest.Calls))
	}
	src.Close()
	src.Close() // idempotent
	closed(t, byClose)
	if st := receive(t, states); st.Status != domain.Closed {
		t.Fatalf("last state %v, want closed before the stream closes", st.Status)
	}
	closed(t, states)
	if _, ok := <-src.Messages(t.Context()); ok {
		t.Fatal("a subscription after Close must be closed")
	}
	src.Push(domain.Message{ID: "late"}) // nothing happens
	if src.ConnectionState().Status != domain.Closed {
		t.Fatal("state not Closed after Close")
	}
}

func TestConnectAsksTheTokenSourceForAnEmptyToken(t *testing.T) {
	src := domaintest.NewSource(domaintest.Options{UserID: "alice",
		TokenSource: func(context.Context) (string, error) { return "fresh", nil }})
	defer src.Close()
	states := src.ConnectionStates(t.Context())
	if err := src.Connect(t.Context(), ""); err != nil {
		t.Fatal(err)
	}
	if err := src.Connect(t.Context(), "given"); err != nil {
		t.Fatal(err)
	}
	if got := src.Tokens(); len(got) != 2 || got[0] != "fresh" || got[1] != "given" {
		t.Fatalf("Tokens = %q", got)
	}
	st := receive(t, states)
	if st.Status != domain.Connected || st.UserID != "alice" || src.ConnectionState().UserID != "alice" {
		t.Fatalf("state after Connect %+v", st)
	}
}

func TestConnectFailure(t *testing.T) {
	refused := fmt.Errorf("no: %w", domain.ErrUnauthorized)
	src := domaintest.NewSource(domaintest.Options{Connect: func(context.Context, string) error { return refused }})
	defer src.Close()
	if err := src.Connect(t.Context(), "t"); !errors.Is(err, domain.ErrUnauthorized) {
		t.Fatalf("Connect = %v", err)
	}
	if src.ConnectionState().Status != domain.Disconnected {
		t.Fatal("a refused Connect must leave the state alone")
	}
}

func TestConfirmReturnsAndEchoesTheMessage(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	src := domaintest.NewSource(domaintest.Options{UserID: "alice", Now: func() time.Time { return at }})
	defer src.Close()
	echo := src.Messages(t.Context())
	m, err := src.SendMessage(t.Context(), domain.MessageDraft{ConversationID: "c", Content: "hi"})
	if err != nil {
		t.Fatal(err)
	}
	if m.ID != "m-1" || m.ClientID != "client-1" || m.SenderID != "alice" || m.Kind != domain.KindText || !m.CreatedAt.Equal(at) {
		t.Fatalf("confirmed %+v", m)
	}
	if got := receive(t, echo); got.ID != "m-1" {
		t.Fatalf("echo %+v", got)
	}
	sent := src.Sent()
	if len(sent) != 1 || sent[0].Kind != domaintest.SendMessage || sent[0].Draft.Content != "hi" || !sent[0].Answered() {
		t.Fatalf("Sent = %v", sent)
	}
}

func TestFailAndInvalidDrafts(t *testing.T) {
	src := domaintest.NewSource(domaintest.Options{Answer: domaintest.Fail(domain.ErrNotConnected)})
	defer src.Close()
	if err := src.SendTyping(t.Context(), "c", true); !errors.Is(err, domain.ErrNotConnected) {
		t.Fatalf("SendTyping = %v", err)
	}
	if _, err := src.SendMessage(t.Context(), domain.MessageDraft{ConversationID: "c"}); !errors.Is(err, domain.ErrInvalidDraft) {
		t.Fatalf("empty draft: %v", err)
	}
	if err := src.SendCallSignal(t.Context(), domain.CallSignal{Kind: "ring", CallID: "k"}); !errors.Is(err, domain.ErrInvalidDraft) {
		t.Fatalf("bad signal: %v", err)
	}
	if n := len(src.Sent()); n != 1 {
		t.Fatalf("%d sends recorded; invalid ones must not be", n)
	}
}

// A hanging send waits for the test's answer, its ctx, or Close.
func TestHangWaitsForTheAnswer(t *testing.T) {
	src := domaintest.NewSource(domaintest.Options{Answer: domaintest.Hang})
	done := make(chan error, 3)
	go func() { done <- src.MarkRead(t.Context(), "c", "m1") }()
	s, err := src.NextSend(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if s.Kind != domaintest.MarkRead || s.MessageID != "m1" || s.Answered() {
		t.Fatalf("send %v", s)
	}
	select {
	case err := <-done:
		t.Fatalf("MarkRead returned %v before it was answered", err)
	default:
	}
	s.Fail(domain.ErrOutboxFull)
	if err := <-done; !errors.Is(err, domain.ErrOutboxFull) {
		t.Fatalf("MarkRead = %v", err)
	}

	ctx, cancel := context.WithCancel(t.Context())
	go func() { done <- src.SendTyping(ctx, "c", true) }()
	if _, err := src.NextSend(t.Context()); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("SendTyping after ctx ended = %v", err)
	}

	go func() { done <- src.SendTyping(t.Context(), "c", false) }()
	if _, err := src.NextSend(t.Context()); err != nil {
		t.Fatal(err)
	}
	src.Close()
	if err := <-done; !errors.Is(err, domain.ErrClosed) {
		t.Fatalf("SendTyping after Close = %v", err)
	}
	if err := src.SendTyping(t.Context(), "c", true); !errors.Is(err, domain.ErrClosed) {
		t.Fatalf("a send after Close = %v", err)
	}
}

func TestCutOffEndsSubscriptionsAndSaysSo(t *testing.T) {
	src := domaintest.NewSource(domaintest.Options{})
	defer src.Close()
	msgs, errs := src.Messages(t.Context()), src.Errors(t.Context())
	src.CutOff(domaintest.Messages)
	closed(t, msgs)
	err := receive(t, errs)
	var de *domain.Error
	if !errors.As(err, &de) || de.Class != domain.ClassSubscription || !errors.Is(err, domain.ErrSlowConsumer) {
		t.Fatalf("error after a cut-off: %v", err)
	}
	again := src.Messages(t.Context())
	src.Push(domain.Message{ID: "after"})
	if got := receive(t, again); got.ID != "after" {
		t.Fatalf("a new subscription got %+v", got)
	}
	if src.ConnectionState().Status == domain.Closed {
		t.Fatal("a cut-off is not a close")
	}
}

func TestPushErrorWrapsInDomainError(t *testing.T) {
	src := domaintest.NewSource(domaintest.Options{})
	defer src.Close()
	errs := src.Errors(t.Context())
	src.PushError(domain.ErrNotConnected)
	var de *domain.Error
	if err := receive(t, errs); !errors.As(err, &de) || de.Class != domain.ClassConnection {
		t.Fatalf("got %v", err)
	}
}
