package network

import (
	"errors"
	"testing"
	"time"
)

func TestBackoffSchedule(t *testing.T) {
	const s = time.Second
	tests := []struct {
		name string
		r    float64
		want []time.Duration
	}{
		{"no jitter", 0, []time.Duration{5 * s, 5 * s, 5 * s, 5 * s, 5 * s}},
		{"half", 0.5, []time.Duration{5625 * time.Millisecond, 7500 * time.Millisecond, 12500 * time.Millisecond, 22500 * time.Millisecond, 32500 * time.Millisecond, 32500 * time.Millisecond}},
		{"top", 0.999, []time.Duration{6248750 * time.Microsecond, 9995 * time.Millisecond, 19985 * time.Millisecond, 39965 * time.Millisecond, 59945 * time.Millisecond, 59945 * time.Millisecond}},
		{"out of range rand is treated as 0", 1.5, []time.Duration{5 * s, 5 * s}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := backoff{base: 5 * s, max: 60 * s, rand: func() float64 { return tt.r }}
			for i, want := range tt.want {
				if got := b.next(); got != want {
					t.Fatalf("delay %d = %v, want %v", i+1, got, want)
				}
			}
			b.reset()
			if got := b.next(); got != tt.want[0] {
				t.Fatalf("after reset = %v, want %v", got, tt.want[0])
			}
		})
	}
}

func TestBackoffNeverBelowBaseNorAboveCap(t *testing.T) {
	seq := []float64{0, 0.1, 0.9, 0.3, 0.999, 0.01, 0.5}
	i := 0
	b := backoff{base: 5 * time.Second, max: 60 * time.Second, rand: func() float64 { i++; return seq[i%len(seq)] }}
	first := b.next()
	if first < 5*time.Second || first > 6250*time.Millisecond {
		t.Fatalf("first delay %v outside 5s..6.25s", first)
	}
	for n := range 200 {
		d := b.next()
		if d < 5*time.Second || d > 60*time.Second {
			t.Fatalf("delay %d = %v outside [5s, 60s]", n+2, d)
		}
	}
}

func TestBackoffHugeAttemptCountDoesNotOverflow(t *testing.T) {
	b := backoff{base: time.Second, max: time.Minute, rand: func() float64 { return 0.999 }}
	b.n = 70
	if d := b.next(); d <= 0 || d > time.Minute {
		t.Fatalf("delay = %v", d)
	}
}

func TestPolicyGuards(t *testing.T) {
	newPolicy := func() *policy {
		return &policy{backoff: backoff{base: 5 * time.Second, max: time.Minute, rand: func() float64 { return 0 }}}
	}
	t.Run("reconnect now falls back to backoff after three", func(t *testing.T) {
		p := newPolicy()
		for i := range maxImmediate {
			if d, stop := p.decide(ReconnectNow); d != 0 || stop {
				t.Fatalf("immediate %d: delay %v stop %v", i+1, d, stop)
			}
		}
		if d, _ := p.decide(ReconnectNow); d != 5*time.Second {
			t.Fatalf("fourth ReconnectNow delay = %v, want the backoff 5s", d)
		}
		p.connected() // connecting is not enough: only a stable period resets the guard
		if d, _ := p.decide(ReconnectNow); d == 0 {
			t.Fatal("guard reset by a connect that was not stable")
		}
		p.stable()
		if d, _ := p.decide(ReconnectNow); d != 0 {
			t.Fatalf("after a stable period delay = %v, want 0", d)
		}
	})
	t.Run("reauthorize once, then stop", func(t *testing.T) {
		p := newPolicy()
		if d, stop := p.decide(Reauthorize); d != 0 || stop {
			t.Fatalf("first Reauthorize: delay %v stop %v", d, stop)
		}
		if _, stop := p.decide(Reauthorize); !stop {
			t.Fatal("second Reauthorize in a row did not stop")
		}
	})
	t.Run("reauthorize again after a connect", func(t *testing.T) {
		p := newPolicy()
		p.decide(Reauthorize)
		p.connected()
		if _, stop := p.decide(Reauthorize); stop {
			t.Fatal("Reauthorize after a successful connect stopped")
		}
	})
	t.Run("a backoff in between breaks the row", func(t *testing.T) {
		p := newPolicy()
		p.decide(Reauthorize)
		p.decide(Backoff)
		if _, stop := p.decide(Reauthorize); stop {
			t.Fatal("Reauthorize after a Backoff stopped")
		}
	})
	t.Run("stop", func(t *testing.T) {
		if _, stop := newPolicy().decide(Stop); !stop {
			t.Fatal("Stop did not stop")
		}
	})
}

