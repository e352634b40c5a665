package network

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"
)

// sendAsync starts m.Send(ctx, frame) and returns its result channel.
func sendAsync(ctx context.Context, m *ConnectionManager, frame string) <-chan error {
	res := make(chan error, 1)
	go func() { res <- m.Send(ctx, []byte(frame)) }()
	return res
}

// queue sends frames one after another, each once the previous one is
// queued, so that their order in the outbox is known.
func (h *harness) queue(ctx context.Context, frames ...string) []<-chan error {
	h.t.Helper()
	var res []<-chan error
	for _, f := range frames {
		n := h.outboxLen()
		res = append(res, sendAsync(ctx, h.m, f))
		h.waitOutbox(n + 1)
	}
	return res
}

func wantSent(t *testing.T, c *scriptedClient, want ...string) {
	t.Helper()
	if got := c.sentFrames(); !slices.Equal(got, want) {
		t.Fatalf("sent %q, want %q", got, want)
	}
}

func TestManagerOutboxFlushesInOrderAcrossReconnect(t *testing.T) {
	h := newHarness(t, nil, func(o *ManagerOptions) { o.HeartbeatInterval = time.Hour })
	ctx := t.Context()
	// Queued before the first connect.
	res := h.queue(ctx, "a", "b", "c")
	h.start()
	c1 := h.connectedClient()
	h.await(StateConnected)
	for _, r := range res {
		if err := recv(t, r); err != nil {
			t.Fatal(err)
		}
	}
	wantSent(t, c1, "a", "b", "c")
	if err := h.m.Send(ctx, []byte("d")); err != nil {
		t.Fatal(err)
	}
	wantSent(t, c1, "a", "b", "c", "d")

	// Queued while reconnecting.
	c1.drop(CloseAbnormal)
	sc := h.expect(StateReconnecting)
	res = h.queue(ctx, "e", "f", "g")
	h.sleepOut(sc.Delay)
	c2 := h.connectedClient()
	h.expect(StateConnected)
	for _, r := range res {
		if err := recv(t, r); err != nil {
			t.Fatal(err)
		}
	}
	if err := h.m.Send(ctx, []byte("h")); err != nil {
		t.Fatal(err)
	}
	wantSent(t, c2, "e", "f", "g", "h")
	wantSent(t, c1, "a", "b", "c", "d")
}

// While the outbox is being flushed, a new Send queues behind it instead of
// overtaking it.
func TestManagerNewSendsDoNotOvertakeTheFlush(t *testing.T) {
	release := make(chan struct{})
	h := newHarness(t, func(c *scriptedClient) {
		c.sendHook = func(c *scriptedClient, data []byte) error {
			if string(data) == "q1" {
				<-release // the flush stalls on its first frame
			}
			return nil
		}
	}, nil)
	ctx := t.Context()
	res := h.queue(ctx, "q1", "q2")
	h.start()
	c := h.connectedClient()
	h.expect(StateConnecting)
	// The flush is writing q1 now; a new Send must wait behind q2.
	late := sendAsync(ctx, h.m, "new")
	h.waitOutbox(2) // q2 and new
	close(release)
	h.expect(StateConnected)
	for _, r := range append(res, late) {
		if err := recv(t, r); err != nil {
			t.Fatal(err)
		}
	}
	wantSent(t, c, "q1", "q2", "new")
}

// A frame whose write fails because the connection just dropped goes back
// to the front of the outbox and out on the next connection.
func TestManagerSendRequeuedWhenConnectionDrops(t *testing.T) {
	h := newHarness(t, func(c *scriptedClient) {
		if c.n == 1 {
			c.sendHook = func(c *scriptedClient, data []byte) error {
				if string(data) == "lost?" {
					c.drop(CloseAbnormal)
					return ErrClosed
				}
				return nil
			}
		}
	}, nil)
	ctx := t.Context()
	if err := h.connect(); err != nil {
		t.Fatal(err)
	}
	c1 := h.connectedClient()
	h.await(StateConnected)
	res := sendAsync(ctx, h.m, "lost?")
	sc := h.await(StateReconnecting)
	h.waitOutbox(1)
	more := h.queue(ctx, "next")
	h.sleepOut(sc.Delay)
	c2 := h.connectedClient()
	if err := recv(t, res); err != nil {
		t.Fatalf("Send = %v, want nil once resent", err)
	}
	if err := recv(t, more[0]); err != nil {
		t.Fatal(err)
	}
	wantSent(t, c1)
	wantSent(t, c2, "lost?", "next")
}

