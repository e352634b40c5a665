package peer

import (
	"context"
	"net"
	"net/http"
	"sort"
	"testing"
	"time"
)

// TestEveryClientReceivesEveryRun runs each Go client of the harness, in
// this process, through a short flood, a short latency run and an idle
// probe against the peer server: every message arrives and every figure
// the harness reports is there.
func TestEveryClientReceivesEveryRun(t *testing.T) {
	mux, stop, err := Mux()
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: mux}
	go srv.Serve(ln)
	defer srv.Close()
	addr := ln.Addr().String()

	names := make([]string, 0, len(Clients))
	for n := range Clients {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		c := Clients[name]
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			for _, run := range []Run{Flood(500), Latency(50, 200*time.Microsecond)} {
				m := NewMeter(run)
				if err := c.Receive(ctx, addr, run, m); err != nil {
					t.Fatalf("%s: %v", run.Name(), err)
				}
				select {
				case <-m.Done:
				default:
					t.Fatalf("%s: returned before its last message (%d of %d)", run.Name(), m.n, run.N)
				}
				r := m.Result()
				if r.N != run.N || r.MsgsPerSec <= 0 || r.AllocsPerMsg <= 0 {
					t.Errorf("%s: result %+v", run.Name(), r)
				}
				if run.Gap > 0 && (r.P50Micros <= 0 || r.P99Micros < r.P50Micros) {
					t.Errorf("%s: latency p50 %v p99 %v", run.Name(), r.P50Micros, r.P99Micros)
				}
			}
			r, err := IdleProbe(3, func() (func(), error) { return c.Open(ctx, addr) })
			if err != nil {
				t.Fatal(err)
			}
			if r.GoroutinesPerConn < 1 {
				t.Errorf("idle: %v goroutines per connection, want at least the reader", r.GoroutinesPerConn)
			}
		})
	}
}
