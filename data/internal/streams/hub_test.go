package streams_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/chatwire/chatwire/data/internal/streams"
	"github.com/chatwire/chatwire/domain"
)

// foreign is an event of a type the hub has no stream for.
type foreign struct{}

func (foreign) EventType() string { return "x.foreign" }

// Every typed event reaches every subscriber of its own stream and no
// other stream.
func TestPublishFansOutByType(t *testing.T) {
	h := streams.New(streams.Options{})
	defer h.Close()
	ctx := t.Context()
	type subs struct {
		msgs  <-chan domain.Message
		typ   <-chan domain.TypingIndicator
		stat  <-chan domain.UserStatusUpdate
		conv  <-chan domain.ConversationUpdate
		reads <-chan domain.ReadReceipt
		calls <-chan domain.CallEvent
		raw   <-chan domain.RawFrame
		state <-chan domain.ConnectionState
		errs  <-chan error
	}
	subscribe := func() subs {
		return subs{h.Messages(ctx), h.Typing(ctx), h.UserStatuses(ctx), h.ConversationUpdates(ctx),
			h.ReadReceipts(ctx), h.Calls(ctx), h.RawMessages(ctx), h.ConnectionStates(ctx), h.Errors(ctx)}
	}
	all := []subs{subscribe(), subscribe()}

	msg := domain.Message{ID: "m1", Content: "hi"}
	ti := domain.TypingIndicator{ConversationID: "c", UserID: "u", IsTyping: true}
	su := domain.UserStatusUpdate{UserID: "u", Status: domain.StatusOnline}
	cu := domain.ConversationUpdate{ConversationID: "c"}
	rr := domain.ReadReceipt{ConversationID: "c", UserID: "u", MessageID: "m1"}
	ce := domain.CallEvent{CallID: "k", Kind: domain.CallOffer}
	for _, ev := range []domain.Event{msg, ti, su, cu, rr, ce} {
		if !h.Publish(ev) {
			t.Errorf("Publish(%T) = false, want true", ev)
		}
	}
	if h.Publish(foreign{}) {
		t.Error("Publish(foreign) = true, want false")
	}

	for i, s := range all {
		if got := recv(t, s.msgs); got.ID != msg.ID || got.Content != msg.Content {
			t.Errorf("sub %d: message = %+v, want %+v", i, got, msg)
		}
		if got := recv(t, s.typ); got != ti {
			t.Errorf("sub %d: typing = %+v, want %+v", i, got, ti)
		}
		if got := recv(t, s.stat); got != su {
			t.Errorf("sub %d: status = %+v, want %+v", i, got, su)
		}
		if got := recv(t, s.conv); got.ConversationID != cu.ConversationID {
			t.Errorf("sub %d: conversation update = %+v, want %+v", i, got, cu)
		}
		if got := recv(t, s.reads); got != rr {
			t.Errorf("sub %d: receipt = %+v, want %+v", i, got, rr)
		}
		if got := recv(t, s.calls); got.CallID != ce.CallID || got.Kind != ce.Kind {
			t.Errorf("sub %d: call = %+v, want %+v", i, got, ce)
		}
		// One event each, nothing on the streams Publish does not feed.
		empty(t, s.msgs)
		empty(t, s.typ)
		empty(t, s.stat)
		empty(t, s.conv)
		empty(t, s.reads)
		empty(t, s.calls)
		empty(t, s.raw)
		empty(t, s.state)
		empty(t, s.errs)
	}
}

func TestPublishRawStateAndReport(t *testing.T) {
	h := streams.New(streams.Options{})
	defer h.Close()
	ctx := t.Context()
	raw, states, errs := h.RawMessages(ctx), h.ConnectionStates(ctx), h.Errors(ctx)

	f := domain.RawFrame{Type: "chat.message", Seq: 7, Data: []byte(`{}`)}
	h.PublishRaw(f)
	if got := recv(t, raw); got.Type != f.Type || got.Seq != f.Seq || string(got.Data) != string(f.Data) {
		t.Errorf("raw = %+v, want %+v", got, f)
	}
	st := domain.ConnectionState{Status: domain.Connected, SessionID: "s1"}
	h.PublishState(st)
	if got := recv(t, states); got.Status != st.Status || got.SessionID != st.SessionID {
		t.Errorf("state = %+v, want %+v", got, st)
	}

	cause := errors.New("boom")
	h.Report(domain.ClassDecode, true, cause)
	var de *domain.Error
	if got := recv(t, errs); !errors.As(got, &de) || de.Class != domain.ClassDecode || !de.Fatal || !errors.Is(got, cause) {
		t.Errorf("error = %#v, want *domain.Error{ClassDecode, fatal, boom}", got)
	}
	if got := h.History(); len(got) != 0 {
		t.Errorf("History() = %v after raw, state and error only, want empty", got)
	}
}

