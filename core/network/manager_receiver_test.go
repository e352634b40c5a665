package network

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"
)

// loopLog is a Receiver that writes every event into a slice without a
// lock, as a session owner keeps its state: the race detector fails the
// test if two goroutines ever reach it. The handshake and posted calls
// write into the same slice.
type loopLog struct {
	events []string
	onFail func() // called inside State(StateFailed), if set
}

func (l *loopLog) Frame(f Frame) {
	l.events = append(l.events, fmt.Sprintf("frame %d %s", f.Conn, f.Data))
}

func (l *loopLog) State(sc StateChange) {
	l.events = append(l.events, "state "+sc.State.String())
	if sc.State == StateFailed && l.onFail != nil {
		l.onFail()
	}
}

// The Receiver takes the frames (the handshake's first) and the loop's
// state changes, one call at a time and in order, on the goroutine that
// runs the handshake and the posted calls; Frames carries nothing.
func TestReceiverTakesEveryEventOnTheLoop(t *testing.T) {
	log := &loopLog{}
	h := newHarness(t, func(c *scriptedClient) {
		c.frames <- []byte("hello")
	}, func(o *ManagerOptions) {
		o.Receiver = log
		o.Handshake = func(ctx context.Context, conn HandshakeConn) (HandshakeResult, error) {
			f, err := conn.Read(ctx)
			if err != nil {
				return HandshakeResult{}, err
			}
			log.events = append(log.events, "handshake read "+string(f))
			return HandshakeResult{}, nil
		}
	})
	frames := h.m.Frames(t.Context())
	if err := h.connect(); err != nil {
		t.Fatal(err)
	}
	c := h.connectedClient()
	c.push(t, "a")
	c.push(t, "b")
	posted := make(chan string, 1)
	post := func(event string) {
		t.Helper()
		if !h.m.Post(func() {
			log.events = append(log.events, event)
			posted <- event
		}) {
			t.Fatalf("Post of %q refused by a running loop", event)
		}
		recv(t, posted)
	}
	post("posted")
	c.drop(CloseGoingAway)
	h.await(StateReconnecting)
	post("posted while waiting") // for the reconnect delay
	h.m.Close()

	// A posted call runs between two events, in no set order with frames
	// that were waiting too.
	i := slices.Index(log.events, "posted")
	if i < 0 || i < slices.Index(log.events, "state connected") || i > slices.Index(log.events, "state reconnecting") {
		t.Fatalf("posted call out of place: %q", log.events)
	}
	events := slices.Delete(slices.Clone(log.events), i, i+1)
	want := []string{
		"state connecting",
		"frame 1 hello",
		"handshake read hello",
		"state connected",
		"frame 1 a",
		"frame 1 b",
		"state reconnecting",
		"posted while waiting",
	}
	if !slices.Equal(events, want) {
		t.Fatalf("events:\n%q\nwant (besides the posted call)\n%q", log.events, want)
	}
	select {
	case f, ok := <-frames:
		if ok {
			t.Fatalf("Frames carried %q beside the Receiver", f.Data)
		}
	default:
	}
}

// Post refuses when no loop runs: before Connect, after StateFailed, after
// Close.
func TestPostWithoutALoop(t *testing.T) {
	h := newHarness(t, func(c *scriptedClient) { c.connectErr = refused }, func(o *ManagerOptions) {
		o.MaxAttempts = 1
	})
	ran := false
	if h.m.Post(func() { ran = true }) {
		t.Fatal("Post accepted before Connect")
	}
	if err := h.connect(); err == nil {
		t.Fatal("Connect succeeded against a refusing server")
	}
	h.await(StateFailed)
	if h.m.Post(func() { ran = true }) {
		t.Fatal("Post accepted after StateFailed")
	}
	h.m.Close()
	if h.m.Post(func() { ran = true }) || ran {
		t.Fatal("Post accepted after Close")
	}
}

// A Connect right after StateFailed starts the next loop only once the
// failed one has returned, so the Receiver never sees two loops at once:
// the failed loop may still be inside State(StateFailed).
func TestNextLoopWaitsForTheFailedOne(t *testing.T) {
	release := make(chan struct{})
	inFailed := make(chan struct{})
	log := &loopLog{}
	failures := 0
	log.onFail = func() {
		if failures++; failures == 1 {
			inFailed <- struct{}{}
			<-release
			log.events = append(log.events, "first loop ends")
		}
	}
	h := newHarness(t, func(c *scriptedClient) { c.connectErr = refused }, func(o *ManagerOptions) {
		o.MaxAttempts = 1
		o.Receiver = log
	})
	go h.connect()
	select {
	case <-inFailed:
	case <-time.After(waitLimit):
		t.Fatal("no StateFailed")
	}
	// Connect sees StateFailed while the Receiver is still inside it.
	again := h.start()
	h.await(StateFailed)
	h.await(StateConnecting)
	close(release)
	if err := recv(t, again); err == nil {
		t.Fatal("Connect succeeded against a refusing server")
	}
	h.m.Close()
	want := []string{"state connecting", "state failed", "first loop ends", "state connecting", "state failed"}
	if !slices.Equal(log.events, want) {
		t.Fatalf("events %q, want %q", log.events, want)
	}
}
