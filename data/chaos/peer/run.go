package peer

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Run is what a server sends on one subscription: N messages, as fast as
// the socket takes them (Gap zero: a flood) or one every Gap (latency).
// It travels as a name, "flood-N" or "latency-N-GAPµs", in a query
// parameter, a Pusher channel name or a Centrifuge channel name.
type Run struct {
	N   int
	Gap time.Duration
}

// Flood returns the run of n messages as fast as possible.
func Flood(n int) Run { return Run{N: n} }

// Latency returns the run of n messages, one every gap.
func Latency(n int, gap time.Duration) Run { return Run{N: n, Gap: gap} }

// Name returns the run as a channel-safe name.
func (r Run) Name() string {
	if r.Gap == 0 {
		return fmt.Sprintf("flood-%d", r.N)
	}
	return fmt.Sprintf("latency-%d-%d", r.N, r.Gap.Microseconds())
}

// Idle is the run of no message: the connection stays open and quiet.
const Idle = "idle"

// ParseRun reads a name made by Name, or Idle; a prefix before the last
// "." or ":" (a channel namespace) is ignored.
func ParseRun(name string) (Run, error) {
	if i := strings.LastIndexAny(name, ".:"); i >= 0 {
		name = name[i+1:]
	}
	if name == Idle {
		return Run{}, nil
	}
	parts := strings.Split(name, "-")
	bad := fmt.Errorf("peer: %q is not a run name", name)
	if len(parts) < 2 {
		return Run{}, bad
	}
	n, err := strconv.Atoi(parts[1])
	if err != nil || n <= 0 {
		return Run{}, bad
	}
	switch {
	case parts[0] == "flood" && len(parts) == 2:
		return Flood(n), nil
	case parts[0] == "latency" && len(parts) == 3:
		us, err := strconv.Atoi(parts[2])
		if err != nil || us <= 0 {
			return Run{}, bad
		}
		return Latency(n, time.Duration(us)*time.Microsecond), nil
	}
	return Run{}, bad
}

// send calls write for each message of r, with the seq and the write time
// to put in it (zero in a flood), pacing a latency run; it stops at the
// first error.
func (r Run) send(write func(seq, stamp int64) error) error {
	next := time.Now()
	for i := range r.N {
		seq := int64(FirstSeq + i)
		var stamp int64
		if r.Gap > 0 {
			next = next.Add(r.Gap)
			time.Sleep(time.Until(next))
			stamp = time.Now().UnixNano()
		}
		if err := write(seq, stamp); err != nil {
			return err
		}
	}
	return nil
}