// The same during a flush: the frame being flushed goes back to the front.
func TestManagerFlushRequeuesOnDrop(t *testing.T) {
	h := newHarness(t, func(c *scriptedClient) {
		if c.n == 1 {
			c.sendHook = func(c *scriptedClient, data []byte) error {
				if string(data) == "b" {
					c.drop(CloseAbnormal)
					return ErrClosed
				}
				return nil
			}
		}
	}, nil)
	ctx := t.Context()
	res := h.queue(ctx, "a", "b", "c")
	h.start()
	c1 := h.connectedClient()
	h.expect(StateConnecting)
	sc := h.expect(StateReconnecting) // never reported connected: the flush failed
	if !errors.Is(sc.Err, ErrClosed) {
		t.Fatalf("cause %v", sc.Err)
	}
	if err := recv(t, res[0]); err != nil {
		t.Fatal(err)
	}
	h.waitOutbox(2)
	h.sleepOut(sc.Delay)
	c2 := h.connectedClient()
	h.expect(StateConnected)
	for _, r := range res[1:] {
		if err := recv(t, r); err != nil {
			t.Fatal(err)
		}
	}
	wantSent(t, c1, "a")
	wantSent(t, c2, "b", "c")
}

func TestManagerOutboxFull(t *testing.T) {
	h := newHarness(t, nil, func(o *ManagerOptions) { o.OutboxSize = 2 })
	ctx := t.Context()
	res := h.queue(ctx, "a", "b")
	if err := h.m.Send(ctx, []byte("c")); !errors.Is(err, ErrOutboxFull) {
		t.Fatalf("third Send = %v, want ErrOutboxFull", err)
	}
	h.start()
	c := h.connectedClient()
	for _, r := range res {
		if err := recv(t, r); err != nil {
			t.Fatal(err)
		}
	}
	wantSent(t, c, "a", "b")
}

func TestManagerOutboxTTL(t *testing.T) {
	h := newHarness(t, nil, func(o *ManagerOptions) { o.OutboxTTL = time.Minute })
	ctx := t.Context()
	res := h.queue(ctx, "old")
	h.clk.Advance(30 * time.Second)
	res = append(res, h.queue(ctx, "young")...)
	h.clk.Advance(30 * time.Second)
	if err := recv(t, res[0]); !errors.Is(err, ErrExpired) {
		t.Fatalf("Send = %v, want ErrExpired", err)
	}
	if n := h.outboxLen(); n != 1 {
		t.Fatalf("outbox has %d frames, want 1", n)
	}
	h.start()
	c := h.connectedClient()
	if err := recv(t, res[1]); err != nil {
		t.Fatal(err)
	}
	wantSent(t, c, "young")
}

func TestManagerOutboxCtxCancelRemovesFrame(t *testing.T) {
	h := newHarness(t, nil, nil)
	ctx, cancel := context.WithCancel(t.Context())
	res := h.queue(ctx, "cancelled")
	keep := h.queue(t.Context(), "kept")
	cancel()
	if err := recv(t, res[0]); !errors.Is(err, context.Canceled) {
		t.Fatalf("Send = %v, want context.Canceled", err)
	}
	if n := h.outboxLen(); n != 1 {
		t.Fatalf("outbox has %d frames, want 1", n)
	}
	h.start()
	c := h.connectedClient()
	if err := recv(t, keep[0]); err != nil {
		t.Fatal(err)
	}
	wantSent(t, c, "kept")
	if err := h.m.Send(ctx, []byte("x")); !errors.Is(err, context.Canceled) {
		t.Fatalf("Send with a done ctx = %v", err)
	}
}

func TestManagerSendVolatile(t *testing.T) {
	h := newHarness(t, nil, nil)
	ctx := t.Context()
	if err := h.m.SendVolatile(ctx, []byte("typing")); !errors.Is(err, ErrNotConnected) {
		t.Fatalf("SendVolatile offline = %v, want ErrNotConnected", err)
	}
	if n := h.outboxLen(); n != 0 {
		t.Fatalf("a volatile frame was queued (%d)", n)
	}
	if err := h.connect(); err != nil {
		t.Fatal(err)
	}
	c := h.connectedClient()
	if err := h.m.SendVolatile(ctx, []byte("typing")); err != nil {
		t.Fatal(err)
	}
	wantSent(t, c, "typing")
	c.drop(CloseAbnormal)
	h.await(StateReconnecting)
	if err := h.m.SendVolatile(ctx, []byte("typing")); !errors.Is(err, ErrNotConnected) {
		t.Fatalf("SendVolatile while reconnecting = %v", err)
	}
	if n := h.outboxLen(); n != 0 {
		t.Fatalf("a volatile frame was queued (%d)", n)
	}
}

func TestManagerCloseFailsQueuedSends(t *testing.T) {
	h := newHarness(t, nil, nil)
	res := h.queue(t.Context(), "a", "b")
	closeWithin(t, h.m)
	for _, r := range res {
		if err := recv(t, r); !errors.Is(err, ErrClosed) {
			t.Fatalf("queued Send after Close = %v, want ErrClosed", err)
		}
	}
	if h.clk.Pending() != 0 {
		t.Fatalf("%d TTL timers left", h.clk.Pending())
	}
}

