package core

import "time"

// Observer is told what the scheduler does, so that operators can watch it
// (metrics live outside core). Its methods are called from the scheduler's
// goroutines: they must be quick and safe for concurrent use.
type Observer interface {
	// JobRan reports a job of kind that ran lag after it came due, and
	// how it ended (nil: done or nothing to do).
	JobRan(kind JobKind, lag time.Duration, err error)
	// SchedulerTick reports one pass of Run over the due jobs, and what
	// failed in it (nil: nothing; else claiming or some job failed).
	SchedulerTick(err error)
}

// noObserver is the Observer of a Service configured without one.
type noObserver struct{}

func (noObserver) JobRan(JobKind, time.Duration, error) {}
func (noObserver) SchedulerTick(error)                  {}
