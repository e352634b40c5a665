package presentation

import (
	"time"

	"github.com/chatwire/chatwire/domain"
)

// realClock is the wall clock used when an options struct leaves Clock nil.
type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) AfterFunc(d time.Duration, f func()) func() bool {
	return time.AfterFunc(d, f).Stop
}

func clockOr(c domain.Clock) domain.Clock {
	if c == nil {
		return realClock{}
	}
	return c
}