// Values from one publisher reach a subscriber in publication order.
func TestPublishOrder(t *testing.T) {
	const n = 200
	h := streams.New(streams.Options{Buffer: n})
	defer h.Close()
	msgs := h.Messages(t.Context())
	for i := range n {
		h.Publish(domain.Message{ID: fmt.Sprint(i)})
	}
	for i := range n {
		if got := recv(t, msgs); got.ID != fmt.Sprint(i) {
			t.Fatalf("message %d has id %q", i, got.ID)
		}
	}
}

func TestHistoryBoundAndOrder(t *testing.T) {
	ids := func(evs []domain.Event) []string {
		var out []string
		for _, ev := range evs {
			out = append(out, ev.(domain.Message).ID)
		}
		return out
	}
	seq := func(from, to int) []string {
		var out []string
		for i := from; i < to; i++ {
			out = append(out, fmt.Sprint(i))
		}
		return out
	}
	for _, tc := range []struct {
		name      string
		size, pub int
		want      []string
	}{
		{"empty", 3, 0, nil},
		{"below bound", 3, 2, seq(0, 2)},
		{"at bound", 3, 3, seq(0, 3)},
		{"wrapped", 3, 5, seq(2, 5)},
		{"wrapped twice", 3, 7, seq(4, 7)},
		{"size one", 1, 4, seq(3, 4)},
		{"zero means default", 0, streams.DefaultHistorySize + 50, seq(50, streams.DefaultHistorySize+50)},
		{"negative means default", -1, streams.DefaultHistorySize + 1, seq(1, streams.DefaultHistorySize+1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := streams.New(streams.Options{HistorySize: tc.size})
			defer h.Close()
			for i := range tc.pub {
				h.Publish(domain.Message{ID: fmt.Sprint(i)})
				h.PublishRaw(domain.RawFrame{Type: "raw"}) // never recorded
				h.Publish(foreign{})                       // never recorded
			}
			if got := ids(h.History()); !slices.Equal(got, tc.want) {
				t.Errorf("History() = %v, want %v", got, tc.want)
			}
		})
	}
}

// History mixes every typed stream in publication order and returns a copy.
func TestHistoryMixedTypesAndCopy(t *testing.T) {
	h := streams.New(streams.Options{HistorySize: 10})
	defer h.Close()
	in := []domain.Event{
		domain.Message{ID: "m"},
		domain.TypingIndicator{UserID: "u"},
		domain.UserStatusUpdate{UserID: "u"},
		domain.ConversationUpdate{ConversationID: "c"},
		domain.ReadReceipt{MessageID: "m"},
		domain.CallEvent{CallID: "k", Kind: domain.CallEnded},
	}
	for _, ev := range in {
		h.Publish(ev)
	}
	got := h.History()
	if len(got) != len(in) {
		t.Fatalf("History() has %d events, want %d", len(got), len(in))
	}
	for i := range in {
		if got[i].EventType() != in[i].EventType() {
			t.Errorf("History()[%d] = %T %q, want %T %q", i, got[i], got[i].EventType(), in[i], in[i].EventType())
		}
	}
	got[0] = foreign{}
	if again := h.History(); again[0].EventType() != in[0].EventType() {
		t.Errorf("changing the returned slice changed the history: %v", again[0])
	}
}

// An event a subscriber has received is already in History.
func TestHistoryRecordsBeforeSend(t *testing.T) {
	h := streams.New(streams.Options{HistorySize: 1000, Buffer: 1000})
	defer h.Close()
	msgs := h.Messages(t.Context())
	go func() {
		for i := range 500 {
			h.Publish(domain.Message{ID: fmt.Sprint(i)})
		}
	}()
	for i := range 500 {
		m := recv(t, msgs)
		hist := h.History()
		if len(hist) <= i || hist[i].(domain.Message).ID != m.ID {
			t.Fatalf("received %q but History() holds %d events", m.ID, len(hist))
		}
	}
}

