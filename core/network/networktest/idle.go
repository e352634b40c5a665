package networktest

import (
	"runtime"
	"testing"
	"time"
)

// IdleConns is how many connections one idle measurement opens.
const IdleConns = 200

// BenchmarkIdle reports what an idle connection costs: heapB/conn,
// stackB/conn, B/conn (their sum) and goroutines/conn, for connections
// made by open (which returns how to close one). Each iteration opens
// IdleConns connections, lets them settle as a long-lived process does,
// and measures what they added.
func BenchmarkIdle(b *testing.B, open func() (func(), error)) {
	var heap, stack, goroutines float64
	for range b.N {
		h, s, g := measureIdle(b, open)
		heap += h
		stack += s
		goroutines += g
	}
	n := float64(b.N)
	b.ReportMetric(heap/n, "heapB/conn")
	b.ReportMetric(stack/n, "stackB/conn")
	b.ReportMetric((heap+stack)/n, "B/conn")
	b.ReportMetric(goroutines/n, "goroutines/conn")
}

// measureIdle opens IdleConns connections, lets them settle and returns
// the live heap, stack and goroutines they add, per connection.
func measureIdle(b *testing.B, open func() (func(), error)) (heap, stack, goroutines float64) {
	b.StopTimer()
	closers := make([]func(), 0, IdleConns)
	defer func() {
		for _, c := range closers {
			c()
		}
	}()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&before)
	g0 := runtime.NumGoroutine()
	b.StartTimer()
	for range IdleConns {
		c, err := open()
		if err != nil {
			b.Fatal(err)
		}
		closers = append(closers, c)
	}
	b.StopTimer()
	time.Sleep(100 * time.Millisecond) // every reader blocked in its read
	// A goroutine's stack grown by the dial and handshake halves at each
	// GC down to what it uses: settle as a long-lived process does.
	for range 6 {
		runtime.GC()
	}
	runtime.ReadMemStats(&after)
	g1 := runtime.NumGoroutine()
	per := func(a, b uint64) float64 { return (float64(a) - float64(b)) / IdleConns }
	return per(after.HeapAlloc, before.HeapAlloc), per(after.StackInuse, before.StackInuse), float64(g1-g0) / IdleConns
}
