package coderws_test

import (
	"context"
	"fmt"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/chatwire/chatwire/core/network"
	"github.com/chatwire/chatwire/core/network/coderws"
	"github.com/chatwire/chatwire/core/network/memory"
	"github.com/chatwire/chatwire/core/network/networktest"
)

// The benchmarks compare the three WebSocketClient implementations on the
// same workloads. The socket transports talk to one gorilla server in a
// child process (this test binary, running TestBenchServer), so that the
// allocations and memory measured are the client's alone. The in-memory
// transport has no socket: its server runs in this process, and its figures
// include the server side of each connection.
//
// Run them all in one go and compare with benchstat:
//
//	go test -run '^$' -bench . -benchmem -count 5 ./core/network/coderws/ | tee /tmp/bench-transports.txt
//	benchstat -col /transport /tmp/bench-transports.txt

const benchServerEnv = "CHATWIRE_CODERWS_BENCH_SERVER"

// benchFrame is a typical inbound envelope of about 300 bytes.
var benchFrame = []byte(`{"type":"chat.message","seq":104217,"payload":{"id":"6f1c2a9e-5b7d-4c3e-9a8f-1d2e3f4a5b6c","client_id":"0b9c8d7e-6f5a-4b3c-2d1e-0f9a8b7c6d5e","conversation_id":"c0ffee00-1234-5678-9abc-def012345678","sender_id":"u-42","content":"See you at the standup in five minutes!","kind":"text","created_at":"2026-11-22T00:26:00Z"}}`)

// TestBenchServer is not a test: it is the benchmarks' server, started in a
// child process. It serves until its stdin closes.
func TestBenchServer(t *testing.T) {
	if !networktest.InChild(benchServerEnv) {
		t.Skip("the benchmarks' server process; runs only when they start it")
	}
	up := websocket.Upgrader{ReadBufferSize: 256, WriteBufferSize: 64 << 10}
	mux := http.NewServeMux()
	// /flood?n=N writes N frames, then reads until the client closes.
	mux.HandleFunc("/flood", func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.URL.Query().Get("n"))
		ws, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer ws.Close()
		pm, _ := websocket.NewPreparedMessage(websocket.TextMessage, benchFrame)
		for range n {
			if ws.WritePreparedMessage(pm) != nil {
				return
			}
		}
		for {
			if _, _, err := ws.ReadMessage(); err != nil {
				return
			}
		}
	})
	// /idle reads (answering pings) until the client closes.
	mux.HandleFunc("/idle", func(w http.ResponseWriter, r *http.Request) {
		ws, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer ws.Close()
		for {
			if _, _, err := ws.ReadMessage(); err != nil {
				return
			}
		}
	})
	networktest.ServeChild(mux, nil)
}

// startBenchServer starts the server process and returns its address.
func startBenchServer(b *testing.B) string {
	b.Helper()
	return networktest.StartChild(b, "TestBenchServer", benchServerEnv)
}

// transport makes a connected client for one benchmark path: "/flood?n=N"
// or "/idle".
type transport struct {
	name string
	dial func(b *testing.B, path string) network.WebSocketClient
}

// transports returns the three implementations, the socket ones bound to
// the server at addr.
func transports(addr string) []transport {
	ctx := context.Background()
	socket := func(newClient func() network.WebSocketClient) func(*testing.B, string) network.WebSocketClient {
		return func(b *testing.B, path string) network.WebSocketClient {
			c := newClient()
			if err := c.Connect(ctx, "ws://"+addr+path, nil); err != nil {
				b.Fatal(err)
			}
			return c
		}
	}
	return []transport{
		{"gorilla", socket(func() network.WebSocketClient { return network.NewGorillaClient(network.GorillaOptions{}) })},
		{"coder", socket(func() network.WebSocketClient { return coderws.NewClient(coderws.Options{}) })},
		{"memory", func(b *testing.B, path string) network.WebSocketClient {
			srv := memory.NewServer(memory.ServerOptions{Handler: memoryHandler})
			b.Cleanup(func() { srv.Close() })
			c := memory.NewClient(srv, memory.Options{})
			if err := c.Connect(ctx, "memory://bench"+path, nil); err != nil {
				b.Fatal(err)
			}
			return c
		}},
	}
}

