package clock

import (
	"time"

	wall "github.com/chatwire/chatwire/internal/clock"
)

// Clock tells the time and schedules callbacks. Implementations are safe for
// concurrent use.
//
// The method set uses only standard types, so any Clock also satisfies
// domain.Clock, and one Fake drives every layer in a test.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// AfterFunc calls f after d, never on the goroutine that called
	// AfterFunc: Real runs f in its own goroutine, Fake on the goroutine
	// that calls Advance. The returned stop function cancels the call and
	// reports whether it did so before f ran.
	AfterFunc(d time.Duration, f func()) (stop func() bool)
}

// Real returns the wall clock.
func Real() Clock { return wall.Real() }
