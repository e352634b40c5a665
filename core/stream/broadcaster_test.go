package stream_test

import (
	"context"
	"errors"
	"fmt"
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
		wg.Go(func() { got[i] = recvAll(t, ch) })
	}
	for v := range 100 {
		b.Publish(v)
	}
	b.Close()
	wg.Wait()
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
	if got := recvAll(t, ch); len(got) != stream.DefaultBuffer {
		t.Fatalf("got %d values", len(got))
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
