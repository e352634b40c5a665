package chaos_test

import (
	"testing"
	"time"

	"github.com/chatwire/chatwire/core/network"
	"github.com/chatwire/chatwire/domain"
)

// Six users in two conversations; every scenario sends for a few seconds.
var sixUsers = clusterOptions{users: 6, convs: 2, connection: chaosConnection}

// Latency of 200 ms ± 100 ms each way: slow, but nothing lost or doubled.
func TestChaosLatencyAndJitter(t *testing.T) {
	c := newCluster(t, sixUsers)
	c.run(4*time.Second, func() {
		c.proxy.both("latency", "latency", `{"latency":200,"jitter":100}`)
	})
}

// A 32 KB/s link each way.
func TestChaosBandwidthLimit(t *testing.T) {
	c := newCluster(t, sixUsers)
	c.run(4*time.Second, func() {
		c.proxy.both("bandwidth", "bandwidth", `{"rate":32}`)
	})
}

// TCP fragmentation: every frame arrives in slices of 1 to 15 bytes.
func TestChaosSlicer(t *testing.T) {
	c := newCluster(t, sixUsers)
	c.run(4*time.Second, func() {
		c.proxy.both("slicer", "slicer", `{"average_size":8,"size_variation":7,"delay":50}`)
	})
}

// A half-open connection: the proxy keeps TCP up but forwards nothing.
// Every client detects it by heartbeat + pong timeout (the cause is
// network.ErrHeartbeatTimeout), then reconnects once the path heals, and
// nothing is lost or doubled.
func TestChaosBlackholeIsDetectedByHeartbeat(t *testing.T) {
	c := newCluster(t, halfOpenOptions(6))
	c.run(5*time.Second, func() {
		time.Sleep(time.Second)
		c.proxy.both("blackhole", "timeout", `{"timeout":0}`)
		c.waitAll("blackhole detected", domain.Reconnecting)
		c.proxy.removeBoth("blackhole")
		c.waitAll("reconnected after the blackhole", domain.Connected)
	})
	for _, cl := range c.clients {
		if n := cl.statesMatching(domain.Reconnecting, network.ErrHeartbeatTimeout); n == 0 {
			t.Errorf("%s: the blackhole was not detected as a heartbeat timeout", cl.user)
		}
	}
}

// halfOpenOptions: heartbeat 300 ms, pong timeout 300 ms.
func halfOpenOptions(users int) clusterOptions {
	o := clusterOptions{users: users, convs: 2, connection: chaosConnection}
	o.connection.HeartbeatInterval = 300 * time.Millisecond
	o.connection.PongTimeout = 300 * time.Millisecond
	o.connection.HandshakeTimeout = time.Second
	return o
}

// After a half-open connection is detected (heartbeat + pong timeout), the
// next attempt should start at once (after the reconnect delay), not after
// a close handshake with a peer known to be dead. The bound is 600 ms of
// protocol timers plus the 50 ms reconnect delay plus 2 s of slack for a
// busy machine.
func TestChaosHalfOpenReconnectStartsWithinHeartbeatPlusPong(t *testing.T) {
	c := newCluster(t, halfOpenOptions(2))
	before := map[*client]int{}
	for _, cl := range c.clients {
		cl.mu.Lock()
		before[cl] = len(cl.attempts)
		cl.mu.Unlock()
	}
	start := time.Now()
	c.proxy.both("blackhole", "timeout", `{"timeout":0}`)
	var worst time.Duration
	for _, cl := range c.clients {
		c.eventually(cl.user+" tries again", func() bool {
			cl.mu.Lock()
			defer cl.mu.Unlock()
			return len(cl.attempts) > before[cl]
		})
		cl.mu.Lock()
		worst = max(worst, cl.attempts[before[cl]].Sub(start))
		cl.mu.Unlock()
	}
	c.proxy.removeBoth("blackhole")
	c.waitAll("reconnected", domain.Connected)
	t.Logf("half-open connection: next attempt %v after the blackhole (heartbeat 300ms + pong 300ms)", worst)
	if limit := 650*time.Millisecond + 2*time.Second; worst > limit {
		t.Errorf("the reconnect started %v after the path went silent, want within %v: the dead socket's close handshake is waited for", worst, limit)
	}
	c.close()
}

// Connections are reset repeatedly, while frames are in flight: RST via the
// reset_peer toxic, and the proxy disabled and re-enabled (every socket
// closed at once).
func TestChaosResetsMidFrame(t *testing.T) {
	c := newCluster(t, sixUsers)
	c.run(6*time.Second, func() {
		// Slices keep frames in flight when the reset hits.
		c.proxy.both("slicer", "slicer", `{"average_size":16,"size_variation":12,"delay":200}`)
		for i := range 6 {
			time.Sleep(400 * time.Millisecond)
			if i%2 == 0 {
				c.proxy.add("reset", "reset_peer", "downstream", `{"timeout":30}`)
				time.Sleep(150 * time.Millisecond)
				c.proxy.remove("reset")
			} else {
				c.proxy.disable()
				time.Sleep(100 * time.Millisecond)
				c.proxy.enable()
			}
		}
		c.proxy.reset()
	})
	for _, cl := range c.clients {
		cl.mu.Lock()
		n := len(cl.attempts)
		cl.mu.Unlock()
		if n < 2 {
			t.Errorf("%s connected %d times; the resets did not reach it", cl.user, n)
		}
	}
}
