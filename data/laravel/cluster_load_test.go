package laravel_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/chatwire/chatwire/domain"
)

// ClusterClientsEnv sets how many clients TestClusterLoad runs (make
// cluster CLUSTER_CLIENTS=1000); unset means 100.
const clusterClientsEnv = "CHATWIRE_CLUSTER_CLIENTS"

// TestClusterLoad: many SDK clients in this one process spread over three
// nodes, ticks published through two of them ten times a second, the
// third killed. It reports the figures of docs/reliability.md ("A Soketi
// cluster"): how the clients were spread, how long the dead node's
// clients took to be back (connected to another node, and subscribed),
// where they went, and checks that no tick was delivered twice and none
// triggered after they were back was lost. Run it without the race
// detector: a thousand clients run more goroutines than it allows.
func TestClusterLoad(t *testing.T) {
	e := startClusterEnv(t, 3)
	n := 100
	if v := os.Getenv(clusterClientsEnv); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 3 {
			t.Fatalf("%s=%q: want a number of clients, 3 or more", clusterClientsEnv, v)
		}
	}
	clients := connectMany(t, e, n)
	f := &failover{e: e, victim: 0}
	for _, c := range clients {
		if e.c.NodeOf(c.src.Host()) == f.victim {
			f.movers = append(f.movers, c)
			f.moverStates = append(f.moverStates, c.stateCount())
		} else {
			f.watchers = append(f.watchers, c)
		}
	}
	t.Logf("%d clients: %v per node", n, spread(e, clients))
	if len(f.movers) == 0 || len(f.watchers) == 0 {
		t.Fatalf("no client on node %d, or none elsewhere", f.victim)
	}
	f.pub = startPublisher(e, []int{1, 2}, 100*time.Millisecond)
	waitUntil(t, "ticks flowing", func() bool { return f.watchers[0].copies(2) == 1 })
	time.Sleep(2 * time.Second) // a steady flow before the kill

	killed := time.Now()
	e.c.Nodes[f.victim].Kill()
	back := f.awaitMovers(t)
	delays, direct := f.moverReconnects()
	var connected []time.Duration
	for i, m := range f.movers {
		for _, st := range m.statesSince(f.moverStates[i]) {
			if st.Status == domain.Connected {
				connected = append(connected, st.At.Sub(killed))
				break
			}
		}
		if !direct[i] {
			t.Errorf("mover %s did not connect at its first attempt after the kill", m.id)
		}
		if d := delays[i]; d >= 0 && (d < clusterConnection.ReconnectDelay || d > clusterConnection.ReconnectDelay*5/4) {
			t.Errorf("mover %s waited %v, want the reconnect delay plus up to 25%%", m.id, d)
		}
	}
	lo, mid, p95, hi := percentiles(connected)
	dlo, dmid, dp95, dhi := percentiles(slices.DeleteFunc(slices.Clone(delays), func(d time.Duration) bool { return d < 0 }))
	t.Logf("node %d killed with %d clients: they went %v per node", f.victim, len(f.movers), spread(e, f.movers))
	t.Logf("chosen reconnect delay: min %v, median %v, p95 %v, max %v", dlo.Round(time.Millisecond), dmid.Round(time.Millisecond), dp95.Round(time.Millisecond), dhi.Round(time.Millisecond))
	t.Logf("connected again after the kill: min %v, median %v, p95 %v, max %v", lo.Round(time.Millisecond), mid.Round(time.Millisecond), p95.Round(time.Millisecond), hi.Round(time.Millisecond))
	t.Logf("every client of the dead node connected and subscribed %v after the kill", back.Sub(killed).Round(time.Millisecond))
	if per := spread(e, f.movers); len(f.movers) >= 30 && (per[1] == 0 || per[2] == 0) {
		t.Errorf("the dead node's %d clients all went to one node: %v", len(f.movers), per)
	}
	time.Sleep(2 * time.Second)
	f.check(t, back)
}

// connectMany connects n clients over every node, 50 at a time.
func connectMany(t *testing.T, e *clusterEnv, n int) []*clusterClient {
	t.Helper()
	hosts := e.c.Hosts()
	clients := make([]*clusterClient, n)
	errs := make(chan error, n)
	sem := make(chan struct{}, 50)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range n {
		id := fmt.Sprint("load-", i)
		c, err := e.start(id, e.clientOptions(id, hosts, false))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.src.Close() })
		clients[i] = c
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			ctx, cancel := context.WithTimeout(context.Background(), clusterWait)
			defer cancel()
			if err := c.src.Connect(ctx, "token-"+id); err != nil {
				errs <- fmt.Errorf("%s: %w", id, err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	t.Logf("%d clients connected and subscribed in %v", n, time.Since(start).Round(time.Millisecond))
	return clients
}
