package peer

import (
	"runtime"
	"slices"
	"syscall"
	"time"
)

// Result is what one client process measured in one run. Every figure is
// the client process's own: CPU from getrusage(RUSAGE_SELF), allocations
// from the Go runtime (not for pusher-js), from the first message received
// to the last.
type Result struct {
	Client string `json:"client"`
	Run    string `json:"run"`
	N      int    `json:"n"`

	CPUMicrosPerMsg float64 `json:"cpu_us_per_msg"`
	AllocsPerMsg    float64 `json:"allocs_per_msg,omitempty"`
	BytesPerMsg     float64 `json:"bytes_per_msg,omitempty"`
	MsgsPerSec      float64 `json:"msgs_per_sec"`

	// Latency runs: server write to the application's receipt, on the one
	// clock of the machine.
	P50Micros float64 `json:"p50_us,omitempty"`
	P99Micros float64 `json:"p99_us,omitempty"`

	// Idle runs: what one open, quiet connection adds to the process.
	HeapBytesPerConn  float64 `json:"heap_bytes_per_conn,omitempty"`
	StackBytesPerConn float64 `json:"stack_bytes_per_conn,omitempty"`
	GoroutinesPerConn float64 `json:"goroutines_per_conn,omitempty"`
}

// Meter measures a run from its first message to its last. Not safe for
// concurrent use: call Message from the goroutine that receives.
type Meter struct {
	run      Run
	n        int
	t0       time.Time
	cpu0     time.Duration
	mem0     runtime.MemStats
	lat      []time.Duration
	Done     chan struct{} // closed after the run's last message
	finished Result
}

// NewMeter returns a Meter for r.
func NewMeter(r Run) *Meter {
	m := &Meter{run: r, Done: make(chan struct{})}
	if r.Gap > 0 {
		m.lat = make([]time.Duration, 0, r.N)
	}
	return m
}

// Message records one message the application received; stamp is its
// write time (zero in floods).
func (m *Meter) Message(stamp int64) {
	now := time.Now()
	if m.n == 0 {
		m.t0, m.cpu0 = now, cpuTime()
		runtime.ReadMemStats(&m.mem0)
	}
	if stamp > 0 {
		m.lat = append(m.lat, now.Sub(time.Unix(0, stamp)))
	}
	m.n++
	if m.n == m.run.N {
		m.finish(now)
		close(m.Done)
	}
}

func (m *Meter) finish(now time.Time) {
	cpu := cpuTime() - m.cpu0
	var mem runtime.MemStats
	runtime.ReadMemStats(&mem)
	per := float64(m.n - 1) // the first message opened the window
	m.finished = Result{
		Run:             m.run.Name(),
		N:               m.n,
		CPUMicrosPerMsg: float64(cpu.Microseconds()) / per,
		AllocsPerMsg:    float64(mem.Mallocs-m.mem0.Mallocs) / per,
		BytesPerMsg:     float64(mem.TotalAlloc-m.mem0.TotalAlloc) / per,
		MsgsPerSec:      per / now.Sub(m.t0).Seconds(),
	}
	if len(m.lat) > 0 {
		slices.Sort(m.lat)
		at := func(p float64) float64 {
			return float64(m.lat[min(len(m.lat)-1, int(p*float64(len(m.lat))))].Nanoseconds()) / 1e3
		}
		m.finished.P50Micros, m.finished.P99Micros = at(0.50), at(0.99)
	}
}

// Result returns the figures once Done is closed.
func (m *Meter) Result() Result { return m.finished }

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// IdleProbe measures what k connections add to the process: open opens
// one and returns its closer.
func IdleProbe(k int, open func() (func(), error)) (Result, error) {
	closers := make([]func(), 0, k)
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
	for range k {
		c, err := open()
		if err != nil {
			return Result{}, err
		}
		closers = append(closers, c)
	}
	time.Sleep(200 * time.Millisecond) // every reader blocked in its read
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&after)
	g1 := runtime.NumGoroutine()
	per := func(a, b uint64) float64 { return (float64(a) - float64(b)) / float64(k) }
	return Result{
		Run:               Idle,
		N:                 k,
		HeapBytesPerConn:  per(after.HeapAlloc, before.HeapAlloc),
		StackBytesPerConn: per(after.StackInuse, before.StackInuse),
		GoroutinesPerConn: float64(g1-g0) / float64(k),
	}, nil
}
