package core

import "time"

// Clock tells the time. Domain logic never calls time.Now directly so that
// tests can drive windows, timeouts and schedules with a manual clock.
type Clock interface {
	Now() time.Time
}

// SystemClock is the wall clock.
type SystemClock struct{}

// Now returns the current wall-clock time.
func (SystemClock) Now() time.Time { return time.Now() }
