// Command peerclient measures one client library in its own process
// against a peerserver and prints one JSON peer.Result:
//
//	peerclient -client envelope -addr 127.0.0.1:PORT -run flood-200000
//	peerclient -client envelope -addr 127.0.0.1:PORT -run latency-2000-1000
//	peerclient -client envelope -addr 127.0.0.1:PORT -idle 200
//	peerclient -client envelope -addr 127.0.0.1:PORT -run latency-2000-1000 -trace /tmp/envelope.trace
//
// Clients: raw, handoff1, handoff2, envelope, laravel, centrifuge (see
// peer.Clients).
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
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
		if *traceFile != "" {
			stop, err := startTrace(*traceFile)
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

// startTrace starts a runtime/trace into path and returns what stops it.
func startTrace(path string) (func(), error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := trace.Start(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { trace.Stop(); f.Close() }, nil
}