func TestManagerFailFailsQueuedSends(t *testing.T) {
	h := newHarness(t, func(c *scriptedClient) { c.connectErr = refused }, func(o *ManagerOptions) {
		o.MaxAttempts = 1
	})
	res := h.queue(t.Context(), "a")
	h.start()
	h.await(StateFailed)
	if err := recv(t, res[0]); !errors.Is(err, refused) {
		t.Fatalf("queued Send after failing = %v, want the cause", err)
	}
}

// Many goroutines sending while the connection drops and comes back: every
// Send returns nil exactly when its frame was written, once, and each
// goroutine's frames keep their order.
func TestManagerConcurrentSendsAcrossReconnects(t *testing.T) {
	h := newHarness(t, nil, func(o *ManagerOptions) { o.OutboxSize = 10000 })
	ctx := t.Context()
	if err := h.connect(); err != nil {
		t.Fatal(err)
	}
	const senders, each = 8, 50
	var wg sync.WaitGroup
	for s := range senders {
		wg.Go(func() {
			for i := range each {
				if err := h.m.Send(ctx, fmt.Appendf(nil, "%d-%d", s, i)); err != nil {
					t.Errorf("Send: %v", err)
					return
				}
			}
		})
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	var clients []*scriptedClient
	for stop := false; !stop; {
		select {
		case c := <-h.srv.connected:
			clients = append(clients, c)
			if len(clients) < 5 {
				c.drop(CloseAbnormal)
			}
		case sc := <-h.states:
			if sc.State == StateReconnecting {
				h.sleepOut(sc.Delay)
			}
		case <-done:
			stop = true
		case <-time.After(waitLimit):
			t.Fatal("senders stuck")
		}
	}
	// A client announced as the senders finished may not have been taken
	// yet (select picks among ready cases at random): it holds frames too.
	for more := true; more; {
		select {
		case c := <-h.srv.connected:
			clients = append(clients, c)
		default:
			more = false
		}
	}
	seen := map[string]int{}
	last := map[int]int{}
	for _, c := range clients {
		for _, f := range c.sentFrames() {
			seen[f]++
			var s, i int
			fmt.Sscanf(f, "%d-%d", &s, &i)
			if prev, ok := last[s]; ok && i <= prev {
				t.Fatalf("sender %d: frame %d after %d", s, i, prev)
			}
			last[s] = i
		}
	}
	if len(seen) != senders*each {
		t.Fatalf("%d distinct frames written, want %d", len(seen), senders*each)
	}
	for f, n := range seen {
		if n != 1 {
			t.Fatalf("frame %s written %d times", f, n)
		}
	}
}

// Once a frame went back to the outbox because its connection failed under
// the write, later Sends queue behind it instead of trying the same
// connection again and overtaking it.
func TestManagerSendsQueueBehindARequeuedFrame(t *testing.T) {
	h := newHarness(t, func(c *scriptedClient) {
		if c.n == 1 {
			c.sendHook = func(c *scriptedClient, data []byte) error {
				if string(data) == "x" {
					return ErrClosed // the write failed; the loop has not noticed yet
				}
				return nil
			}
		}
	}, nil)
	ctx := t.Context()
	if err := h.connect(); err != nil {
		t.Fatal(err)
	}
	c1 := h.connectedClient()
	h.await(StateConnected)
	x := sendAsync(ctx, h.m, "x")
	h.waitOutbox(1)
	y := sendAsync(ctx, h.m, "y")
	h.waitOutbox(2)
	c1.drop(CloseAbnormal)
	sc := h.await(StateReconnecting)
	h.sleepOut(sc.Delay)
	c2 := h.connectedClient()
	for _, r := range []<-chan error{x, y} {
		if err := recv(t, r); err != nil {
			t.Fatal(err)
		}
	}
	wantSent(t, c1)
	wantSent(t, c2, "x", "y")
}

// A frame whose TTL ran out while it was being written, and whose write
// then failed with the connection, expires instead of going back.
func TestManagerRequeuedFrameKeepsItsDeadline(t *testing.T) {
	release := make(chan struct{})
	h := newHarness(t, func(c *scriptedClient) {
		if c.n == 1 {
			c.sendHook = func(c *scriptedClient, data []byte) error {
				<-release
				c.drop(CloseAbnormal)
				return ErrClosed
			}
		}
	}, func(o *ManagerOptions) { o.OutboxTTL = time.Minute })
	res := h.queue(t.Context(), "slow")
	h.start()
	h.dialedClient()
	h.waitOutbox(0) // taken by the flush, now being written
	h.clk.Advance(2 * time.Minute)
	close(release)
	if err := recv(t, res[0]); !errors.Is(err, ErrExpired) {
		t.Fatalf("Send = %v, want ErrExpired", err)
	}
	if n := h.outboxLen(); n != 0 {
		t.Fatalf("outbox has %d frames", n)
	}
}
