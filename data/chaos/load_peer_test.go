package chaos_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chatwire/chatwire/core/network/networktest"
	"github.com/chatwire/chatwire/data"
	"github.com/chatwire/chatwire/data/chaos/peer"
	"github.com/chatwire/chatwire/data/laravel"
	"github.com/chatwire/chatwire/domain"
)

const peerServerEnv = "CHATWIRE_PEER_SERVER"

// TestPeerServerProcess is not a test: it is the server of the load modes
// below, started in a child process so that only the client side is
// measured. It serves peer.Mux until its standard input closes.
func TestPeerServerProcess(t *testing.T) {
	if !networktest.InChild(peerServerEnv) {
		t.Skip("the load modes' server process; runs only when they start it")
	}
	mux, stop, err := peer.Mux()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	networktest.ServeChild(mux, stop)
}

// startPeerServer starts the peer server in a child process and returns
// its address.
func startPeerServer(t *testing.T) string {
	t.Helper()
	return networktest.StartChild(t, "TestPeerServerProcess", peerServerEnv)
}

// floodSource is a data source under a flood: one of the two paths.
type floodSource interface {
	Messages(context.Context) <-chan domain.Message
	Errors(context.Context) <-chan error
	Connect(context.Context, string) error
	Close() error
}

func newFloodSource(t *testing.T, path, addr string, run peer.Run) floodSource {
	t.Helper()
	switch path {
	case "envelope":
		src, err := data.New(data.Options{BaseURL: "ws://" + addr, Header: http.Header{peer.RunHeader: {run.Name()}}})
		if err != nil {
			t.Fatal(err)
		}
		return src
	case "laravel":
		src, err := laravel.New(laravel.Options{
			Host:                addr,
			Key:                 "peer",
			AuthEndpoint:        "http://" + addr + "/unused",
			DisableUserChannel:  true,
			DisablePresence:     true,
			ConversationChannel: "conversation.{id}",
			Conversations:       []string{run.Name()},
		})
		if err != nil {
			t.Fatal(err)
		}
		return src
	}
	t.Fatalf("unknown path %q", path)
	return nil
}

// heapPeak samples the live heap every 50 ms until stop is called and
// returns the highest sample.
func heapPeak() (stop func() uint64) {
	var peak atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			if m.HeapAlloc > peak.Load() {
				peak.Store(m.HeapAlloc)
			}
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	})
	return func() uint64 {
		close(done)
		wg.Wait()
		return peak.Load()
	}
}

