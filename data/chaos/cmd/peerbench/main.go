// Command peerbench runs the peer comparison of docs/benchmarks.md: one
// peerserver process, and for every round each client in its own process
// (a rotated order each round, so that load on the machine spreads over all
// of them): a flood (CPU, allocations and bytes per message, messages per
// second), a latency run (one message per gap: p50 and p99 of write →
// receipt) and an idle probe (memory and goroutines per quiet connection).
//
// It writes every measurement in the Go benchmark format to -out, for
// benchstat (medians with confidence intervals), and prints a table of
// medians with their spread (min–max over the rounds), and the latency
// each client adds at the median over raw gorilla and over handoff2, the
// floor of a design with a socket reader and a session owner of its own.
//
//	go build -o /tmp/peer/ ./cmd/peerserver ./cmd/peerclient
//	go run ./cmd/peerbench -bin /tmp/peer -out /tmp/peer.txt
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/chatwire/chatwire/data/chaos/peer"
)

func main() {
	bin := flag.String("bin", "", "directory holding the peerserver and peerclient binaries")
	pusherJS := flag.String("pusherjs", "peer/pusherjs", "directory of the pusher-js client (npm ci done); empty skips it")
	clients := flag.String("clients", "raw,handoff1,handoff2,envelope,laravel,centrifuge,pusher-js", "clients, comma-separated")
	rounds := flag.Int("rounds", 5, "interleaved rounds")
	floodN := flag.Int("n", 200_000, "messages per flood")
	latN := flag.Int("lat-n", 2_000, "messages per latency run")
	gap := flag.Duration("gap", time.Millisecond, "gap between the messages of a latency run")
	idle := flag.Int("idle", 200, "connections per idle probe (Go clients)")
	out := flag.String("out", "peer.txt", "benchstat input written here")
	flag.Parse()
	if *bin == "" {
		flag.Usage()
		os.Exit(2)
	}
	names := strings.Split(*clients, ",")
	if *pusherJS == "" {
		names = slices.DeleteFunc(names, func(n string) bool { return n == "pusher-js" })
	}

	srv := exec.Command(filepath.Join(*bin, "peerserver"))
	stdin, err := srv.StdinPipe()
	if err != nil {
		log.Fatal(err)
	}
	stdout, err := srv.StdoutPipe()
	if err != nil {
		log.Fatal(err)
	}
	srv.Stderr = os.Stderr
	if err := srv.Start(); err != nil {
		log.Fatal(err)
	}
	defer func() {
		stdin.Close()
		srv.Wait()
	}()
	sc := bufio.NewScanner(stdout)
	var addr string
	for sc.Scan() {
		if a, ok := strings.CutPrefix(sc.Text(), "ADDR "); ok {
			addr = a
			break
		}
	}
	if addr == "" {
		log.Fatal("peerserver did not start")
	}
	go io.Copy(io.Discard, stdout)

	f, err := os.Create(*out)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	fmt.Fprintf(f, "goos: linux\ngoarch: amd64\npkg: github.com/chatwire/chatwire/data/chaos/peer\n")

	// runOne runs one client process: a run, or an idle probe of idle
	// connections when run is empty.
	runOne := func(name, run string, idle int) (peer.Result, error) {
		var cmd *exec.Cmd
		switch {
		case name == "pusher-js":
			cmd = exec.Command("node", filepath.Join(*pusherJS, "client.js"), addr, run)
		case run == "":
			cmd = exec.Command(filepath.Join(*bin, "peerclient"), "-client", name, "-addr", addr, "-idle", fmt.Sprint(idle))
		default:
			cmd = exec.Command(filepath.Join(*bin, "peerclient"), "-client", name, "-addr", addr, "-run", run)
		}
		args := []string{run}
		var buf, errBuf bytes.Buffer
		cmd.Stdout, cmd.Stderr = &buf, &errBuf
		if err := cmd.Run(); err != nil {
			return peer.Result{}, fmt.Errorf("%s %v: %v: %s", name, args, err, errBuf.String())
		}
		var r peer.Result
		if err := json.Unmarshal(bytes.TrimSpace(buf.Bytes()), &r); err != nil {
			return peer.Result{}, fmt.Errorf("%s: %q: %v", name, buf.String(), err)
		}
		return r, nil
	}

	all := map[string][]peer.Result{} // client/kind → rounds
	flood := peer.Flood(*floodN).Name()
	lat := peer.Latency(*latN, *gap).Name()
	for r := range *rounds {
		order := append(names[r%len(names):], names[:r%len(names)]...)
		for _, name := range order {
			res, err := runOne(name, flood, 0)
			if err != nil {
				log.Fatal(err)
			}
			all[name+"/flood"] = append(all[name+"/flood"], res)
			fmt.Fprintf(f, "BenchmarkPeer/client=%s/run=flood %d %.3f cpu-us/msg %.2f msgs/s", name, res.N, res.CPUMicrosPerMsg, res.MsgsPerSec)
			if name != "pusher-js" {
				fmt.Fprintf(f, " %.2f allocs/msg %.0f B/msg", res.AllocsPerMsg, res.BytesPerMsg)
			}
			fmt.Fprintln(f)

			if res, err = runOne(name, lat, 0); err != nil {
				log.Fatal(err)
			}
			all[name+"/latency"] = append(all[name+"/latency"], res)
			fmt.Fprintf(f, "BenchmarkPeer/client=%s/run=latency %d %.1f p50-us %.1f p99-us\n", name, res.N, res.P50Micros, res.P99Micros)

			if name != "pusher-js" {
				if res, err = runOne(name, "", *idle); err != nil {
					log.Fatal(err)
				}
				all[name+"/idle"] = append(all[name+"/idle"], res)
				fmt.Fprintf(f, "BenchmarkPeer/client=%s/run=idle %d %.0f B/conn %.0f heap-B/conn %.0f stack-B/conn %.2f goroutines/conn\n",
					name, res.N, res.HeapBytesPerConn+res.StackBytesPerConn, res.HeapBytesPerConn, res.StackBytesPerConn, res.GoroutinesPerConn)
			}
			log.Printf("round %d/%d: %s done", r+1, *rounds, name)
		}
	}
	report(os.Stdout, names, all, *rounds, *floodN, *latN, *gap)
}

