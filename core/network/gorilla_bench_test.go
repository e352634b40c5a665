package network_test

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/chatwire/chatwire/core/network"
	"github.com/chatwire/chatwire/core/network/networktest"
)

// The benchmarks talk to a server in a child process (this test binary,
// running TestGorillaBenchServer), so that allocations and memory measured
// here are the client's alone.

const benchServerEnv = "CHATWIRE_BENCH_SERVER"

// benchFrame is a typical inbound envelope of about 300 bytes.
var benchFrame = []byte(`{"type":"chat.message","seq":104217,"payload":{"id":"6f1c2a9e-5b7d-4c3e-9a8f-1d2e3f4a5b6c","client_id":"0b9c8d7e-6f5a-4b3c-2d1e-0f9a8b7c6d5e","conversation_id":"c0ffee00-1234-5678-9abc-def012345678","sender_id":"u-42","content":"See you at the standup in five minutes!","kind":"text","created_at":"2026-11-22T00:26:00Z"}}`)

// TestGorillaBenchServer is not a test: it is the benchmarks' server,
// started in a child process. It serves until its stdin closes.
func TestGorillaBenchServer(t *testing.T) {
	if !networktest.InChild(benchServerEnv) {
		t.Skip("the benchmarks' server process; runs only when they start it")
	}
	up := websocket.Upgrader{ReadBufferSize: 256, WriteBufferSize: 64 << 10}
	mux := http.NewServeMux()
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
		for { // until the client closes
			if _, _, err := ws.ReadMessage(); err != nil {
				return
			}
		}
	})
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
	return networktest.StartChild(b, "TestGorillaBenchServer", benchServerEnv)
}

// BenchmarkGorillaInbound measures inbound frame throughput: the server
// floods b.N frames of about 300 bytes and the client drains them. The raw
// variant is gorilla's own ReadMessage loop over the same flood.
func BenchmarkGorillaInbound(b *testing.B) {
	addr := startBenchServer(b)
	ctx := context.Background()
	for _, v := range []struct {
		name    string
		readBuf int
	}{
		{"GorillaClient/readbuf=default", 0},
		{"GorillaClient/readbuf=4096", 4096},
	} {
		b.Run(v.name, func(b *testing.B) {
			c := network.NewGorillaClient(network.GorillaOptions{ReadBufferSize: v.readBuf})
			if err := c.Connect(ctx, fmt.Sprintf("ws://%s/flood?n=%d", addr, b.N), nil); err != nil {
				b.Fatal(err)
			}
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
	b.Run("RawReadMessage", func(b *testing.B) {
		ws, _, err := websocket.DefaultDialer.Dial(fmt.Sprintf("ws://%s/flood?n=%d", addr, b.N), nil)
		if err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(len(benchFrame)))
		b.ReportAllocs()
		b.ResetTimer()
		for i := range b.N {
			_, f, err := ws.ReadMessage()
			if err != nil || len(f) != len(benchFrame) {
				b.Fatalf("frame %d: len=%d err=%v", i, len(f), err)
			}
		}
		b.StopTimer()
		ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
		ws.Close()
	})
}

// BenchmarkGorillaIdleConnection measures what an idle connection costs:
// live heap and goroutine stacks per connection, with its goroutines. The
// target is 8 KiB per GorillaClient connection including its reader and
// writer goroutines. The raw baseline is a bare gorilla connection with one
// goroutine blocked reading, as in gorilla's examples.
func BenchmarkGorillaIdleConnection(b *testing.B) {
	addr := startBenchServer(b)
	url := "ws://" + addr + "/idle"
	ctx := context.Background()
	clientOpen := func(readBuf int) func() (func(), error) {
		return func() (func(), error) {
			c := network.NewGorillaClient(network.GorillaOptions{ReadBufferSize: readBuf})
			if err := c.Connect(ctx, url, nil); err != nil {
				return nil, err
			}
			return func() { c.Close(network.CloseNormal, "") }, nil
		}
	}
	for _, v := range []struct {
		name string
		open func() (closeFn func(), err error)
	}{
		{"GorillaClient/readbuf=default", clientOpen(0)},
		{"GorillaClient/readbuf=4096", clientOpen(4096)},
		{"RawGorilla+reader", func() (func(), error) {
			ws, _, err := websocket.DefaultDialer.Dial(url, nil)
			if err != nil {
				return nil, err
			}
			done := make(chan struct{})
			go func() {
				defer close(done)
				for {
					if _, _, err := ws.ReadMessage(); err != nil {
						return
					}
				}
			}()
			return func() { ws.Close(); <-done }, nil
		}},
	} {
		b.Run(v.name, func(b *testing.B) { networktest.BenchmarkIdle(b, v.open) })
	}
}
