package clock

import (
	"sort"
	"sync"
	"time"
)

// Fake is a Clock that moves only when told to. It is safe for concurrent use.
//
// Advance runs due callbacks synchronously, in deadline order, on the calling
// goroutine; a callback may schedule further callbacks, which run in the same
// Advance if they fall due within it.
type Fake struct {
	mu      sync.Mutex
	now     time.Time
	nextID  int
	pending []*fakeTimer
	added   chan struct{} // closed and replaced whenever a timer is scheduled
}

type fakeTimer struct {
	id   int
	at   time.Time
	f    func()
	done bool
}

// NewFake returns a Fake clock that reads start.
func NewFake(start time.Time) *Fake {
	return &Fake{now: start, added: make(chan struct{})}
}

// Now returns the fake time.
func (c *Fake) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// AfterFunc schedules f to run when the fake time reaches Now()+d.
func (c *Fake) AfterFunc(d time.Duration, f func()) func() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.nextID++
	t := &fakeTimer{id: c.nextID, at: c.now.Add(d), f: f}
	c.pending = append(c.pending, t)
	close(c.added)
	c.added = make(chan struct{})
	return func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		if t.done {
			return false
		}
		t.done = true
		c.remove(t)
		return true
	}
}

// Advance moves the clock forward by d and runs every callback that falls due.
func (c *Fake) Advance(d time.Duration) {
	c.mu.Lock()
	end := c.now.Add(d)
	for {
		t := c.nextDue(end)
		if t == nil {
			break
		}
		t.done = true
		c.remove(t)
		c.now = t.at
		c.mu.Unlock()
		t.f()
		c.mu.Lock()
	}
	c.now = end
	c.mu.Unlock()
}

// Pending returns how many callbacks are scheduled and not yet run or stopped.
func (c *Fake) Pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.pending)
}

// NextDeadline returns the time until the earliest scheduled callback and
// whether there is one.
func (c *Fake) NextDeadline() (time.Duration, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.pending) == 0 {
		return 0, false
	}
	earliest := c.pending[0].at
	for _, t := range c.pending[1:] {
		if t.at.Before(earliest) {
			earliest = t.at
		}
	}
	return earliest.Sub(c.now), true
}

// WaitForTimers blocks until at least n callbacks are scheduled or the
// timeout (in real time) passes, and reports whether they were.
func (c *Fake) WaitForTimers(n int, timeout time.Duration) bool {
	deadline := time.After(timeout)
	for {
		c.mu.Lock()
		if len(c.pending) >= n {
			c.mu.Unlock()
			return true
		}
		added := c.added
		c.mu.Unlock()
		select {
		case <-added:
		case <-deadline:
			return false
		case <-time.After(5 * time.Millisecond):
			// Timers can also be stopped and re-added; poll as a fallback.
		}
	}
}

// nextDue returns the earliest pending timer due at or before end.
// The caller holds c.mu.
func (c *Fake) nextDue(end time.Time) *fakeTimer {
	sort.SliceStable(c.pending, func(i, j int) bool {
		if c.pending[i].at.Equal(c.pending[j].at) {
			return c.pending[i].id < c.pending[j].id
		}
		return c.pending[i].at.Before(c.pending[j].at)
	})
	if len(c.pending) == 0 || c.pending[0].at.After(end) {
		return nil
	}
	return c.pending[0]
}

// remove deletes t from the pending list. The caller holds c.mu.
func (c *Fake) remove(t *fakeTimer) {
	for i, p := range c.pending {
		if p == t {
			c.pending = append(c.pending[:i], c.pending[i+1:]...)
			return
		}
	}
}
