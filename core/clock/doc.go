// Package clock is the time seam of chatwire: every timer in core goes
// through a Clock, so tests of 30 s heartbeats and 5 s reconnect delays run
// in microseconds with a Fake.
//
// Real is the wall clock. Fake moves only when a test calls Advance and
// runs the callbacks that fall due on the calling goroutine, in deadline
// order; WaitForTimers lets a test wait until the code under test has
// armed its timers before advancing.
package clock
