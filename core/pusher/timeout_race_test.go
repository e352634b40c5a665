package pusher_test

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/chatwire/chatwire/core/clock"
	"github.com/chatwire/chatwire/core/pusher"
)

// gateHandler is a slog handler that holds the goroutine logging msg, the
// first time, until the test opens the gate.
type gateHandler struct {
	msg     string
	once    *sync.Once
	entered chan struct{}
	open    chan struct{}
}

func (h gateHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h gateHandler) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h gateHandler) WithGroup(string) slog.Handler            { return h }
func (h gateHandler) Handle(_ context.Context, r slog.Record) error {
	if r.Message == h.msg {
		h.once.Do(func() {
			close(h.entered)
			<-h.open
		})
	}
	return nil
}

// entered waits until gate closes.
func entered(t *testing.T, gate <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-gate:
	case <-time.After(wait):
		t.Fatalf("%s: not within %v", what, wait)
	}
}

// drain returns what the client sent on fc until the connection ended.
func drain(t *testing.T, fc *fakeConn) []pusher.Frame {
	t.Helper()
	var fs []pusher.Frame
	for {
		select {
		case f, ok := <-fc.in:
			if !ok {
				return fs
			}
			fs = append(fs, f)
		case <-time.After(wait):
			t.Fatal("the connection did not end")
		}
	}
}

// The subscribe timeout and the server's answer race: the timer fires
// first, and the answer arrives while the attempt is acting on it. The
// timer fired first, so the timeout is the outcome, decided at once and
// whole: Subscribe returns it and the subscription is taken back. It must
// not report success and then fail and take back the subscription it
// reported (the check-then-fail this test was written for).
func TestSubscribeTimeoutRacesAnswer(t *testing.T) {
	fs := newFakeServer(t)
	clk := clock.NewFake(time.Now())
	h := gateHandler{msg: "pusher: subscription unanswered", once: new(sync.Once), entered: make(chan struct{}), open: make(chan struct{})}
	opened := false
	openGate := func() {
		if !opened {
			opened = true
			close(h.open)
		}
	}
	c, err := pusher.New(pusher.Options{Host: fs.host(), Key: "key", Logger: slog.New(h), Manager: fakeManager(clk)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	t.Cleanup(openGate) // first: Close waits for the held goroutine
	ctx := testCtx(t)
	connected := make(chan error, 1)
	go func() { connected <- c.Connect(ctx) }()
	fc := fs.accept("1.1")
	if err := recv(t, connected, "connect"); err != nil {
		t.Fatal(err)
	}
	errs := c.Errors(ctx)
	subscribed := make(chan error, 1)
	go func() {
		_, err := c.Subscribe(ctx, "x")
		subscribed <- err
	}()
	fc.expect(pusher.EventSubscribe)
	clk.Advance(pusher.DefaultSubscribeTimeout)
	entered(t, h.entered, "the timeout acting")
	fc.send(`{"event":"pusher_internal:subscription_succeeded","channel":"x","data":"{}"}`)
	err = recv(t, subscribed, "subscribe")
	openGate()
	_ = c.Close() // the attempt has ended: what it sent is on the wire
	var reported []error
	for e := range errs {
		reported = append(reported, e)
	}
	takenBack := false
	for _, f := range drain(t, fc) {
		if f.Event == pusher.EventUnsubscribe && subscribeData(t, f).Channel == "x" {
			takenBack = true
		}
	}
	if err == nil {
		t.Fatalf("Subscribe succeeded after its timeout fired; then taken back: %v, failed on Errors: %v", takenBack, reported)
	}
	if !errors.Is(err, pusher.ErrSubscribeTimeout) || !takenBack || len(reported) > 0 {
		t.Fatalf("Subscribe = %v, taken back %v, reported %v: want the timeout, taken back, not reported", err, takenBack, reported)
	}
}
