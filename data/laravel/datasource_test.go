package laravel

import (
	"context"
	"encoding/json"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chatwire/chatwire/core/clock"
	"github.com/chatwire/chatwire/core/pusher"
	"github.com/chatwire/chatwire/domain"
)

// These tests drive the mapping directly with frames (no socket): the
// Soketi suite covers the same paths over a real server.

const wait = 10 * time.Second

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	t.Cleanup(cancel)
	return ctx
}

func newOffline(t *testing.T, mutate func(*Options)) *DataSource {
	t.Helper()
	o := Options{
		Host: "127.0.0.1:1", Key: "k",
		AuthEndpoint:  "http://127.0.0.1:1/broadcasting/auth",
		UserID:        "1",
		Conversations: []string{"7"},
		Clock:         clock.NewFake(received),
	}
	if mutate != nil {
		mutate(&o)
	}
	s, err := New(o)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// frame builds an inbound frame as the client decodes it, Raw included;
// the data is string-encoded, as servers send it.
func frame(event, channel, data string) pusher.Frame {
	b, _ := json.Marshal(map[string]string{"event": event, "channel": channel, "data": data})
	f, err := pusher.DecodeFrame(b)
	if err != nil {
		panic(err)
	}
	return f
}

func recv[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v, ok := <-ch:
		if !ok {
			t.Fatalf("%s: stream closed", what)
		}
		return v
	case <-time.After(wait):
		t.Fatalf("%s: nothing within %v", what, wait)
	}
	var zero T
	return zero
}

// none asserts that nothing is buffered on ch. Publishing is synchronous
// in these tests, so nothing can still be on its way.
func none[T any](t *testing.T, ch <-chan T, what string) {
	t.Helper()
	select {
	case v, ok := <-ch:
		if ok {
			t.Fatalf("%s: unexpected %+v", what, v)
		}
	default:
	}
}

const msgSent = `App\Events\MessageSent`

func TestMessagesAreDeliveredOnceAcrossChannels(t *testing.T) {
	s := newOffline(t, nil)
	ctx := testCtx(t)
	msgs, raw := s.Messages(ctx), s.RawMessages(ctx)
	payload := `{"message":{"id":"m1","conversation_id":"7","sender_id":"2","content":"hi"}}`
	s.handleFrame(frame(msgSent, "private-conversation.7", payload))
	s.handleFrame(frame(msgSent, "private-user.1", payload)) // the same message on the user channel
	m := recv(t, msgs, "message")
	if m.ID != "m1" || m.Content != "hi" || m.SenderID != "2" {
		t.Fatalf("message = %+v", m)
	}
	none(t, msgs, "second copy")
	for range 2 {
		if f := recv(t, raw, "raw"); f.Type != msgSent {
			t.Fatalf("raw type = %q", f.Type)
		}
	}
}

func TestUnknownAndForeignEventsReachRawOnly(t *testing.T) {
	s := newOffline(t, nil)
	ctx := testCtx(t)
	msgs, raw := s.Messages(ctx), s.RawMessages(ctx)
	s.handleFrame(frame(`App\Events\SomethingElse`, "private-conversation.7", `{"id":"x"}`))
	s.handleFrame(frame(msgSent, "private-conversation.8", `{"id":"m1","conversation_id":"8"}`)) // not joined
	for _, want := range []string{`App\Events\SomethingElse`, msgSent} {
		f := recv(t, raw, "raw")
		if f.Type != want {
			t.Fatalf("raw = %q, want %q", f.Type, want)
		}
		var back pusher.Frame
		if err := json.Unmarshal(f.Data, &back); err != nil || back.Event != want {
			t.Fatalf("raw data %s does not hold the frame: %v", f.Data, err)
		}
	}
	none(t, msgs, "messages")
	if h := s.History(); len(h) != 0 {
		t.Fatalf("history = %+v", h)
	}
}

func TestBadPayloadIsReportedAndTheSessionGoesOn(t *testing.T) {
	s := newOffline(t, nil)
	ctx := testCtx(t)
	msgs, errs := s.Messages(ctx), s.Errors(ctx)
	s.handleFrame(frame(msgSent, "private-conversation.7", `{"message":{"content":"no id"}}`))
	err := recv(t, errs, "decode error")
	var de *domain.Error
	if !errors.As(err, &de) || de.Class != domain.ClassDecode || de.Fatal || !errors.Is(err, domain.ErrMalformed) {
		t.Fatalf("error = %v, want a non-fatal decode error matching ErrMalformed", err)
	}
	var dec *domain.DecodeError
	if !errors.As(err, &dec) || dec.Type != msgSent {
		t.Fatalf("decode error type = %+v", dec)
	}
	s.handleFrame(frame(msgSent, "private-conversation.7", `{"id":"m2","content":"ok"}`))
	if m := recv(t, msgs, "message after the bad one"); m.ID != "m2" || m.ConversationID != "7" {
		t.Fatalf("message = %+v", m)
	}
}

