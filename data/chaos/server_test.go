package chaos_test

import (
	"errors"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/chatwire/chatwire/core/network"
	"github.com/chatwire/chatwire/domain"
)

// The server drops every connection at once. The clients' first reconnect
// attempts are spread by the backoff jitter (up to 25% of ReconnectDelay),
// not a herd arriving in the same millisecond.
func TestChaosServerDropsEveryoneReconnectsAreSpread(t *testing.T) {
	opts := clusterOptions{users: 12, convs: 2, connection: chaosConnection}
	opts.connection.ReconnectDelay = 400 * time.Millisecond
	opts.connection.MaxReconnectDelay = time.Second
	c := newCluster(t, opts)
	var first []time.Duration
	c.run(4*time.Second, func() {
		time.Sleep(500 * time.Millisecond)
		before := map[*client]int{}
		for _, cl := range c.clients {
			cl.mu.Lock()
			before[cl] = len(cl.attempts)
			cl.mu.Unlock()
		}
		dropped := time.Now()
		c.srv.DropAll()
		for _, cl := range c.clients {
			c.eventually(cl.user+" reconnects after the drop", func() bool {
				cl.mu.Lock()
				defer cl.mu.Unlock()
				return len(cl.attempts) > before[cl]
			})
		}
		c.waitAll("reconnected after the drop", domain.Connected)
		for _, cl := range c.clients {
			cl.mu.Lock()
			if len(cl.attempts) > before[cl] {
				first = append(first, cl.attempts[before[cl]].Sub(dropped))
			}
			cl.mu.Unlock()
		}
	})
	if len(first) != len(c.clients) {
		t.Fatalf("%d of %d clients reconnected", len(first), len(c.clients))
	}
	slices.Sort(first)
	spread := first[len(first)-1] - first[0]
	t.Logf("first reconnect attempts after the drop: min %v, max %v, spread %v", first[0], first[len(first)-1], spread)
	// Jitter is uniform over [0, 100ms) here; twelve draws all within 10 ms
	// of each other would happen with probability below 1e-9.
	if spread < 10*time.Millisecond {
		t.Errorf("reconnects arrived as a herd: spread %v over %d clients", spread, len(first))
	}
	if first[0] < opts.connection.ReconnectDelay/2 {
		t.Errorf("a client reconnected after %v, before the reconnect delay %v", first[0], opts.connection.ReconnectDelay)
	}
}

// The server answers upgrades with 503 for a while (every client is
// dropped, then refused many times), then recovers: the clients back off,
// keep their outboxes, and resume.
func TestChaosUpgradesRefusedThenRecover(t *testing.T) {
	c := newCluster(t, sixUsers)
	c.run(4*time.Second, func() {
		time.Sleep(500 * time.Millisecond)
		c.srv.RefuseUpgrades(30, http.StatusServiceUnavailable)
		c.srv.DropAll()
		c.waitAll("recovered after refusals", domain.Connected)
	})
	refused := 0
	for _, cl := range c.clients {
		refused += refusedStates(cl, http.StatusServiceUnavailable)
		cl.mu.Lock()
		for _, s := range cl.states {
			if s.s.Status == domain.Failed {
				t.Errorf("%s failed: %v", cl.user, s.s.Err)
			}
		}
		cl.mu.Unlock()
	}
	t.Logf("clients met %d refused upgrades", refused)
	if refused == 0 || refused > 30 {
		t.Errorf("clients met %d refusals, want 1 to 30", refused)
	}
}

// The tokens expire while the server is down. When it comes back, each
// client's token source hands out the token it still holds once (an app
// does not know the server revoked it): the server answers 401, the SDK
// asks the token source once more, gets a fresh token and resumes. No
// client reports more than one 401, and none stops.
func TestChaosTokenExpiresDuringOutage(t *testing.T) {
	c := newCluster(t, sixUsers)
	old := map[*client]string{}
	for _, cl := range c.clients {
		old[cl] = c.srv.IssueToken(cl.user) // the token the app still holds
	}
	callsBefore := map[*client]int32{}
	c.run(5*time.Second, func() {
		time.Sleep(500 * time.Millisecond)
		c.srv.Stop()
		c.waitAll("outage noticed", domain.Reconnecting)
		c.srv.ExpireTokens()
		time.Sleep(300 * time.Millisecond)
		if err := c.srv.Start(); err != nil {
			t.Fatal(err)
		}
		for _, cl := range c.clients {
			callsBefore[cl] = cl.tokenCalls.Load()
			tok := old[cl]
			cl.staleToken.Store(&tok)
		}
		c.waitAll("reconnected with fresh tokens", domain.Connected)
	})
	total401 := 0
	for _, cl := range c.clients {
		n := cl.statesMatching(domain.Reconnecting, domain.ErrUnauthorized)
		total401 += n
		if n > 1 {
			t.Errorf("%s met %d refusals (401), want at most 1", cl.user, n)
		}
		if calls := cl.tokenCalls.Load() - callsBefore[cl]; calls < 1 {
			t.Errorf("%s: token source not asked after the outage", cl.user)
		}
		cl.mu.Lock()
		for _, s := range cl.states {
			if s.s.Status == domain.Failed {
				t.Errorf("%s failed: %v", cl.user, s.s.Err)
			}
		}
		cl.mu.Unlock()
	}
	t.Logf("401s handled: %d across %d clients", total401, len(c.clients))
	if total401 == 0 {
		t.Error("no client met the expired token; the scenario did not run")
	}
}

// Each failed attempt is one asynchronous error on Errors: an app that
// shows a toast per error must not show two for one refusal.
func TestChaosEachConnectionFailureIsReportedOnce(t *testing.T) {
	c := newCluster(t, clusterOptions{users: 1, convs: 1, connection: chaosConnection})
	cl := c.clients[0]
	const refusals = 3
	c.srv.RefuseUpgrades(refusals, http.StatusServiceUnavailable)
	c.srv.DropAll()
	c.eventually("three refusals", func() bool {
		return refusedStates(cl, http.StatusServiceUnavailable) >= refusals
	})
	c.waitAll("recovered", domain.Connected)
	c.close()
	reported := 0
	cl.mu.Lock()
	for _, err := range cl.errs {
		var de *network.DialError
		if errors.As(err, &de) && de.StatusCode == http.StatusServiceUnavailable {
			reported++
		}
	}
	cl.mu.Unlock()
	if reported != refusals {
		t.Errorf("%d refused upgrades were reported %d times on Errors, want once each", refusals, reported)
	}
}

// refusedStates counts cl's transitions to Reconnecting caused by an
// upgrade refused with HTTP status.
func refusedStates(cl *client, status int) int {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	seen := map[time.Time]bool{}
	for _, s := range cl.states {
		var de *network.DialError
		if s.s.Status == domain.Reconnecting && errors.As(s.s.Err, &de) && de.StatusCode == status {
			seen[s.s.At] = true
		}
	}
	return len(seen)
}
