package chaos_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chatwire/chatwire/data"
	"github.com/chatwire/chatwire/data/chattest"
	"github.com/chatwire/chatwire/domain"
)

// envInt reads a positive integer from the environment, else def.
func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// TestLoad runs CHATWIRE_LOAD_CLIENTS (1000) SDK clients in one process
// against one reference server on loopback, in conversations of 10, each
// sending one message every 2 s for CHATWIRE_LOAD_SECONDS (20). Every
// message must reach every member exactly once. It prints messages/s,
// end-to-end latency percentiles (send timestamp embedded in the content),
// heap and goroutines per client. Gated by CHATWIRE_LOAD=1: it needs about
// 2,100 open files (ulimit -n 4096).
func TestLoad(t *testing.T) {
	if os.Getenv("CHATWIRE_LOAD") == "" {
		t.Skip("set CHATWIRE_LOAD=1 to run the 1,000-client load test")
	}
	clients := envInt("CHATWIRE_LOAD_CLIENTS", 1000)
	seconds := envInt("CHATWIRE_LOAD_SECONDS", 20)
	const convSize = 10
	const gap = 2 * time.Second

	srv := chattest.NewServer(chattest.Options{SendQueueSize: 1024})
	defer srv.Close()
	convOf := func(i int) string { return fmt.Sprintf("conv%03d", i/convSize) }
	userOf := func(i int) string { return fmt.Sprintf("u%04d", i) }
	members := map[string][]string{}
	for i := range clients {
		members[convOf(i)] = append(members[convOf(i)], userOf(i))
	}
	for conv, ms := range members {
		if err := srv.CreateConversation(conv, "", ms...); err != nil {
			t.Fatal(err)
		}
	}

	runtime.GC()
	var m0 runtime.MemStats
	runtime.ReadMemStats(&m0)
	g0 := runtime.NumGoroutine()

	type inbox struct {
		mu  sync.Mutex
		ids map[string]int
		lat []time.Duration
	}
	srcs := make([]*data.ChatWebSocketDataSource, clients)
	boxes := make([]*inbox, clients)
	var readers sync.WaitGroup
	for i := range clients {
		user := userOf(i)
		src, err := data.New(data.Options{
			BaseURL:     srv.URL,
			TokenSource: func(context.Context) (string, error) { return srv.IssueToken(user), nil },
			Connection: data.ConnectionOptions{
				HandshakeTimeout:  30 * time.Second,
				ReconnectDelay:    time.Second,
				MaxReconnectDelay: 5 * time.Second,
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		srcs[i] = src
		box := &inbox{ids: map[string]int{}}
		boxes[i] = box
		ch := srcs[i].Messages(context.Background())
		readers.Add(1)
		go func() {
			defer readers.Done()
			for m := range ch {
				now := time.Now()
				box.mu.Lock()
				box.ids[m.ID]++
				if _, ts, ok := strings.Cut(m.Content, "@"); ok {
					if ns, err := strconv.ParseInt(ts, 10, 64); err == nil {
						box.lat = append(box.lat, now.Sub(time.Unix(0, ns)))
					}
				}
				box.mu.Unlock()
			}
		}()
	}
	defer func() {
		for _, s := range srcs {
			_ = s.Close()
		}
		readers.Wait()
	}()

	// Connect 50 at a time so the accept backlog is never the bottleneck.
	connectStart := time.Now()
	sem := make(chan struct{}, 50)
	var cwg sync.WaitGroup
	var connectErrs atomic.Int32
	for i := range clients {
		cwg.Add(1)
		sem <- struct{}{}
		go func() {
			defer cwg.Done()
			defer func() { <-sem }()
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			if err := srcs[i].Connect(ctx, srv.IssueToken(userOf(i))); err != nil {
				connectErrs.Add(1)
				t.Errorf("%s: Connect: %v", userOf(i), err)
			}
		}()
	}
	cwg.Wait()
	if connectErrs.Load() > 0 {
		t.FailNow()
	}
	connectTook := time.Since(connectStart)

	runtime.GC()
	var m1 runtime.MemStats
	runtime.ReadMemStats(&m1)
	g1 := runtime.NumGoroutine()

	// Each client sends every gap, starting at a random offset within the
	// first gap so the load is steady rather than in waves.
	var mu sync.Mutex
	confirmed := map[string][]string{} // conv -> ids
	var sendErrs atomic.Int32
	var swg sync.WaitGroup
	end := time.Now().Add(time.Duration(seconds) * time.Second)
	sendStart := time.Now()
	for i := range clients {
		swg.Add(1)
		go func() {
			defer swg.Done()
			offset := time.Duration(i) * gap / time.Duration(clients)
			time.Sleep(offset)
			next := time.Now()
			for n := 0; next.Before(end); n++ {
				content := fmt.Sprintf("%s#%d@%d", userOf(i), n, time.Now().UnixNano())
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				m, err := srcs[i].SendMessage(ctx, domain.MessageDraft{ConversationID: convOf(i), Content: content})
				cancel()
				if err != nil {
					sendErrs.Add(1)
					t.Errorf("%s: SendMessage: %v", userOf(i), err)
					return
				}
				mu.Lock()
				confirmed[convOf(i)] = append(confirmed[convOf(i)], m.ID)
				mu.Unlock()
				next = next.Add(gap)
				time.Sleep(time.Until(next))
			}
		}()
	}
	swg.Wait()
	sendTook := time.Since(sendStart)

	total := 0
	for _, ids := range confirmed {
		total += len(ids)
	}
	deliveries := total * convSize
	// Wait for every delivery, then check each member's inbox.
	deadline := time.Now().Add(2 * time.Minute)
	for i := range clients {
		want := len(confirmed[convOf(i)])
		for {
			boxes[i].mu.Lock()
			have := len(boxes[i].ids)
			boxes[i].mu.Unlock()
			if have >= want {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s holds %d of %d messages", userOf(i), have, want)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	drained := time.Since(sendStart)
	var lat []time.Duration
	for i := range clients {
		b := boxes[i]
		b.mu.Lock()
		for _, id := range confirmed[convOf(i)] {
			if b.ids[id] != 1 {
				t.Errorf("%s received %s %d times", userOf(i), id, b.ids[id])
			}
		}
		if len(b.ids) != len(confirmed[convOf(i)]) {
			t.Errorf("%s received %d distinct messages, %d confirmed in its conversation", userOf(i), len(b.ids), len(confirmed[convOf(i)]))
		}
		lat = append(lat, b.lat...)
		b.mu.Unlock()
	}
	slices.Sort(lat)
	pct := func(p float64) time.Duration {
		if len(lat) == 0 {
			return 0
		}
		return lat[min(len(lat)-1, int(p*float64(len(lat))))]
	}
	heapPer := float64(int64(m1.HeapInuse)-int64(m0.HeapInuse)) / float64(clients)
	goPer := float64(g1-g0) / float64(clients)
	t.Logf("load: %d clients in %d conversations of %d, 1 msg / %v each for %ds, GOMAXPROCS=%d",
		clients, len(members), convSize, gap, seconds, runtime.GOMAXPROCS(0))
	t.Logf("load: connected all in %v", connectTook.Round(time.Millisecond))
	t.Logf("load: %d messages confirmed (%d send errors) in %v: %.0f msg/s sent, %.0f deliveries/s",
		total, sendErrs.Load(), sendTook.Round(time.Millisecond), float64(total)/sendTook.Seconds(), float64(deliveries)/drained.Seconds())
	t.Logf("load: end-to-end latency over %d deliveries: p50 %v, p99 %v, max %v",
		len(lat), pct(0.50).Round(time.Microsecond), pct(0.99).Round(time.Microsecond), pct(1).Round(time.Microsecond))
	t.Logf("load: heap in use %.1f KiB per client connection (SDK client, its Messages subscriber and the server side together), %.2f goroutines per client (same)",
		heapPer/1024, goPer)
}
