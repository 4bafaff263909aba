package core

import (
	"context"
	"time"
)

// A completer completes the jobs the scheduler ran in batches, one
// CompleteJobs call for many, instead of one store call each: ten thousand windows ending in
// the same second are ten thousand revokes and as many notices, whose
// completions would otherwise be twenty thousand round trips. A finished
// job waits at most completeEvery for its batch, far inside the lease it
// still holds (its heartbeat has stopped), so no other replica takes it
// over meanwhile.

const (
	completeBatch = 256                   // jobs one CompleteJobs call carries at most
	completeEvery = 10 * time.Millisecond // how long a finished job waits for its batch at most
)

// completer gathers finished jobs and completes them in batches.
type completer struct {
	s    *Service
	ctx  context.Context
	fail func(error)
	in   chan Job
	done chan struct{}
}

// newCompleter starts a completer; fail hears of completions that failed
// (the jobs then come back when their leases end, and run again: every
// handler is idempotent).
func (s *Service) newCompleter(ctx context.Context, fail func(error)) *completer {
	c := &completer{s: s, ctx: ctx, fail: fail, in: make(chan Job, completeBatch), done: make(chan struct{})}
	go c.loop()
	return c
}

// add hands over a finished job for completion.
func (c *completer) add(j Job) { c.in <- j }

// close completes what is pending and returns when that is done.
func (c *completer) close() {
	close(c.in)
	<-c.done
}

func (c *completer) loop() {
	defer close(c.done)
	t := time.NewTicker(completeEvery)
	defer t.Stop()
	var batch []Job
	for {
		select {
		case j, ok := <-c.in:
			if !ok {
				c.flush(batch)
				return
			}
			if batch = append(batch, j); len(batch) >= completeBatch {
				c.flush(batch)
				batch = nil
			}
		case <-t.C:
			c.flush(batch)
			batch = nil
		}
	}
}

// flush completes batch in one store call, which skips any job no longer
// held as it was (its lease lost, or rescheduled by its handler).
func (c *completer) flush(batch []Job) {
	if len(batch) == 0 {
		return
	}
	if err := c.s.store.CompleteJobs(c.ctx, batch); err != nil {
		c.fail(err)
	}
}