// stat is the median and range of one figure over the rounds.
func stat(rs []peer.Result, get func(peer.Result) float64) (med, lo, hi float64) {
	vs := make([]float64, len(rs))
	for i, r := range rs {
		vs[i] = get(r)
	}
	slices.Sort(vs)
	n := len(vs)
	med = vs[n/2]
	if n%2 == 0 {
		med = (vs[n/2-1] + vs[n/2]) / 2
	}
	return med, vs[0], vs[n-1]
}

func report(w io.Writer, names []string, all map[string][]peer.Result, rounds, floodN, latN int, gap time.Duration) {
	f := func(rs []peer.Result, get func(peer.Result) float64, prec int) string {
		if len(rs) == 0 {
			return "–"
		}
		m, lo, hi := stat(rs, get)
		return fmt.Sprintf("%.*f [%.*f–%.*f]", prec, m, prec, lo, prec, hi)
	}
	p50 := func(r peer.Result) float64 { return r.P50Micros }
	rawP50, _, _ := stat(all["raw/latency"], p50)
	// The floor of the SDK's design: a reader goroutine and a session
	// owner apart from it, then the application's channel (peer/handoff.go).
	floor := all["handoff2/latency"]
	floorP50, _, _ := stat(floor, p50)
	fmt.Fprintf(w, "\nPeer comparison: %d interleaved rounds; flood of %d messages, latency run of %d at one per %v; median [min–max]\n\n", rounds, floodN, latN, gap)
	fmt.Fprintln(w, "| client | CPU µs/msg | allocs/msg | B/msg | msgs/s (k) | p50 µs | added p50 µs vs raw | above handoff2 µs | p99 µs | idle KiB/conn | goroutines/conn |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|---|---|")
	for _, n := range names {
		fl, la, id := all[n+"/flood"], all[n+"/latency"], all[n+"/idle"]
		added, above := "–", "–"
		if med, _, _ := stat(la, p50); len(la) > 0 && n != "raw" {
			added = fmt.Sprintf("%.0f", med-rawP50)
			if len(floor) > 0 && n != "handoff2" {
				above = fmt.Sprintf("%.0f", med-floorP50)
			}
		}
		allocs, bytes := "–", "–"
		if n != "pusher-js" {
			allocs = f(fl, func(r peer.Result) float64 { return r.AllocsPerMsg }, 1)
			bytes = f(fl, func(r peer.Result) float64 { return r.BytesPerMsg }, 0)
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", n,
			f(fl, func(r peer.Result) float64 { return r.CPUMicrosPerMsg }, 2),
			allocs, bytes,
			f(fl, func(r peer.Result) float64 { return r.MsgsPerSec / 1e3 }, 0),
			f(la, p50, 0),
			added, above,
			f(la, func(r peer.Result) float64 { return r.P99Micros }, 0),
			f(id, func(r peer.Result) float64 { return (r.HeapBytesPerConn + r.StackBytesPerConn) / 1024 }, 1),
			f(id, func(r peer.Result) float64 { return r.GoroutinesPerConn }, 1))
	}
}