func TestDefaultClassify(t *testing.T) {
	tests := []struct {
		err  error
		want Decision
	}{
		{&DialError{StatusCode: 401, Err: errors.New("unauthorized")}, Reauthorize},
		{&CloseError{Code: CloseUnauthorized}, Reauthorize},
		{ErrUnauthorized, Reauthorize},
		{&DialError{StatusCode: 503, Err: errors.New("unavailable")}, Backoff},
		{&CloseError{Code: CloseMessageTooBig, Err: ErrFrameTooLarge}, Backoff},
		{&CloseError{Code: CloseFrameTooLarge}, Backoff},
		{&CloseError{Code: ClosePolicy}, Backoff},
		{&CloseError{Code: CloseGoingAway}, Backoff},
		{ErrHeartbeatTimeout, Backoff},
		{refused, Backoff},
	}
	for _, tt := range tests {
		if got := DefaultClassify(tt.err); got != tt.want {
			t.Errorf("DefaultClassify(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}

// The reconnect schedule, proven on the fake clock: after a drop the first
// delay is ReconnectDelay plus jitter, later delays grow with full jitter
// up to the cap, and a retry happens exactly when its delay has passed.
func TestManagerReconnectSchedule(t *testing.T) {
	h := newHarness(t, func(c *scriptedClient) {
		if c.n > 1 {
			c.connectErr = refused
		}
	}, func(o *ManagerOptions) {
		o.Rand = func() float64 { return 0.999 }
		o.HeartbeatInterval = time.Hour
	})
	h.start()
	h.expect(StateConnecting)
	c := h.connectedClient()
	h.dialedClient()
	h.expect(StateConnected)
	c.drop(CloseGoingAway)

	want := []time.Duration{
		6248750 * time.Microsecond, // 5s + 25% jitter
		9995 * time.Millisecond,    // up to 10s
		19985 * time.Millisecond,   // up to 20s
		39965 * time.Millisecond,   // up to 40s
		59945 * time.Millisecond,   // capped at 60s
		59945 * time.Millisecond,
	}
	for i, d := range want {
		sc := h.expect(StateReconnecting)
		if sc.Delay != d || sc.Attempt != i+1 {
			t.Fatalf("reconnect %d: attempt %d delay %v, want attempt %d delay %v", i+1, sc.Attempt, sc.Delay, i+1, d)
		}
		if i == 0 {
			var ce *CloseError
			if !errors.As(sc.Err, &ce) || ce.Code != CloseGoingAway {
				t.Fatalf("cause = %v, want the peer's close 1001", sc.Err)
			}
		} else if !errors.Is(sc.Err, refused) {
			t.Fatalf("cause = %v, want the refused dial", sc.Err)
		}
		dials := h.srv.count()
		h.awaitArmed(d)
		h.clk.Advance(d - time.Nanosecond)
		if h.srv.count() != dials {
			t.Fatalf("reconnect %d: dialled before its delay had passed", i+1)
		}
		h.clk.Advance(time.Nanosecond)
		h.dialedClient()
	}
}

// The default first delay is 5s plus up to 25% jitter.
func TestManagerDefaultFirstDelay(t *testing.T) {
	h := newHarness(t, func(c *scriptedClient) { c.connectErr = refused }, func(o *ManagerOptions) {
		o.Rand = nil // math/rand/v2
	})
	h.start()
	h.expect(StateConnecting)
	sc := h.expect(StateReconnecting)
	if sc.Delay < 5*time.Second || sc.Delay > 6250*time.Millisecond {
		t.Fatalf("first delay = %v, want 5s..6.25s", sc.Delay)
	}
	if sc.Attempt != 2 {
		t.Fatalf("attempt = %d, want 2", sc.Attempt)
	}
}

// A connection that stays up for StablePeriod resets the backoff; one that
// drops sooner (a flapping server) does not, so the delays keep growing.
func TestManagerBackoffResetOnlyAfterStablePeriod(t *testing.T) {
	h := newHarness(t, nil, func(o *ManagerOptions) {
		o.HeartbeatInterval = time.Hour
		o.StablePeriod = 30 * time.Second
	})
	h.start()
	h.expect(StateConnecting)

	// Rand is 0.5: 5.625s first, then up to 10s → 7.5s, up to 20s → 12.5s.
	flapping := []time.Duration{5625 * time.Millisecond, 7500 * time.Millisecond, 12500 * time.Millisecond}
	for i, want := range flapping {
		c := h.connectedClient()
		h.expect(StateConnected)
		h.clk.Advance(29 * time.Second) // up, but not for StablePeriod
		c.drop(CloseAbnormal)
		sc := h.expect(StateReconnecting)
		if sc.Delay != want {
			t.Fatalf("flap %d: delay %v, want %v", i+1, sc.Delay, want)
		}
		h.sleepOut(sc.Delay)
	}

	c := h.connectedClient()
	h.expect(StateConnected)
	h.clk.Advance(30 * time.Second) // stable
	c.drop(CloseAbnormal)
	if sc := h.expect(StateReconnecting); sc.Delay != 5625*time.Millisecond {
		t.Fatalf("after a stable connection: delay %v, want the first delay 5.625s", sc.Delay)
	}
}