// TestLoadFlood (make load LOAD=flood): CHATWIRE_FLOOD_MESSAGES (1,000,000)
// chat messages written as fast as a server process can write them, into
// an application that drains, more slowly than that (it pauses 1 ms every
// 100 messages), on both paths. Every message must arrive, in order, no
// subscriber may be cut off, and the client's live heap must stay bounded
// (CHATWIRE_FLOOD_HEAP_MIB, 64): a backlog held in memory would be hundreds
// of MiB; back-pressure leaves it on the server. Then a subscriber that
// stops reading during a flood must be cut off (domain.ErrSlowConsumer)
// while a draining one still gets every message.
func TestLoadFlood(t *testing.T) {
	if os.Getenv("CHATWIRE_LOAD") == "" {
		t.Skip("set CHATWIRE_LOAD=1 to run the flood (make load LOAD=flood)")
	}
	n := envInt("CHATWIRE_FLOOD_MESSAGES", 1_000_000)
	heapBound := uint64(envInt("CHATWIRE_FLOOD_HEAP_MIB", 64)) << 20
	addr := startPeerServer(t)
	for _, path := range []string{"envelope", "laravel"} {
		t.Run(path+"/draining", func(t *testing.T) {
			runtime.GC()
			var base runtime.MemStats
			runtime.ReadMemStats(&base)
			stopPeak := heapPeak()

			run := peer.Flood(n)
			src := newFloodSource(t, path, addr, run)
			defer src.Close()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			msgs, errs := src.Messages(ctx), src.Errors(ctx)
			var slow atomic.Int32
			var otherErrs sync.Map
			go func() {
				for err := range errs {
					if errors.Is(err, domain.ErrSlowConsumer) {
						slow.Add(1)
					} else {
						otherErrs.Store(err.Error(), true)
					}
				}
			}()
			start := time.Now()
			cctx, ccancel := context.WithTimeout(ctx, 30*time.Second)
			defer ccancel()
			if err := src.Connect(cctx, "token"); err != nil {
				t.Fatal(err)
			}
			got := 0
			deadline := time.After(20 * time.Minute) // a hang guard, not a speed target
			for got < n {
				select {
				case m, ok := <-msgs:
					if !ok {
						t.Fatalf("Messages closed after %d of %d (cut off %d times)", got, n, slow.Load())
					}
					if wantID := idOf(int64(peer.FirstSeq + got)); m.ID != wantID {
						t.Fatalf("message %d: id %q, want %q: out of order or lost", got, m.ID, wantID)
					}
					got++
					if got%100 == 0 {
						time.Sleep(time.Millisecond)
					}
				case <-deadline:
					t.Fatalf("%d of %d messages after 20 minutes", got, n)
				}
			}
			took := time.Since(start)
			peak := stopPeak()
			if s := slow.Load(); s != 0 {
				t.Errorf("a draining subscriber was cut off %d times", s)
			}
			otherErrs.Range(func(k, _ any) bool {
				t.Errorf("error during the flood: %v", k)
				return true
			})
			grew := int64(peak) - int64(base.HeapAlloc)
			t.Logf("flood %s: %d messages in order in %v (%.0f msg/s), 0 cut off; live heap peak %.1f MiB above the %.1f MiB before",
				path, got, took.Round(time.Millisecond), float64(got)/took.Seconds(), float64(grew)/(1<<20), float64(base.HeapAlloc)/(1<<20))
			if grew > int64(heapBound) {
				t.Errorf("live heap grew %.1f MiB during the flood, bound %d MiB: the backlog is held in memory", float64(grew)/(1<<20), heapBound>>20)
			}
		})
		t.Run(path+"/stalled", func(t *testing.T) {
			const m = 50_000
			src := newFloodSource(t, path, addr, peer.Flood(m))
			defer src.Close()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			stalled, draining, errs := src.Messages(ctx), src.Messages(ctx), src.Errors(ctx)
			cutOff := make(chan time.Time, 4)
			go func() {
				for err := range errs {
					if errors.Is(err, domain.ErrSlowConsumer) {
						cutOff <- time.Now()
					}
				}
			}()
			start := time.Now()
			cctx, ccancel := context.WithTimeout(ctx, 30*time.Second)
			defer ccancel()
			if err := src.Connect(cctx, "token"); err != nil {
				t.Fatal(err)
			}
			got := 0
			for msg := range draining {
				if wantID := idOf(int64(peer.FirstSeq + got)); msg.ID != wantID {
					t.Fatalf("draining subscriber: message %d is %q, want %q", got, msg.ID, wantID)
				}
				got++
				if got == m {
					break
				}
			}
			var at time.Time
			select {
			case at = <-cutOff:
			case <-time.After(time.Minute):
				t.Fatal("the stalled subscriber was never cut off")
			}
			held := 0
			for range stalled {
				held++
			}
			t.Logf("flood %s with a stalled subscriber: cut off %v after the start (bound 10s of stall), with %d messages in its channel; the draining one got all %d in order",
				path, at.Sub(start).Round(time.Millisecond), held, got)
			select {
			case <-cutOff:
				t.Error("cut off twice")
			default:
			}
		})
	}
}

// idOf is the message id peer.AppendPayload gives message seq.
func idOf(seq int64) string {
	p := string(peer.AppendPayload(nil, seq, 0))
	const key = `"id":"`
	i := strings.Index(p, key) + len(key)
	return p[i : i+36]
}