// A subscriber that takes nothing while a publish waits on it, on any
// stream that is not Errors, is cut off after StallTimeout with what it
// buffered, and ErrSlowConsumer is reported on Errors as a non-fatal
// subscription error. The subscriber never reads, so the outcome does not
// depend on timing.
func TestStalledSubscriberCutOffAndReported(t *testing.T) {
	for _, tc := range []struct {
		name      string
		subscribe func(*streams.Hub, context.Context) func(*testing.T) int // returns a drain
		publish   func(*streams.Hub)
	}{
		{"messages", drainOf((*streams.Hub).Messages), func(h *streams.Hub) { h.Publish(domain.Message{ID: "m"}) }},
		{"typing", drainOf((*streams.Hub).Typing), func(h *streams.Hub) { h.Publish(domain.TypingIndicator{}) }},
		{"statuses", drainOf((*streams.Hub).UserStatuses), func(h *streams.Hub) { h.Publish(domain.UserStatusUpdate{}) }},
		{"conversations", drainOf((*streams.Hub).ConversationUpdates), func(h *streams.Hub) { h.Publish(domain.ConversationUpdate{}) }},
		{"reads", drainOf((*streams.Hub).ReadReceipts), func(h *streams.Hub) { h.Publish(domain.ReadReceipt{}) }},
		{"calls", drainOf((*streams.Hub).Calls), func(h *streams.Hub) { h.Publish(domain.CallEvent{}) }},
		{"raw", drainOf((*streams.Hub).RawMessages), func(h *streams.Hub) { h.PublishRaw(domain.RawFrame{}) }},
		{"states", drainOf((*streams.Hub).ConnectionStates), func(h *streams.Hub) { h.PublishState(domain.ConnectionState{}) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const buffer = 2
			h := streams.New(streams.Options{Buffer: buffer, StallTimeout: 10 * time.Millisecond})
			defer h.Close()
			errs := h.Errors(t.Context())
			drain := tc.subscribe(h, t.Context())
			for range buffer + 1 { // the last one waits, then cuts the subscriber off
				tc.publish(h)
			}
			err := recv(t, errs)
			var de *domain.Error
			if !errors.As(err, &de) || de.Class != domain.ClassSubscription || de.Fatal || !errors.Is(err, domain.ErrSlowConsumer) {
				t.Errorf("error = %#v, want *domain.Error{Class: ClassSubscription, Err: ErrSlowConsumer}", err)
			}
			if n := drain(t); n != buffer {
				t.Errorf("cut-off subscriber got %d values before its channel closed, want %d", n, buffer)
			}
			empty(t, errs) // one cut-off, one report
		})
	}
}

// A subscriber that keeps reading gets every event of a flood in order,
// however far ahead the publisher is, and nothing is reported: the
// publisher waits instead. The reader never stops, so the default stall
// bound (10 s) is never reached.
func TestFloodIsLosslessForADrainingSubscriber(t *testing.T) {
	const n = 100_000
	h := streams.New(streams.Options{})
	defer h.Close()
	errs := h.Errors(t.Context())
	msgs := h.Messages(t.Context())
	raw := h.RawMessages(t.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range n {
			h.PublishRaw(domain.RawFrame{Seq: int64(i)})
			h.Publish(domain.Message{Seq: int64(i)})
		}
	}()
	for i := range n {
		if f := recv(t, raw); f.Seq != int64(i) {
			t.Fatalf("raw frame %d has seq %d", i, f.Seq)
		}
		if m := recv(t, msgs); m.Seq != int64(i) {
			t.Fatalf("message %d has seq %d", i, m.Seq)
		}
	}
	waitDone(t, done)
	empty(t, errs)
}

// StopWaiting releases a publish held up by a stalled subscriber at once,
// without a report; the stalled subscriber is cut off, the others go on.
func TestStopWaitingReleasesThePublisher(t *testing.T) {
	h := streams.New(streams.Options{Buffer: 1, StallTimeout: time.Hour})
	defer h.Close()
	errs := h.Errors(t.Context())
	stalled := h.Messages(t.Context())
	live := h.Typing(t.Context())
	h.Publish(domain.Message{ID: "fills the buffer"})
	held := make(chan struct{})
	go func() {
		defer close(held)
		h.Publish(domain.Message{ID: "waits"})
	}()
	h.StopWaiting()
	waitDone(t, held)
	if n := drained(t, stalled); n != 1 {
		t.Errorf("stalled subscriber got %d values, want the buffered one", n)
	}
	h.Publish(domain.TypingIndicator{UserID: "u"})
	if got := recv(t, live); got.UserID != "u" {
		t.Errorf("typing = %+v", got)
	}
	empty(t, errs)
}

func drainOf[T any](sub func(*streams.Hub, context.Context) <-chan T) func(*streams.Hub, context.Context) func(*testing.T) int {
	return func(h *streams.Hub, ctx context.Context) func(*testing.T) int {
		ch := sub(h, ctx)
		return func(t *testing.T) int { return drained(t, ch) }
	}
}

