package pusher_test

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chatwire/chatwire/core/clock"
	"github.com/chatwire/chatwire/core/network"
	"github.com/chatwire/chatwire/core/pusher"
)

// handlerLog writes frames and states into a slice without a lock: the
// race detector fails the test if two goroutines ever call Frame or State.
// Errors may come from any goroutine and are kept under a lock.
type handlerLog struct {
	events []string
	got    chan struct{} // takes one value when the frame of event "test-end" arrives

	mu   sync.Mutex
	errs []error
}

func (h *handlerLog) Frame(f pusher.Frame) {
	h.events = append(h.events, "frame "+f.Event)
	if f.Event == "test-end" {
		h.got <- struct{}{}
	}
}

func (h *handlerLog) State(sc network.StateChange) {
	h.events = append(h.events, "state "+sc.State.String())
}

func (h *handlerLog) Error(err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.errs = append(h.errs, err)
}

// The Handler takes the frames and the state changes on one goroutine,
// the frames in their order, the errors as Errors has them, and nothing
// after Close returns.
func TestHandlerTakesEveryEventInOrder(t *testing.T) {
	fs := newFakeServer(t)
	h := &handlerLog{got: make(chan struct{}, 1)}
	c, err := pusher.New(pusher.Options{Host: fs.host(), Key: "key", Manager: fakeManager(clock.NewFake(time.Now())), Handler: h})
	if err != nil {
		t.Fatal(err)
	}
	errs := c.Errors(testCtx(t))
	done := make(chan error, 1)
	go func() { done <- c.Connect(testCtx(t)) }()
	fc := fs.accept("1.1")
	if err := recv(t, done, "connect"); err != nil {
		t.Fatal(err)
	}
	fc.send(`{"event":"a","channel":"public-x","data":"{}"}`)
	fc.send(`{"event":"b","channel":"public-x","data":"{}"}`)
	fc.send(`{"event":"pusher:error","data":{"code":null,"message":"x"}}`) // an error without a code: reported
	fc.send(`{"event":"test-end","channel":"public-x","data":"{}"}`)
	recv(t, h.got, "the last frame")
	want := recv(t, errs, "the reported error")
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}

	// After Close the log is this goroutine's. Frames come in their order;
	// a state change may come before or after the frames around it.
	var frames []string
	for _, e := range h.events {
		if f, ok := strings.CutPrefix(e, "frame "); ok {
			frames = append(frames, f)
		}
	}
	if !slices.Equal(frames, []string{"pusher:connection_established", "a", "b", "pusher:error", "test-end"}) ||
		!slices.Contains(h.events, "state connecting") || !slices.Contains(h.events, "state connected") {
		t.Fatalf("handler events %q", h.events)
	}
	h.mu.Lock()
	got := fmt.Sprint(h.errs)
	h.mu.Unlock()
	if !strings.Contains(got, want.Error()) {
		t.Fatalf("handler errors %s, Errors carried %v", got, want)
	}
	n := len(h.events)
	time.Sleep(10 * time.Millisecond)
	if len(h.events) != n {
		t.Fatalf("handler called after Close: %q", h.events[n:])
	}
}