func TestSentMessageAndItsBroadcastAreOneMessage(t *testing.T) {
	var calls atomic.Int32
	var lastDraft atomic.Value
	sender := MessageSenderFunc(func(ctx context.Context, d domain.MessageDraft) (domain.Message, error) {
		calls.Add(1)
		lastDraft.Store(d)
		return domain.Message{ID: "srv-" + d.Content, ConversationID: d.ConversationID, SenderID: "1", Content: d.Content, Kind: d.Kind}, nil
	})
	s := newOffline(t, func(o *Options) { o.Sender = sender })
	ctx := testCtx(t)
	msgs := s.Messages(ctx)

	// The answer first, then the broadcast (a backend without toOthers()).
	m, err := s.SendMessage(ctx, domain.MessageDraft{ConversationID: "7", Content: "a"})
	if err != nil {
		t.Fatal(err)
	}
	d := lastDraft.Load().(domain.MessageDraft)
	if d.ClientID == "" || m.ClientID != d.ClientID || d.Kind != domain.KindText {
		t.Fatalf("draft %+v, message %+v: client id not generated and kept", d, m)
	}
	if got := recv(t, msgs, "sent message"); got.ID != "srv-a" || got.ClientID != d.ClientID {
		t.Fatalf("delivered %+v", got)
	}
	s.handleFrame(frame(msgSent, "private-conversation.7", `{"message":{"id":"srv-a","content":"a"}}`))
	none(t, msgs, "broadcast copy")

	// The broadcast first, echoing the client id, then the answer.
	s.handleFrame(frame(msgSent, "private-conversation.7", `{"message":{"id":"srv-b","client_id":"cid-b","content":"b"}}`))
	if got := recv(t, msgs, "broadcast"); got.ID != "srv-b" {
		t.Fatalf("delivered %+v", got)
	}
	if _, err := s.SendMessage(ctx, domain.MessageDraft{ConversationID: "7", Content: "b", ClientID: "cid-b"}); err != nil {
		t.Fatal(err)
	}
	none(t, msgs, "answer after its broadcast")
	if n := calls.Load(); n != 2 {
		t.Fatalf("sender called %d times", n)
	}
}

func TestSendFailuresAreTyped(t *testing.T) {
	s := newOffline(t, func(o *Options) { o.DisableCallWhispers = true })
	ctx := testCtx(t)
	for _, tc := range []struct {
		name string
		err  error
		want error
	}{
		{"no sender", func() error {
			_, err := s.SendMessage(ctx, domain.MessageDraft{ConversationID: "7", Content: "x"})
			return err
		}(), domain.ErrUnsupported},
		{"no read marker", s.MarkRead(ctx, "7", "m1"), domain.ErrUnsupported},
		{"call whispers disabled", s.SendCallSignal(ctx, domain.CallSignal{Kind: domain.SignalInvite, CallID: "c", ConversationID: "7"}), domain.ErrUnsupported},
		{"typing in a conversation not joined", s.SendTyping(ctx, "8", true), ErrNotJoined},
		{"typing while offline", s.SendTyping(ctx, "7", true), domain.ErrNotConnected},
		{"empty conversation", s.SendTyping(ctx, "", true), domain.ErrInvalidDraft},
		{"read without message", s.MarkRead(ctx, "7", ""), domain.ErrInvalidDraft},
	} {
		if !errors.Is(tc.err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, tc.err, tc.want)
		}
	}
	s2 := newOffline(t, func(o *Options) {
		o.Sender = MessageSenderFunc(func(context.Context, domain.MessageDraft) (domain.Message, error) {
			t.Error("sender called for an invalid draft")
			return domain.Message{}, nil
		})
	})
	for _, d := range []domain.MessageDraft{{Content: "x"}, {ConversationID: "7"}, {ConversationID: "7", Content: "x", Kind: "video"}} {
		if _, err := s2.SendMessage(ctx, d); !errors.Is(err, domain.ErrInvalidDraft) {
			t.Errorf("draft %+v: %v", d, err)
		}
	}
	for _, sig := range []domain.CallSignal{
		{Kind: domain.SignalOffer, CallID: "c", ConversationID: "7", Signal: []byte("not json")},
		{Kind: "wave", CallID: "c", ConversationID: "7"},
		{Kind: domain.SignalAccept, ConversationID: "7"},
	} {
		if err := s2.SendCallSignal(ctx, sig); !errors.Is(err, domain.ErrInvalidDraft) {
			t.Errorf("signal %+v: %v", sig, err)
		}
	}
}

