// Command peerclient measures one client library in its own process
// against a peerserver and prints one JSON peer.Result:
//
//	peerclient -client envelope -addr 127.0.0.1:PORT -run flood-200000
//	peerclient -client envelope -addr 127.0.0.1:PORT -run latency-2000-1000
//	peerclient -client envelope -addr 127.0.0.1:PORT -idle 200
//	peerclient -client envelope -addr 127.0.0.1:PORT -run latency-2000-1000 -trace /tmp/envelope.trace
//	peerclient -client laravel -addr 127.0.0.1:PORT -run flood-200000 -cpuprofile /tmp/laravel.pprof
//
// Clients: raw, handoff1, handoff2, envelope, laravel, centrifuge (see
// peer.Clients).
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"runtime/pprof"
	"runtime/trace"
	"time"

	"github.com/chatwire/chatwire/data/chaos/peer"
)

func main() {
	name := flag.String("client", "envelope", "client: raw, handoff1, handoff2, envelope, laravel, centrifuge")
	addr := flag.String("addr", "", "peerserver host:port")
	runName := flag.String("run", "flood-100000", "flood-N or latency-N-GAPµs")
	idle := flag.Int("idle", 0, "instead of a run: open this many quiet connections and measure memory per connection")
	timeout := flag.Duration("timeout", 5*time.Minute, "give up after")
	traceFile := flag.String("trace", "", "write a runtime/trace of the run to this file (go tool trace)")
	cpuFile := flag.String("cpuprofile", "", "write a CPU profile of the run to this file (go tool pprof)")
	flag.Parse()
	c, ok := peer.Clients[*name]
	if !ok || *addr == "" {
		flag.Usage()
		os.Exit(2)
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()

	var res peer.Result
	if *idle > 0 {
		var err error
		res, err = peer.IdleProbe(*idle, func() (func(), error) { return c.Open(ctx, *addr) })
		if err != nil {
			log.Fatalf("%s: idle: %v", *name, err)
		}
	} else {
		run, err := peer.ParseRun(*runName)
		if err != nil || run.N == 0 {
			log.Fatalf("bad -run %q", *runName)
		}
		for _, p := range []struct {
			path  string
			start func(io.Writer) error
			stop  func()
		}{{*traceFile, trace.Start, trace.Stop}, {*cpuFile, pprof.StartCPUProfile, pprof.StopCPUProfile}} {
			if p.path == "" {
				continue
			}
			stop, err := profile(p.path, p.start, p.stop)
			if err != nil {
				log.Fatal(err)
			}
			defer stop()
		}
		m := peer.NewMeter(run)
		if err := c.Receive(ctx, *addr, run, m); err != nil {
			log.Fatalf("%s: %v", *name, err)
		}
		res = m.Result()
	}
	res.Client = *name
	b, _ := json.Marshal(res)
	fmt.Println(string(b))
}

// profile starts a profile (start, stop) into a new file at path and
// returns what stops it.
func profile(path string, start func(io.Writer) error, stop func()) (func(), error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := start(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { stop(); f.Close() }, nil
}
