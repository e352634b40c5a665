package chaos_test

import (
	"context"
	"net/http"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chatwire/chatwire/data"
	"github.com/chatwire/chatwire/data/chaos/peer"
)

// TestLoadIdle (make load LOAD=idle): CHATWIRE_IDLE_CLIENTS (10,000)
// data.New clients in this process, each connected to a server process
// and subscribed once to each of its nine streams, then left idle. It
// prints the time to connect them all (64 at a time) and the live heap,
// goroutine stacks and goroutines each connection adds. The server runs
// in its own process, so the figures are the client side's alone. Every
// client needs one file descriptor here and one in the server: the
// process raises its own limit to the hard limit (Go does that at start).
func TestLoadIdle(t *testing.T) {
	if os.Getenv("CHATWIRE_LOAD") == "" {
		t.Skip("set CHATWIRE_LOAD=1 to run the idle load (make load LOAD=idle)")
	}
	clients := envInt("CHATWIRE_IDLE_CLIENTS", 10_000)
	addr := startPeerServer(t)

	runtime.GC()
	var m0 runtime.MemStats
	runtime.ReadMemStats(&m0)
	g0 := runtime.NumGoroutine()

	srcs := make([]*data.ChatWebSocketDataSource, clients)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	start := time.Now()
	sem := make(chan struct{}, 64)
	var wg sync.WaitGroup
	var failed atomic.Int32
	for i := range clients {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			src, err := data.New(data.Options{BaseURL: "ws://" + addr, Header: http.Header{peer.RunHeader: {peer.Idle}}})
			if err != nil {
				failed.Add(1)
				t.Error(err)
				return
			}
			src.Messages(ctx)
			src.Typing(ctx)
			src.UserStatuses(ctx)
			src.ConversationUpdates(ctx)
			src.ReadReceipts(ctx)
			src.Calls(ctx)
			src.RawMessages(ctx)
			src.ConnectionStates(ctx)
			src.Errors(ctx)
			srcs[i] = src
			cctx, ccancel := context.WithTimeout(ctx, 2*time.Minute)
			defer ccancel()
			if err := src.Connect(cctx, "token"); err != nil {
				if failed.Add(1) <= 5 {
					t.Errorf("client %d: Connect: %v", i, err)
				}
			}
		})
	}
	wg.Wait()
	took := time.Since(start)
	defer func() {
		closeStart := time.Now()
		var cw sync.WaitGroup
		for _, src := range srcs {
			if src != nil {
				sem <- struct{}{}
				cw.Go(func() {
					defer func() { <-sem }()
					src.Close()
				})
			}
		}
		cw.Wait()
		t.Logf("idle: closed all in %v", time.Since(closeStart).Round(time.Millisecond))
	}()
	if f := failed.Load(); f > 0 {
		t.Fatalf("%d of %d clients failed to connect", f, clients)
	}

	time.Sleep(time.Second) // every reader blocked in its read
	for range 6 {           // stacks the dial grew shrink at each GC
		runtime.GC()
	}
	var m1 runtime.MemStats
	runtime.ReadMemStats(&m1)
	g1 := runtime.NumGoroutine()
	per := func(a, b uint64) float64 { return (float64(a) - float64(b)) / float64(clients) / 1024 }
	heap, stack := per(m1.HeapAlloc, m0.HeapAlloc), per(m1.StackInuse, m0.StackInuse)
	t.Logf("idle: %d data.New clients, one subscriber on each of 9 streams, connected in %v (%.0f connects/s, 64 at a time), GOMAXPROCS=%d",
		clients, took.Round(time.Millisecond), float64(clients)/took.Seconds(), runtime.GOMAXPROCS(0))
	t.Logf("idle: per connection %.1f KiB (live heap %.1f KiB + goroutine stacks %.1f KiB), %.2f goroutines",
		heap+stack, heap, stack, float64(g1-g0)/float64(clients))
}