// memoryHandler is the in-memory twin of the server process's handlers.
func memoryHandler(c *memory.ServerConn) {
	ctx := context.Background()
	if path, q, ok := strings.Cut(c.Request().URL, "/flood?n="); ok && path != "" {
		n, _ := strconv.Atoi(q)
		for range n {
			if c.WriteFrame(ctx, benchFrame) != nil {
				return
			}
		}
	}
	for {
		if _, err := c.ReadFrame(ctx); err != nil {
			return
		}
	}
}

// BenchmarkInbound measures inbound throughput: the server floods b.N
// frames of about 300 bytes and the client drains Frames. allocs/op and
// B/op are per frame.
func BenchmarkInbound(b *testing.B) {
	addr := startBenchServer(b)
	for _, tr := range transports(addr) {
		b.Run("transport="+tr.name, func(b *testing.B) {
			c := tr.dial(b, fmt.Sprintf("/flood?n=%d", b.N))
			b.SetBytes(int64(len(benchFrame)))
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				f, ok := <-c.Frames()
				if !ok || len(f) != len(benchFrame) {
					b.Fatalf("frame %d: ok=%v len=%d err=%v", i, ok, len(f), c.Err())
				}
			}
			b.StopTimer()
			c.Close(network.CloseNormal, "")
		})
	}
}

// BenchmarkPing measures the ping round trip: Ping returns when the pong
// is back.
func BenchmarkPing(b *testing.B) {
	addr := startBenchServer(b)
	ctx := context.Background()
	for _, tr := range transports(addr) {
		b.Run("transport="+tr.name, func(b *testing.B) {
			c := tr.dial(b, "/idle")
			defer c.Close(network.CloseNormal, "")
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if err := c.Ping(ctx); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// idleConns is how many idle connections one measurement opens.
const idleConns = 100

// BenchmarkIdleConnection measures what an idle connection costs: live
// heap, goroutine stacks and goroutines per connection. Here ns/op, B/op
// and allocs/op are the cost of one Connect, not of the iteration.
func BenchmarkIdleConnection(b *testing.B) {
	addr := startBenchServer(b)
	for _, tr := range transports(addr) {
		b.Run("transport="+tr.name, func(b *testing.B) {
			var heap, stack, goroutines, dialNs, dialBytes, dialAllocs float64
			for range b.N {
				m := measureIdle(b, tr)
				heap += m.heap
				stack += m.stack
				goroutines += m.goroutines
				dialNs += m.dialNs
				dialBytes += m.dialBytes
				dialAllocs += m.dialAllocs
			}
			n := float64(b.N)
			b.ReportMetric(heap/n, "heapB/conn")
			b.ReportMetric(stack/n, "stackB/conn")
			b.ReportMetric((heap+stack)/n, "B/conn")
			b.ReportMetric(goroutines/n, "goroutines/conn")
			b.ReportMetric(dialNs/n, "ns/op")
			b.ReportMetric(dialBytes/n, "B/op")
			b.ReportMetric(dialAllocs/n, "allocs/op")
		})
	}
}

type idleCost struct {
	heap, stack, goroutines, dialNs, dialBytes, dialAllocs float64
}

// measureIdle opens idleConns connections, lets them settle and returns
// what they add per connection.
func measureIdle(b *testing.B, tr transport) idleCost {
	clients := make([]network.WebSocketClient, 0, idleConns)
	defer func() {
		for _, c := range clients {
			c.Close(network.CloseNormal, "")
		}
	}()
	var before, dialled, after runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&before)
	g0 := runtime.NumGoroutine()
	start := time.Now()
	for range idleConns {
		clients = append(clients, tr.dial(b, "/idle"))
	}
	elapsed := time.Since(start)
	runtime.ReadMemStats(&dialled)
	time.Sleep(50 * time.Millisecond) // let every reader block in its read
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&after)
	g1 := runtime.NumGoroutine()
	runtime.KeepAlive(clients)
	per := func(a, b uint64) float64 { return (float64(a) - float64(b)) / idleConns }
	return idleCost{
		heap:       per(after.HeapAlloc, before.HeapAlloc),
		stack:      per(after.StackInuse, before.StackInuse),
		goroutines: float64(g1-g0) / idleConns,
		dialNs:     float64(elapsed.Nanoseconds()) / idleConns,
		dialBytes:  per(dialled.TotalAlloc, before.TotalAlloc),
		dialAllocs: per(dialled.Mallocs, before.Mallocs),
	}
}
