package domain

import "time"

// Clock tells the time and schedules callbacks, for the timers of the
// presentation layer (typing expiry, ring timeout). Its method set uses only
// standard types, so core/clock's real and fake clocks satisfy it.
type Clock interface {
	Now() time.Time
	// AfterFunc calls f after d; stop cancels it and reports whether it did.
	AfterFunc(d time.Duration, f func()) (stop func() bool)
}
