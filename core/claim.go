package core

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// Held is a job this replica holds while it works on it. A heartbeat
// renews its lease every third of the lease, so a live replica keeps its
// work however long it takes, and a dead replica's work is taken over by
// another within one lease.
type Held struct {
	s   *Service
	mu  sync.Mutex // serializes renewals with a completing Change
	job Job
	// done says a Change completed the job already (commit).
	done bool
	// req is the request the job is about as the committing Change wrote
	// it, when the job runs right after that commit: no need to read it.
	req *Request
	// refused says the job's grant was refused: the request is Failed now.
	refused bool
	// settle, when set, completes the job once its handler succeeded
	// (a completer's add), in place of a store call of its own.
	settle func(Job)
}

// JobHandler runs held jobs of a kind core does not run itself, such as an
// adapter's acknowledged chat commands. It returns nil when the job is
// done (it is then completed), or an error to leave it to its lease.
type JobHandler func(ctx context.Context, h *Held) error

// Job returns the held job as last renewed: its payload is the progress saved so far.
func (h *Held) Job() Job {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.job
}

// Save records payload as the job's progress and renews its lease. It
// returns ECONFLICT when the lease was lost: another replica has the job,
// and the holder must stop.
func (h *Held) Save(ctx context.Context, payload []byte) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	j := h.job
	j.Payload = payload
	renewed, err := h.s.store.RenewJob(ctx, j, h.s.leaseEnd(j))
	if err != nil {
		return err
	}
	h.job = renewed
	return nil
}

// commit applies ch together with the completion of the held job, so that
// ch's writes happen only if this replica still holds the job.
func (h *Held) commit(ctx context.Context, ch Change) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	ch.Complete = append(ch.Complete, h.job)
	err := h.s.store.Apply(ctx, ch)
	h.done = err == nil
	return err
}

// request returns the request the job is about.
func (h *Held) request(ctx context.Context, id string) (*Request, error) {
	if h.req != nil && h.req.ID == id {
		return h.req.Clone(), nil
	}
	return h.s.store.Request(ctx, id)
}

// heartbeat renews the lease until ctx ends or the lease is lost.
func (h *Held) heartbeat(ctx context.Context) {
	ctx = withoutStoreWait(ctx)
	t := time.NewTicker(h.s.lease / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		h.mu.Lock()
		renewed, err := h.s.store.RenewJob(ctx, h.job, h.s.leaseEnd(h.job))
		if err == nil {
			h.job = renewed
		}
		h.mu.Unlock()
		if ErrorCode(err) == ECONFLICT {
			return // completed, rescheduled or lost: nothing left to keep
		}
	}
}

// leaseEnd is when a lease taken or renewed now ends.
func (s *Service) leaseEnd(j Job) time.Time {
	end := s.clock.Now().Add(s.lease)
	if !end.After(j.Due) {
		end = j.Due.Add(time.Millisecond) // a held job's lease ends after its due time
	}
	return end
}

// held returns j as a job scheduled claimed by this replica, due now.
func (s *Service) held(j Job, now time.Time) Job {
	j.Due, j.Lease = now, now.Add(s.lease)
	return j
}

// HandleJobs makes h run the jobs of kind, on whichever replica claims them.
// Register handlers before Run starts.
func (s *Service) HandleJobs(kind JobKind, h JobHandler) {
	s.handlersMu.Lock()
	defer s.handlersMu.Unlock()
	s.handlers[kind] = h
}

// handler returns the registered handler of kind.
func (s *Service) handler(kind JobKind) JobHandler {
	s.handlersMu.Lock()
	defer s.handlersMu.Unlock()
	return s.handlers[kind]
}

// run works on a held job under a heartbeat and completes it when its
// handler succeeds; a failed job is left to its lease.
func (s *Service) run(ctx context.Context, h *Held) error {
	j := h.job
	beat, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); h.heartbeat(beat) }()
	err := s.runJob(ctx, h)
	stop()
	wg.Wait()
	if err != nil {
		return fmt.Errorf("job %s: %w", j.ID(), err)
	}
	if h.done {
		return nil
	}
	if h.settle != nil {
		h.settle(h.Job())
		return nil
	}
	return s.store.CompleteJob(ctx, h.Job())
}

// Enqueue durably queues a job of kind with payload, held by this replica,
// and returns it: the caller answers its user only after this returns, then
// runs the job with RunHeld. If this replica dies, another runs it after
// the lease. Errors: the store's, such as EUNAVAILABLE.
func (s *Service) Enqueue(ctx context.Context, kind JobKind, ref string, payload []byte) (Job, error) {
	j := s.held(Job{Kind: kind, Ref: ref, Payload: payload}, s.clock.Now())
	if err := s.store.Apply(ctx, Change{Schedule: []Job{j}}); err != nil {
		return Job{}, err
	}
	return j, nil
}

// RunHeld runs a job this replica holds (from Enqueue) with its registered
// handler, under a heartbeat, and completes it. A job that waited here for
// more than half its lease (a busy replica) is not run: its heartbeat could
// no longer be sure to keep it, so it is left to whichever replica claims
// it when the lease ends, and never runs twice.
func (s *Service) RunHeld(ctx context.Context, j Job) error {
	if s.clock.Now().After(j.Lease.Add(-s.lease / 2)) {
		return nil
	}
	return s.run(ctx, &Held{s: s, job: j})
}