func TestPresenceMembershipBecomesUserStatus(t *testing.T) {
	clk := clock.NewFake(received)
	s := newOffline(t, func(o *Options) { o.Clock = clk })
	ctx := testCtx(t)
	st := s.UserStatuses(ctx)
	expect := func(what string, want ...domain.UserStatusUpdate) {
		t.Helper()
		for _, w := range want {
			if got := recv(t, st, what); got != w {
				t.Fatalf("%s: got %+v, want %+v", what, got, w)
			}
		}
		none(t, st, what+": more")
	}
	on := func(id string) domain.UserStatusUpdate {
		return domain.UserStatusUpdate{UserID: id, Status: domain.StatusOnline}
	}
	off := func(id string) domain.UserStatusUpdate {
		return domain.UserStatusUpdate{UserID: id, Status: domain.StatusOffline, LastSeen: clk.Now()}
	}
	p := "presence-online"
	// Frames as the protocol client delivers them: MemberEvents says what
	// each changed, after its grace periods.
	members := func(ids ...string) []pusher.Member {
		out := make([]pusher.Member, len(ids))
		for i, id := range ids {
			out[i] = pusher.Member{ID: id}
		}
		return out
	}
	withEvents := func(f pusher.Frame, evs ...pusher.MemberEvent) pusher.Frame {
		f.MemberEvents = evs
		return f
	}
	replaced := func(ids ...string) pusher.MemberEvent {
		return pusher.MemberEvent{Kind: pusher.MembersReplaced, Members: members(ids...)}
	}
	added := func(id string) pusher.MemberEvent {
		return pusher.MemberEvent{Kind: pusher.MemberAdded, Member: pusher.Member{ID: id}}
	}
	removed := func(id string) pusher.MemberEvent {
		return pusher.MemberEvent{Kind: pusher.MemberRemoved, Member: pusher.Member{ID: id}}
	}
	raw := s.RawMessages(ctx)
	s.handleFrame(withEvents(frame(pusher.EventSubscriptionSucceeded, p, `{"presence":{"ids":[1,"2"],"hash":{"1":{"name":"Ann"},"2":null},"count":2}}`), replaced("1", "2")))
	expect("initial list", on("1"), on("2"))
	s.handleFrame(withEvents(frame(pusher.EventMemberAdded, p, `{"user_id":3,"user_info":{}}`), added("3")))
	expect("member added", on("3"))
	s.handleFrame(frame(pusher.EventMemberAdded, p, `{"user_id":"3"}`)) // known: the client changed nothing
	expect("added twice")
	s.handleFrame(frame(pusher.EventMemberRemoved, p, `{"user_id":"2"}`)) // in its grace period
	expect("removal in its grace period")
	clk.Advance(time.Minute)
	s.handleFrame(withEvents(pusher.Frame{Event: pusher.EventMemberRemoved, Channel: p, Data: []byte(`{"user_id":"2"}`), Synthetic: true}, removed("2")))
	expect("grace period over", off("2"))
	// A resubscription after a reconnect: only the difference is reported.
	s.handleFrame(withEvents(frame(pusher.EventSubscriptionSucceeded, p, `{"presence":{"ids":["1","3","4"],"hash":{},"count":3}}`), replaced("1", "3", "4")))
	expect("same members again", on("4"))
	s.handleFrame(withEvents(frame(pusher.EventSubscriptionSucceeded, p, `{"presence":{"ids":["1"],"hash":{},"count":1}}`), replaced("1")))
	expect("members gone meanwhile", off("3"), off("4"))
	// Another presence channel is not ours.
	s.handleFrame(withEvents(frame(pusher.EventMemberAdded, "presence-room", `{"user_id":"9"}`), added("9")))
	expect("other channel")
	// Every received frame reached RawMessages; the synthetic one did not.
	for range 7 {
		if f := recv(t, raw, "raw frame"); f.Data == nil {
			t.Fatalf("raw frame %+v without the bytes received", f)
		}
	}
	none(t, raw, "raw: the synthetic frame")
}

