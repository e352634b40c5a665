package presentation

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/chatwire/chatwire/core/clock"
	"github.com/chatwire/chatwire/domain"
	"github.com/chatwire/chatwire/domain/domaintest"
	"github.com/chatwire/chatwire/mocks/domainmock"
	"go.uber.org/mock/gomock"
)

// t0 is where every fake clock starts.
var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// waitLimit guards against deadlocks only; nothing is asserted about speed.
const waitLimit = 5 * time.Second

// hub fans values out to every subscription a notifier makes on the mock,
// and closes a subscription's channel when its context ends, as a real data
// source does.
type hub[T any] struct {
	mu   sync.Mutex
	subs map[chan T]struct{}
}

func newHub[T any]() *hub[T] { return &hub[T]{subs: make(map[chan T]struct{})} }

func (h *hub[T]) subscribe(ctx context.Context) <-chan T {
	ch := make(chan T, 64)
	h.mu.Lock()
	h.subs[ch] = struct{}{}
	h.mu.Unlock()
	context.AfterFunc(ctx, func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		if _, ok := h.subs[ch]; ok {
			delete(h.subs, ch)
			close(ch)
		}
	})
	return ch
}

func (h *hub[T]) push(t *testing.T, vs ...T) {
	t.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.subs) == 0 {
		t.Fatalf("push %T: nobody subscribed", vs)
	}
	for ch := range h.subs {
		for _, v := range vs {
			select {
			case ch <- v:
			default:
				t.Fatalf("push %T: subscriber buffer full", v)
			}
		}
	}
}

// closeAll ends every subscription, as a closing data source does.
func (h *hub[T]) closeAll() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.subs {
		delete(h.subs, ch)
		close(ch)
	}
}

// source is a gomock data source whose streams are hubs the test pushes on.
type source struct {
	*domainmock.MockChatWebSocketDataSource
	clock    *clock.Fake
	messages *hub[domain.Message]
	typing   *hub[domain.TypingIndicator]
	statuses *hub[domain.UserStatusUpdate]
	updates  *hub[domain.ConversationUpdate]
	receipts *hub[domain.ReadReceipt]
	calls    *hub[domain.CallEvent]
	states   *hub[domain.ConnectionState]
	errs     *hub[error]

	mu    sync.Mutex
	state domain.ConnectionState
}

const me = "u-me"

func newSource(t *testing.T) *source {
	t.Helper()
	ctrl := gomock.NewController(t)
	s := &source{
		MockChatWebSocketDataSource: domainmock.NewMockChatWebSocketDataSource(ctrl),
		clock:                       clock.NewFake(t0),
		messages:                    newHub[domain.Message](),
		typing:                      newHub[domain.TypingIndicator](),
		statuses:                    newHub[domain.UserStatusUpdate](),
		updates:                     newHub[domain.ConversationUpdate](),
		receipts:                    newHub[domain.ReadReceipt](),
		calls:                       newHub[domain.CallEvent](),
		states:                      newHub[domain.ConnectionState](),
		errs:                        newHub[error](),
		state:                       domain.ConnectionState{Status: domain.Connected, UserID: me, SessionID: "s-1", Sync: domain.SyncComplete},
	}
	e := s.EXPECT()
	e.Messages(gomock.Any()).DoAndReturn(s.messages.subscribe).AnyTimes()
	e.Typing(gomock.Any()).DoAndReturn(s.typing.subscribe).AnyTimes()
	e.UserStatuses(gomock.Any()).DoAndReturn(s.statuses.subscribe).AnyTimes()
	e.ConversationUpdates(gomock.Any()).DoAndReturn(s.updates.subscribe).AnyTimes()
	e.ReadReceipts(gomock.Any()).DoAndReturn(s.receipts.subscribe).AnyTimes()
	e.Calls(gomock.Any()).DoAndReturn(s.calls.subscribe).AnyTimes()
	e.ConnectionStates(gomock.Any()).DoAndReturn(s.states.subscribe).AnyTimes()
	e.Errors(gomock.Any()).DoAndReturn(s.errs.subscribe).AnyTimes()
	e.ConnectionState().DoAndReturn(func() domain.ConnectionState {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.state
	}).AnyTimes()
	return s
}

func (s *source) setState(st domain.ConnectionState) {
	s.mu.Lock()
	s.state = st
	s.mu.Unlock()
}

// recorder collects values sent from any goroutine, for the test to await.
type recorder[T any] struct{ ch chan T }

func newRecorder[T any]() *recorder[T] { return &recorder[T]{ch: make(chan T, 64)} }

func (r *recorder[T]) add(v T) { r.ch <- v }

// next waits for the next recorded value.
func (r *recorder[T]) next(t *testing.T) T {
	t.Helper()
	select {
	case v := <-r.ch:
		return v
	case <-time.After(waitLimit):
		var zero T
		t.Fatalf("timed out waiting for a %T", zero)
		return zero
	}
}

// none asserts nothing more was recorded.
func (r *recorder[T]) none(t *testing.T) {
	t.Helper()
	select {
	case v := <-r.ch:
		t.Fatalf("unexpected %+v", v)
	default:
	}
}

// waitFor reads snapshots from ch until ok accepts one.
func waitFor[T any](t *testing.T, ch <-chan T, what string, ok func(T) bool) T {
	t.Helper()
	limit := time.After(waitLimit)
	for {
		select {
		case v, open := <-ch:
			if !open {
				t.Fatalf("changes closed while waiting for %s", what)
			}
			if ok(v) {
				return v
			}
		case <-limit:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// assertClosed waits for ch to be closed, draining what it still holds.
func assertClosed[T any](t *testing.T, ch <-chan T) {
	t.Helper()
	limit := time.After(waitLimit)
	for {
		select {
		case _, open := <-ch:
			if !open {
				return
			}
		case <-limit:
			t.Fatal("channel not closed")
		}
	}
}

// gomock_any is gomock.Any, for tests that otherwise need no gomock import.
func gomock_any() gomock.Matcher { return gomock.Any() }

// newFake returns a domaintest.Source connected as me, closed at the end
// of the test.
func newFake(t *testing.T, opts domaintest.Options) *domaintest.Source {
	t.Helper()
	if opts.UserID == "" {
		opts.UserID = me
	}
	if opts.Now == nil {
		opts.Now = func() time.Time { return t0 }
	}
	src := domaintest.NewSource(opts)
	t.Cleanup(func() { _ = src.Close() })
	if err := src.Connect(t.Context(), "token"); err != nil {
		t.Fatal(err)
	}
	return src
}

// nextSend waits for the next send made on src.
func nextSend(t *testing.T, src *domaintest.Source) *domaintest.Send {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), waitLimit)
	defer cancel()
	s, err := src.NextSend(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func timeAfterLimit() <-chan time.Time { return time.After(waitLimit) }

// waitUntil polls cond until it holds; for state with no change stream.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}
