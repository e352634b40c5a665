package stream_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/chatwire/chatwire/core/stream"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// hang bounds every wait; it is a guard against deadlocks, not a timing
// assertion.
const hang = 10 * time.Second

func recvAll[T any](t *testing.T, ch <-chan T) []T {
	t.Helper()
	var out []T
	for {
		select {
		case v, ok := <-ch:
			if !ok {
				return out
			}
			out = append(out, v)
		case <-time.After(hang):
			t.Fatal("channel never closed")
		}
	}
}

func recvOne[T any](t *testing.T, ch <-chan T) T {
	t.Helper()
	select {
	case v, ok := <-ch:
		if !ok {
			t.Fatal("channel closed")
		}
		return v
	case <-time.After(hang):
		t.Fatal("nothing received")
	}
	var zero T
	return zero
}

func waitClosed(t *testing.T, done <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-done:
	case <-time.After(hang):
		t.Fatalf("%s: still blocked", what)
	}
}

// stillBlocked fails if returned is closed within a short while: the
// publisher should be waiting. It also gives the publisher time to reach
// its wait, so the step that follows tests waking it.
func stillBlocked(t *testing.T, returned <-chan struct{}) {
	t.Helper()
	select {
	case <-returned:
		t.Fatal("Publish returned while the Block subscriber was full")
	case <-time.After(20 * time.Millisecond):
	}
}

