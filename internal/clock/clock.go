// Package clock is the wall clock behind chatwire's Clock seams
// (core/clock.Clock, domain.Clock): one implementation for every layer.
package clock

import "time"

// Clock tells the time and schedules callbacks. Its method set uses only
// standard types, so it is the method set of core/clock.Clock and
// domain.Clock too, and one fake clock drives every layer in a test.
type Clock interface {
	Now() time.Time
	// AfterFunc calls f after d, on another goroutine; stop cancels the
	// call and reports whether it did so before f ran.
	AfterFunc(d time.Duration, f func()) (stop func() bool)
}

// Real returns the wall clock. Safe for concurrent use.
func Real() Clock { return realClock{} }

// Or returns c, or the wall clock when c is nil.
func Or(c Clock) Clock {
	if c == nil {
		return realClock{}
	}
	return c
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) AfterFunc(d time.Duration, f func()) func() bool {
	return time.AfterFunc(d, f).Stop
}