// A stalled subscriber holds the others back only until it is cut off.
func TestStalledSubscriberDoesNotStallOthers(t *testing.T) {
	h := streams.New(streams.Options{Buffer: 1, StallTimeout: 10 * time.Millisecond})
	defer h.Close()
	_ = h.Messages(t.Context()) // never read
	fast := h.Messages(t.Context())
	for i := range 5 {
		h.Publish(domain.Message{ID: fmt.Sprint(i)})
		if got := recv(t, fast); got.ID != fmt.Sprint(i) {
			t.Fatalf("fast subscriber got %q, want %q", got.ID, fmt.Sprint(i))
		}
	}
}

func TestContextEndsSubscription(t *testing.T) {
	h := streams.New(streams.Options{})
	defer h.Close()
	ctx, cancel := context.WithCancel(t.Context())
	msgs, errs := h.Messages(ctx), h.Errors(ctx)
	cancel()
	if n := drained(t, msgs); n != 0 {
		t.Errorf("messages held %d values", n)
	}
	if n := drained(t, errs); n != 0 {
		t.Errorf("errors held %d values", n)
	}
	h.Publish(domain.Message{ID: "after"}) // no subscriber: fine
	if got := h.History(); len(got) != 1 {
		t.Errorf("History() = %v, want the one message", got)
	}
}

// Close ends every stream, even while publishers and consumers run;
// nothing is sent after it returns (a send on a closed channel would
// panic), later subscriptions are closed at once, and a second Close is a
// no-op.
func TestCloseEndsEveryStream(t *testing.T) {
	h := streams.New(streams.Options{})
	ctx := t.Context()
	drains := []func(*testing.T) int{
		drainOf((*streams.Hub).Messages)(h, ctx),
		drainOf((*streams.Hub).Typing)(h, ctx),
		drainOf((*streams.Hub).UserStatuses)(h, ctx),
		drainOf((*streams.Hub).ConversationUpdates)(h, ctx),
		drainOf((*streams.Hub).ReadReceipts)(h, ctx),
		drainOf((*streams.Hub).Calls)(h, ctx),
		drainOf((*streams.Hub).RawMessages)(h, ctx),
		drainOf((*streams.Hub).ConnectionStates)(h, ctx),
		drainOf((*streams.Hub).Errors)(h, ctx),
	}
	var consumers sync.WaitGroup
	counts := make([]int, len(drains))
	for i, drain := range drains {
		consumers.Go(func() { counts[i] = drain(t) })
	}

	stop := make(chan struct{})
	var publishers, running sync.WaitGroup
	for range 4 {
		running.Add(1)
		publishers.Go(func() {
			for n := 0; ; n++ {
				if n == 1 {
					running.Done()
				}
				select {
				case <-stop:
					return
				default:
				}
				h.Publish(domain.Message{ID: "m"})
				h.Publish(domain.TypingIndicator{UserID: "u"})
				h.Publish(domain.UserStatusUpdate{UserID: "u"})
				h.Publish(domain.ConversationUpdate{ConversationID: "c"})
				h.Publish(domain.ReadReceipt{MessageID: "m"})
				h.Publish(domain.CallEvent{CallID: "k"})
				h.PublishRaw(domain.RawFrame{Type: "x"})
				h.PublishState(domain.ConnectionState{Status: domain.Connected})
				h.Report(domain.ClassConnection, false, errors.New("x"))
			}
		})
	}
	running.Wait() // every publisher has published at least once
	h.Close()
	consumers.Wait() // every stream has closed
	close(stop)
	publishers.Wait()
	for i, n := range counts {
		if n == 0 {
			t.Errorf("stream %d delivered nothing before Close", i)
		}
	}

	h.Close() // idempotent
	h.Publish(domain.Message{ID: "late"})
	h.Report(domain.ClassConnection, false, errors.New("late"))
	if n := drained(t, h.Messages(ctx)); n != 0 {
		t.Errorf("subscription after Close got %d values", n)
	}
	if n := drained(t, h.Errors(ctx)); n != 0 {
		t.Errorf("errors subscription after Close got %d values", n)
	}
	if len(h.History()) == 0 {
		t.Error("History() empty after Close, want the events published before")
	}
}

// Publishing, subscribing and reading History from many goroutines is
// safe (run with -race). Every subscriber reads until its stream ends.
func TestConcurrentUse(t *testing.T) {
	h := streams.New(streams.Options{HistorySize: 16})
	var readers, wg sync.WaitGroup
	for g := range 4 {
		msgs := h.Messages(t.Context())
		readers.Go(func() {
			for range msgs {
			}
		})
		wg.Go(func() {
			for i := range 100 {
				h.Publish(domain.Message{ID: fmt.Sprint(g, i)})
				_ = h.History()
			}
			if n := len(h.History()); n != 16 {
				t.Errorf("History() has %d events, want 16", n)
			}
		})
	}
	wg.Wait()
	h.Close()
	readers.Wait()
}