func waitLen[T any](t *testing.T, b *stream.Broadcaster[T], n int) {
	t.Helper()
	deadline := time.Now().Add(hang)
	for b.Len() != n {
		if time.Now().After(deadline) {
			t.Fatalf("Len = %d, want %d", b.Len(), n)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestFanOutInOrder(t *testing.T) {
	b := stream.NewBroadcaster[int](stream.Options{})
	ctx := t.Context()
	subs := []<-chan int{
		b.Subscribe(ctx),
		b.SubscribeWith(ctx, stream.SubscribeOptions{Buffer: 100}),
		b.SubscribeWith(ctx, stream.SubscribeOptions{Policy: stream.Block, Buffer: 1}),
	}
	if b.Len() != 3 {
		t.Fatalf("Len = %d", b.Len())
	}
	var wg sync.WaitGroup
	got := make([][]int, len(subs))
	for i, ch := range subs {
		wg.Go(func() {
			for len(got[i]) < 100 {
				got[i] = append(got[i], recvOne(t, ch))
			}
		})
	}
	for v := range 100 {
		b.Publish(v)
	}
	wg.Wait()
	b.Close()
	for i, vs := range got {
		if len(vs) != 100 {
			t.Fatalf("subscriber %d got %d values, want 100", i, len(vs))
		}
		for j, v := range vs {
			if v != j {
				t.Fatalf("subscriber %d: value %d is %d", i, j, v)
			}
		}
	}
}

func TestSubscriberSeesOnlyLaterValues(t *testing.T) {
	b := stream.NewBroadcaster[string](stream.Options{})
	b.Publish("before")
	ch := b.Subscribe(t.Context())
	b.Publish("after")
	b.Close()
	if got := recvAll(t, ch); len(got) != 1 || got[0] != "after" {
		t.Fatalf("got %q", got)
	}
}

func TestCtxEndClosesSubscription(t *testing.T) {
	for _, policy := range []stream.Policy{stream.Evict, stream.Block} {
		t.Run(fmt.Sprint(policy), func(t *testing.T) {
			b := stream.NewBroadcaster[int](stream.Options{})
			defer b.Close()
			ctx, cancel := context.WithCancel(t.Context())
			ch := b.SubscribeWith(ctx, stream.SubscribeOptions{Policy: policy})
			other := b.Subscribe(t.Context())
			b.Publish(1)
			cancel()
			if got := recvAll(t, ch); len(got) > 1 {
				t.Fatalf("got %v after cancel", got)
			}
			waitLen(t, b, 1)
			b.Publish(2) // reaches only the live subscriber
			if v := recvOne(t, other); v != 1 {
				t.Fatalf("other got %d", v)
			}
			if v := recvOne(t, other); v != 2 {
				t.Fatalf("other got %d", v)
			}
		})
	}
}

func TestSubscribeWithDoneCtx(t *testing.T) {
	b := stream.NewBroadcaster[int](stream.Options{})
	defer b.Close()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	ch := b.Subscribe(ctx)
	recvAll(t, ch)
	waitLen(t, b, 0)
}

func TestSubscribeAfterClose(t *testing.T) {
	b := stream.NewBroadcaster[int](stream.Options{})
	b.Close()
	b.Close() // idempotent
	if got := recvAll(t, b.Subscribe(t.Context())); len(got) != 0 {
		t.Fatalf("got %v", got)
	}
	b.Publish(1) // a no-op, no panic
	if b.Len() != 0 {
		t.Fatalf("Len = %d", b.Len())
	}
}

// An Evict subscriber that falls a full buffer behind is cut off: it keeps
// what was buffered, its channel closes, OnEvict gets ErrSlowConsumer, and
// the publisher and the other subscribers never wait for it.
func TestEvictSlowConsumer(t *testing.T) {
	var evicted []error
	var mu sync.Mutex
	b := stream.NewBroadcaster[int](stream.Options{OnEvict: func(err error) {
		mu.Lock()
		evicted = append(evicted, err)
		mu.Unlock()
	}})
	defer b.Close()
	slow := b.SubscribeWith(t.Context(), stream.SubscribeOptions{Buffer: 2})
	fast := b.SubscribeWith(t.Context(), stream.SubscribeOptions{Buffer: 100})

	published := make(chan struct{})
	go func() {
		for v := range 10 {
			b.Publish(v)
		}
		close(published)
	}()
	waitClosed(t, published, "publisher blocked by a slow Evict subscriber")

	if got := recvAll(t, slow); len(got) != 2 || got[0] != 0 || got[1] != 1 {
		t.Fatalf("slow subscriber got %v, want the 2 buffered values", got)
	}
	mu.Lock()
	if len(evicted) != 1 || !errors.Is(evicted[0], stream.ErrSlowConsumer) {
		t.Fatalf("OnEvict got %v, want one ErrSlowConsumer", evicted)
	}
	mu.Unlock()
	if b.Len() != 1 {
		t.Fatalf("Len = %d after eviction", b.Len())
	}
	for v := range 10 {
		if got := recvOne(t, fast); got != v {
			t.Fatalf("fast subscriber got %d, want %d", got, v)
		}
	}
}

func TestDefaultBuffer(t *testing.T) {
	var evictions atomic.Int32
	b := stream.NewBroadcaster[int](stream.Options{OnEvict: func(error) { evictions.Add(1) }})
	defer b.Close()
	ch := b.Subscribe(t.Context())
	for v := range stream.DefaultBuffer {
		b.Publish(v)
	}
	if evictions.Load() != 0 {
		t.Fatal("evicted within the default buffer")
	}
	b.Publish(-1)
	if evictions.Load() != 1 {
		t.Fatal("not evicted one value past the default buffer")
	}
	// The channel's values stay readable; those queued beyond it go with
	// the subscription.
	if got := recvAll(t, ch); len(got) != stream.ChannelSlots {
		t.Fatalf("got %d values, want the %d of the channel", len(got), stream.ChannelSlots)
	}

	b2 := stream.NewBroadcaster[int](stream.Options{Buffer: 3})
	defer b2.Close()
	ch2 := b2.Subscribe(t.Context())
	for v := range 4 {
		b2.Publish(v)
	}
	if got := recvAll(t, ch2); len(got) != 3 {
		t.Fatalf("Options.Buffer 3: got %d values before eviction", len(got))
	}
}

// A Block subscriber makes Publish wait for room; nothing is lost.
func TestBlockWaitsForRoom(t *testing.T) {
	b := stream.NewBroadcaster[int](stream.Options{OnEvict: func(error) { t.Error("a Block subscriber was evicted") }})
	defer b.Close()
	ch := b.SubscribeWith(t.Context(), stream.SubscribeOptions{Policy: stream.Block, Buffer: 1})
	b.Publish(1)
	returned := make(chan struct{})
	go func() {
		b.Publish(2)
		close(returned)
	}()
	stillBlocked(t, returned)
	if v := recvOne(t, ch); v != 1 {
		t.Fatalf("got %d", v)
	}
	waitClosed(t, returned, "Publish after room was made")
	if v := recvOne(t, ch); v != 2 {
		t.Fatalf("got %d", v)
	}
}

func TestBlockUnblocksOnCtx(t *testing.T) {
	b := stream.NewBroadcaster[int](stream.Options{})
	defer b.Close()
	ctx, cancel := context.WithCancel(t.Context())
	ch := b.SubscribeWith(ctx, stream.SubscribeOptions{Policy: stream.Block, Buffer: 1})
	b.Publish(1)
	returned := make(chan struct{})
	go func() {
		b.Publish(2)
		close(returned)
	}()
	stillBlocked(t, returned)
	cancel()
	waitClosed(t, returned, "Publish after the Block subscriber's ctx ended")
	if got := recvAll(t, ch); len(got) > 2 {
		t.Fatalf("got %v", got)
	}
}

func TestBlockUnblocksOnClose(t *testing.T) {
	b := stream.NewBroadcaster[int](stream.Options{})
	ch := b.SubscribeWith(t.Context(), stream.SubscribeOptions{Policy: stream.Block, Buffer: 1})
	b.Publish(1)
	returned := make(chan struct{})
	go func() {
		b.Publish(2)
		close(returned)
	}()
	stillBlocked(t, returned)
	closed := make(chan struct{})
	go func() {
		b.Close()
		close(closed)
	}()
	waitClosed(t, closed, "Close with a blocked publisher")
	waitClosed(t, returned, "Publish after Close")
	if got := recvAll(t, ch); len(got) < 1 || got[0] != 1 {
		t.Fatalf("got %v", got)
	}
}

// Publishers, subscribers coming and going, and Close all at once: no
// send on a closed channel (which would panic), no race, every channel
// closed once Close returns and nothing sent on it afterwards.
func TestCloseUnderConcurrency(t *testing.T) {
	for round := range 20 {
		b := stream.NewBroadcaster[int](stream.Options{Buffer: 4})
		var subs sync.WaitGroup
		var chans []<-chan int
		var chMu sync.Mutex
		subscribe := func(ctx context.Context, p stream.Policy) {
			ch := b.SubscribeWith(ctx, stream.SubscribeOptions{Policy: p})
			chMu.Lock()
			chans = append(chans, ch)
			chMu.Unlock()
			subs.Go(func() {
				for range ch {
					if p == stream.Block {
						time.Sleep(time.Microsecond)
					}
				}
			})
		}
		for i := range 6 {
			subscribe(t.Context(), stream.Policy(i%2))
		}
		stop := make(chan struct{})
		var pubs sync.WaitGroup
		for range 4 {
			pubs.Go(func() {
				for v := 0; ; v++ {
					select {
					case <-stop:
						return
					default:
					}
					b.Publish(v)
				}
			})
		}
		pubs.Go(func() { // churn: subscriptions ending by ctx
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				ctx, cancel := context.WithCancel(t.Context())
				subscribe(ctx, stream.Policy(i%2))
				cancel()
			}
		})
		time.Sleep(time.Millisecond)
		b.Close()
		// After Close returns every channel is closed: reading ends.
		chMu.Lock()
		snapshot := append([]<-chan int(nil), chans...)
		chMu.Unlock()
		for _, ch := range snapshot {
			for range ch {
			}
		}
		close(stop)
		pubs.Wait()
		subs.Wait()
		if b.Len() != 0 {
			t.Fatalf("round %d: Len = %d after Close", round, b.Len())
		}
	}
}

func Example() {
	b := stream.NewBroadcaster[string](stream.Options{
		OnEvict: func(err error) { fmt.Println("evicted:", err) },
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch := b.SubscribeWith(ctx, stream.SubscribeOptions{Buffer: 1})
	b.Publish("hello")
	b.Publish("world") // the buffer of 1 is full: the subscriber is cut off
	b.Close()
	for v := range ch {
		fmt.Println(v)
	}
	// Output:
	// evicted: stream: subscriber too slow, subscription closed
	// hello
}

// blockBuffers are the Block buffers the tests run with: within the
// channel (the publisher waits on the channel) and beyond it (a queue and
// its feeder take the rest).
var blockBuffers = []int{1, stream.ChannelSlots, 100}

// A Block subscriber that keeps reading gets every value in order however
// far ahead the publisher runs: the publisher waits, nothing is cut off.
// The stall bound is generous: the reader never stops, so it must never be
// reached.
func TestBlockIsLosslessForADrainingSubscriber(t *testing.T) {
	for _, buffer := range blockBuffers {
		t.Run(fmt.Sprint("buffer=", buffer), func(t *testing.T) {
			const n = 100_000
			var evictions atomic.Int32
			b := stream.NewBroadcaster[int](stream.Options{
				StallTimeout: time.Minute,
				OnEvict:      func(error) { evictions.Add(1) },
			})
			defer b.Close()
			ch := b.SubscribeWith(t.Context(), stream.SubscribeOptions{Policy: stream.Block, Buffer: buffer})
			got := make(chan int)
			go func() {
				next := 0
				for v := range ch {
					if v != next {
						break
					}
					next++
					if next == n {
						break
					}
					if next%1000 == 0 {
						time.Sleep(time.Millisecond) // fall behind now and then
					}
				}
				got <- next
			}()
			for v := range n {
				b.Publish(v)
			}
			select {
			case next := <-got:
				if next != n {
					t.Fatalf("subscriber got %d values in order, want %d", next, n)
				}
			case <-time.After(hang):
				t.Fatal("subscriber never finished")
			}
			if e := evictions.Load(); e != 0 {
				t.Fatalf("%d evictions of a draining subscriber", e)
			}
		})
	}
}

// A Block subscriber that stops reading is cut off once it has taken
// nothing for StallTimeout: it keeps what its channel buffered, its
// channel closes, OnEvict gets ErrSlowConsumer once, and the publisher
// goes on serving the other subscribers. The other subscriber's buffer
// holds every value, so the publisher never waits on it and it cannot be
// cut off.
func TestBlockCutsOffAStalledSubscriber(t *testing.T) {
	for _, buffer := range blockBuffers {
		t.Run(fmt.Sprint("buffer=", buffer), func(t *testing.T) {
			const n = 300
			evicted := make(chan error, 4)
			b := stream.NewBroadcaster[int](stream.Options{
				StallTimeout: 20 * time.Millisecond,
				OnEvict:      func(err error) { evicted <- err },
			})
			defer b.Close()
			stalled := b.SubscribeWith(t.Context(), stream.SubscribeOptions{Policy: stream.Block, Buffer: buffer})
			other := b.SubscribeWith(t.Context(), stream.SubscribeOptions{Policy: stream.Block, Buffer: n})
			otherGot := make(chan []int)
			go func() {
				var vs []int
				for v := range other {
					vs = append(vs, v)
					if len(vs) == n {
						break
					}
				}
				otherGot <- vs
			}()

			published := make(chan struct{})
			go func() {
				for v := range n {
					b.Publish(v)
				}
				close(published)
			}()
			waitClosed(t, published, "publisher held by a stalled subscriber")

			// The channel's own slots are kept; queued values go with the
			// subscription.
			kept := min(buffer, stream.ChannelSlots)
			got := recvAll(t, stalled)
			if len(got) != kept {
				t.Fatalf("stalled subscriber got %d values, want the %d its channel buffered", len(got), kept)
			}
			for i, v := range got {
				if v != i {
					t.Fatalf("stalled subscriber: value %d is %d", i, v)
				}
			}
			waitLen(t, b, 1)
			// The cut-off is reported after the subscription ended.
			if err := recvOne(t, evicted); !errors.Is(err, stream.ErrSlowConsumer) {
				t.Fatalf("OnEvict got %v, want ErrSlowConsumer", err)
			}
			vs := <-otherGot
			if len(vs) != n {
				t.Fatalf("other subscriber got %d values, want %d", len(vs), n)
			}
			for i, v := range vs {
				if v != i {
					t.Fatalf("other subscriber: value %d is %d", i, v)
				}
			}
			b.Close() // waits for the feeder: every report is in
			if len(evicted) != 0 {
				t.Fatalf("%d more cut-offs reported, want one", len(evicted))
			}
		})
	}
}

// A stalled Block subscriber with a queue is cut off even when no
// publisher waits on it: values wait for it, so it holds memory.
func TestBlockCutsOffAStalledSubscriberWithoutAWaitingPublisher(t *testing.T) {
	evicted := make(chan error, 1)
	b := stream.NewBroadcaster[int](stream.Options{
		StallTimeout: 20 * time.Millisecond,
		OnEvict:      func(err error) { evicted <- err },
	})
	defer b.Close()
	ch := b.SubscribeWith(t.Context(), stream.SubscribeOptions{Policy: stream.Block, Buffer: 100})
	for v := range stream.ChannelSlots + 5 { // 5 wait in the queue
		b.Publish(v)
	}
	select {
	case err := <-evicted:
		if !errors.Is(err, stream.ErrSlowConsumer) {
			t.Fatalf("OnEvict got %v", err)
		}
	case <-time.After(hang):
		t.Fatal("a stalled subscriber with queued values was never cut off")
	}
	if got := recvAll(t, ch); len(got) != stream.ChannelSlots {
		t.Fatalf("got %d values, want the %d of the channel", len(got), stream.ChannelSlots)
	}
}

// Without a StallTimeout a Block subscriber is waited for as long as it
// takes (the contract of internal pumps).
func TestBlockWithoutStallTimeoutWaits(t *testing.T) {
	b := stream.NewBroadcaster[int](stream.Options{OnEvict: func(error) { t.Error("evicted") }})
	defer b.Close()
	ch := b.SubscribeWith(t.Context(), stream.SubscribeOptions{Policy: stream.Block, Buffer: 1})
	b.Publish(1)
	returned := make(chan struct{})
	go func() {
		b.Publish(2)
		close(returned)
	}()
	stillBlocked(t, returned)
	if v := recvOne(t, ch); v != 1 {
		t.Fatalf("got %d", v)
	}
	waitClosed(t, returned, "Publish after room was made")
}

// StopWaiting releases a publisher waiting on a full Block subscriber at
// once and cuts that subscriber off without a report; a subscriber with
// room still gets the value, and later publishes never wait.
func TestStopWaiting(t *testing.T) {
	for _, buffer := range blockBuffers {
		t.Run(fmt.Sprint("buffer=", buffer), func(t *testing.T) {
			b := stream.NewBroadcaster[int](stream.Options{
				StallTimeout: time.Hour,
				OnEvict:      func(error) { t.Error("StopWaiting reported a cut-off") },
			})
			defer b.Close()
			full := b.SubscribeWith(t.Context(), stream.SubscribeOptions{Policy: stream.Block, Buffer: buffer})
			roomy := b.SubscribeWith(t.Context(), stream.SubscribeOptions{Policy: stream.Block, Buffer: 1000})
			for v := range buffer {
				b.Publish(v)
			}
			returned := make(chan struct{})
			go func() {
				b.Publish(buffer)
				close(returned)
			}()
			stillBlocked(t, returned)
			b.StopWaiting()
			b.StopWaiting() // idempotent
			waitClosed(t, returned, "Publish after StopWaiting")
			if got := recvAll(t, full); len(got) != min(buffer, stream.ChannelSlots) {
				t.Fatalf("full subscriber got %d values, want what its channel held", len(got))
			}
			b.Publish(buffer + 1)
			for want := range buffer + 2 {
				if got := recvOne(t, roomy); got != want {
					t.Fatalf("roomy subscriber got %d, want %d", got, want)
				}
			}
			if b.Len() != 1 {
				t.Fatalf("Len = %d, want only the roomy subscriber", b.Len())
			}
		})
	}
}

// A subscription whose context ends while values wait in its queue ends
// at once: its channel closes, the publisher is not held up, and Close
// leaves no goroutine behind (goleak).
func TestBlockQueueEndsWithItsContext(t *testing.T) {
	b := stream.NewBroadcaster[int](stream.Options{})
	defer b.Close()
	ctx, cancel := context.WithCancel(t.Context())
	ch := b.SubscribeWith(ctx, stream.SubscribeOptions{Policy: stream.Block, Buffer: 50})
	for v := range 50 { // 8 in the channel, the rest queued
		b.Publish(v)
	}
	returned := make(chan struct{})
	go func() {
		b.Publish(50) // the queue is full: waits
		close(returned)
	}()
	stillBlocked(t, returned)
	cancel()
	waitClosed(t, returned, "Publish after the subscription's ctx ended")
	got := recvAll(t, ch)
	for i, v := range got {
		if v != i {
			t.Fatalf("value %d is %d", i, v)
		}
	}
	waitLen(t, b, 0)
}

// Publishing while the subscriber drains sometimes fast, sometimes not:
// values pass from the channel to the queue and back without reordering.
func TestBlockQueueKeepsOrderAcrossHandOffs(t *testing.T) {
	b := stream.NewBroadcaster[int](stream.Options{StallTimeout: time.Minute})
	ch := b.SubscribeWith(t.Context(), stream.SubscribeOptions{Policy: stream.Block, Buffer: 20})
	const n = 20_000
	errs := make(chan error, 1)
	go func() {
		next := 0
		for v := range ch {
			if v != next {
				errs <- fmt.Errorf("value %d is %d", next, v)
				for range ch {
				}
				return
			}
			next++
			if next == n {
				break
			}
			if next%97 == 0 {
				runtime.Gosched()
			}
		}
		if next != n {
			errs <- fmt.Errorf("got %d values, want %d", next, n)
			return
		}
		errs <- nil
	}()
	for v := range n {
		b.Publish(v)
		if v%31 == 0 {
			runtime.Gosched()
		}
	}
	defer b.Close()
	select {
	case err := <-errs:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(hang):
		t.Fatal("reader never finished")
	}
}

// A Block subscriber without an explicit buffer gets DefaultBlockBuffer
// slots: that many values go in without waiting.
func TestBlockDefaultBuffer(t *testing.T) {
	b := stream.NewBroadcaster[int](stream.Options{})
	defer b.Close()
	ch := b.SubscribeWith(t.Context(), stream.SubscribeOptions{Policy: stream.Block})
	for v := range stream.DefaultBlockBuffer {
		b.Publish(v) // would hang here if the buffer were smaller
	}
	returned := make(chan struct{})
	go func() {
		b.Publish(-1)
		close(returned)
	}()
	stillBlocked(t, returned)
	if v := recvOne(t, ch); v != 0 {
		t.Fatalf("got %d", v)
	}
	waitClosed(t, returned, "Publish after room was made")
}

func Example_block() {
	b := stream.NewBroadcaster[int](stream.Options{StallTimeout: 10 * time.Second})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// A lossless subscription with a buffer of one: Publish waits while
	// the reader is behind, and the reader gets every value.
	ch := b.SubscribeWith(ctx, stream.SubscribeOptions{Policy: stream.Block, Buffer: 1})
	go func() {
		for v := range 5 {
			b.Publish(v)
		}
		b.Close()
	}()
	for v := range ch {
		fmt.Print(v, " ")
	}
	fmt.Println()
	// Output: 0 1 2 3 4
}