func TestDuplicateReceiptsAndCallEventsAreDropped(t *testing.T) {
	s := newOffline(t, nil)
	ctx := testCtx(t)
	reads, calls := s.ReadReceipts(ctx), s.Calls(ctx)
	for _, ch := range []string{"private-conversation.7", "private-user.1"} {
		s.handleFrame(frame(`App\Events\MessagesRead`, ch, `{"conversation_id":"7","user_id":"2","message_id":"m1"}`))
		s.handleFrame(frame(`App\Events\CallIncoming`, ch, `{"call":{"id":"c1","conversation_id":"7","caller_id":"2"}}`))
	}
	if r := recv(t, reads, "receipt"); r.MessageID != "m1" || r.UserID != "2" || !r.ReadAt.Equal(received) {
		t.Fatalf("receipt = %+v", r)
	}
	none(t, reads, "second receipt")
	if c := recv(t, calls, "call"); c.Kind != domain.CallIncoming || c.CallerID != "2" {
		t.Fatalf("call = %+v", c)
	}
	none(t, calls, "second call")
	// Signalling is never de-duplicated: two candidates may be equal.
	for range 2 {
		s.handleFrame(frame("client-call.ice_candidate", "private-conversation.7", `{"call_id":"c1","from":"2","candidate":{"c":1}}`))
	}
	recv(t, calls, "candidate 1")
	recv(t, calls, "candidate 2")
}

func TestHistoryKeepsTheLatestTypedEvents(t *testing.T) {
	s := newOffline(t, func(o *Options) { o.HistorySize = 3 })
	for i, id := range []string{"a", "b", "c", "d"} {
		s.handleFrame(frame(msgSent, "private-conversation.7", `{"id":"`+id+`"}`))
		if i == 1 {
			s.handleFrame(frame("client-typing", "private-conversation.7", `{"user_id":"2"}`))
		}
	}
	h := s.History()
	if len(h) != 3 {
		t.Fatalf("history has %d events", len(h))
	}
	// a, b, typing, c, d: the last three.
	if ti, ok := h[0].(domain.TypingIndicator); !ok || ti.UserID != "2" || ti.ConversationID != "7" || !ti.IsTyping {
		t.Fatalf("oldest = %+v", h[0])
	}
	for i, id := range []string{"c", "d"} {
		if m, ok := h[i+1].(domain.Message); !ok || m.ID != id {
			t.Fatalf("history[%d] = %+v, want message %s", i+1, h[i+1], id)
		}
	}
}

func TestCloseIsIdempotentAndEndsEveryStream(t *testing.T) {
	s := newOffline(t, nil)
	ctx := testCtx(t)
	msgs, errs, states := s.Messages(ctx), s.Errors(ctx), s.ConnectionStates(ctx)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	for _, closed := range []func() bool{
		func() bool { _, ok := <-msgs; return !ok },
		func() bool { _, ok := <-errs; return !ok },
		func() bool { _, ok := <-states; return !ok },
	} {
		if !closed() {
			t.Fatal("a stream is still open after Close")
		}
	}
	if err := s.Connect(ctx, "t"); !errors.Is(err, domain.ErrClosed) {
		t.Fatalf("Connect after Close: %v", err)
	}
	if err := s.Join(ctx, "9"); !errors.Is(err, domain.ErrClosed) {
		t.Fatalf("Join after Close: %v", err)
	}
	if st := s.ConnectionState(); st.Status != domain.Closed {
		t.Fatalf("state = %v", st.Status)
	}
}

func TestOptionsAreValidated(t *testing.T) {
	base := func() Options {
		return Options{Host: "h:1", Key: "k", AuthEndpoint: "http://h/broadcasting/auth", UserID: "1"}
	}
	for _, tc := range []struct {
		name   string
		mutate func(*Options)
	}{
		{"no host", func(o *Options) { o.Host = "" }},
		{"no auth", func(o *Options) { o.AuthEndpoint = "" }},
		{"no user for the user channel", func(o *Options) { o.UserID = "" }},
		{"pattern without id", func(o *Options) { o.ConversationChannel = "private-conversation" }},
		{"bad presence channel", func(o *Options) { o.PresenceChannel = "presence-" }},
		{"typing event not a client event", func(o *Options) { o.TypingEvent = "typing" }},
		{"bad conversation id", func(o *Options) { o.Conversations = []string{"a b"} }},
		{"ambiguous events", func(o *Options) {
			o.Events = map[string]Decoder{"MessageSent": DecodeMessage, `App\Events\MessageSent`: DecodeMessage}
		}},
		{"bad api url", func(o *Options) { o.API.BaseURL = "ftp://x" }},
	} {
		o := base()
		tc.mutate(&o)
		if s, err := New(o); err == nil {
			_ = s.Close()
			t.Errorf("%s: New accepted the options", tc.name)
		}
	}
	o := base()
	o.Conversations = []string{"7"}
	o.Events = DefaultEvents()
	s, err := New(o)
	if err != nil {
		t.Fatalf("valid options: %v", err)
	}
	defer s.Close()
	o.Conversations[0] = "changed"
	delete(o.Events, "MessageSent")
	if got := s.Conversations(); len(got) != 1 || got[0] != "7" {
		t.Fatalf("options not copied: %v", got)
	}
	if _, ok := s.events.lookup(msgSent); !ok {
		t.Fatal("events map not copied")
	}
}
