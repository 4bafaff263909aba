package core

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"
)

// Scheduler settings.
const (
	jobLease      = 4 * time.Second // a claimed job whose heartbeat stopped comes back to any replica after this
	jobBatch      = 1000
	jobWorkers    = 64                     // jobs of one batch that run at once
	TickInterval  = 200 * time.Millisecond // how often Run looks for due jobs
	reminderDelay = 24 * time.Hour         // re-check of a refused last-admin expiry
)

// RunDue claims and runs every job due now, and returns how many ran. Jobs
// of a batch run concurrently (jobWorkers at a time), so that thousands of
// windows ending in the same second are revoked within it; their expiries
// are committed in groups (expireTogether), and the jobs that ran are
// completed in batches (completer). A job whose handler fails is left
// claimed: its lease brings it back later.
func (s *Service) RunDue(ctx context.Context) (int, error) { return s.runDue(ctx, ctx) }

// runDue is RunDue claiming batches until stop ends, and running the jobs
// it claimed under work.
func (s *Service) runDue(stop, work context.Context) (int, error) {
	ctx := work
	var (
		mu   sync.Mutex
		n    int
		errs []error
	)
	fail := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		errs = append(errs, err)
	}
	ran := func(kind JobKind, lag time.Duration, err error) {
		s.observe.JobRan(kind, lag, err)
		if err != nil {
			fail(err)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		n++
	}
	for {
		jobs, err := s.store.ClaimJobs(ctx, s.clock.Now(), s.lease, jobBatch)
		if err != nil {
			return n, fmt.Errorf("claim jobs: %w", err)
		}
		var wg sync.WaitGroup
		sem := make(chan struct{}, jobWorkers)
		done := s.newCompleter(ctx, fail)
		// spawn runs f on a worker; it never blocks its caller, so work
		// may spawn work.
		spawn := func(f func()) {
			wg.Add(1)
			go func() {
				sem <- struct{}{}
				defer func() { <-sem; wg.Done() }()
				f()
			}()
		}
		runOne := func(h *Held) {
			h.settle = done.add
			spawn(func() {
				lag := s.clock.Now().Sub(h.job.Due)
				ran(h.job.Kind, lag, s.run(ctx, h))
			})
		}
		groups, other := expiriesApart(jobs)
		for _, group := range groups {
			spawn(func() {
				lag := s.clock.Now().Sub(group[0].Due)
				held, alone, err := s.expireTogether(ctx, group)
				if err != nil {
					ran(JobExpire, lag, fmt.Errorf("expire %d windows: %w", len(group), err))
					return
				}
				for range len(group) - len(alone) {
					ran(JobExpire, lag, nil)
				}
				for _, h := range held {
					runOne(h)
				}
				for _, j := range alone {
					runOne(&Held{s: s, job: j})
				}
			})
		}
		for _, j := range other {
			runOne(&Held{s: s, job: j})
		}
		wg.Wait()
		done.close()
		if len(jobs) < jobBatch || stop.Err() != nil {
			return n, errors.Join(errs...)
		}
	}
}

// Run runs due jobs every TickInterval until ctx ends, reporting failures
// to onErr. While it runs, notices committed by this replica are delivered
// in the background, so that no caller waits for a platform; Run waits for
// those deliveries before it returns.
//
// When ctx ends, Run claims no more jobs, but the jobs it has claimed run to
// completion (their target calls are bounded by the targets' timeouts), so
// that a shutdown does not leave them to their leases.
func (s *Service) Run(ctx context.Context, onErr func(error)) {
	s.background.Store(true)
	defer s.bg.Wait()
	t := time.NewTicker(TickInterval)
	defer t.Stop()
	work := context.WithoutCancel(ctx)
	for {
		_, err := s.runDue(ctx, work)
		if ctx.Err() != nil {
			return
		}
		s.observe.SchedulerTick(err)
		if err != nil && onErr != nil {
			onErr(err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// runJob dispatches a due job. Handlers are idempotent: a job that runs
// twice (a lease ran out mid-job) finds its work done and does nothing.
func (s *Service) runJob(ctx context.Context, h *Held) error {
	j := h.Job()
	var err error
	switch j.Kind {
	case JobStart:
		_, err = s.update(ctx, j.Ref, s.startStep)
	case JobExpire:
		_, err = s.update(ctx, j.Ref, s.expireStep)
		h.done = err == nil // the expiry's Change unscheduled this job: nothing to complete
	case JobTimeout:
		_, err = s.update(ctx, j.Ref, s.timeoutStep)
	case JobEscalate:
		_, err = s.update(ctx, j.Ref, s.escalateStep)
	case JobWarn:
		err = s.warn(ctx, j.Ref)
	case JobGrant:
		err = s.grant(ctx, h)
	case JobRevoke:
		err = s.revoke(ctx, h)
	case JobExtend:
		err = s.extend(ctx, h)
	case JobNotify:
		err = s.deliver(ctx, h)
	case JobEligibilityEnd, JobAssignmentEnd:
		err = s.endAssignment(ctx, j)
	case JobReviewStart, JobReviewRemind, JobReviewEnd, JobReviewPurge, JobReviewSweep:
		err = s.reviews.runJob(ctx, j)
	case JobAlertScan:
		err = s.alerts.runJob(ctx, j)
	case JobAnchor:
		err = s.alerts.anchorJob(ctx)
	case JobPurge:
		err = s.purge(ctx, j.Ref)
	case JobArchive:
		err = s.archiveJob(ctx)
	case JobRetentionSweep:
		err = retentionSweep.run(ctx, s, h)
	case JobHistorySweep:
		err = historySweep.run(ctx, s, h)
	default:
		run := s.handler(j.Kind)
		if run == nil {
			// A kind another replica handles (a chat platform this one has
			// not configured) or a newer version's: leave it to its lease.
			return fmt.Errorf("no handler for job kind %q", j.Kind)
		}
		err = run(ctx, h)
	}
	if errors.Is(err, errNothingToDo) || ErrorCode(err) == ENOTFOUND {
		return nil
	}
	return err
}

// startStep activates a Scheduled request at its start, if the requester is still eligible.
func (s *Service) startStep(req *Request, now time.Time, ch *Change) (outcome, error) {
	if req.State != Scheduled {
		return outcome{}, errNothingToDo
	}
	if err := s.checkEligible(context.Background(), req.Principal, req.Role, now); err != nil {
		req.State, req.DecidedAt, req.Reason = Failed, now, "not eligible at start: "+ErrorMessage(err)
		release(req, ch)
		e := audit(req, "fail", System, now)
		e.Reason = req.Reason
		ch.Audit = append(ch.Audit, e)
		return outcome{events: []Event{s.event(EventFailed, req, System.Principal, now)}}, nil
	}
	return s.activate(req, System, now, ch), nil
}

// expireStep ends an active window whose time has come.
func (s *Service) expireStep(req *Request, now time.Time, ch *Change) (outcome, error) {
	if req.State != StateActive || req.EndsAt.After(now) {
		return outcome{}, errNothingToDo
	}
	req.State, req.DecidedAt = Expired, now
	return s.end(req, System, now, ch, "expire", EventExpired), nil
}

// timeoutStep ends a request nobody decided on (or whose MFA never came) in time.
func (s *Service) timeoutStep(req *Request, now time.Time, ch *Change) (outcome, error) {
	if !req.State.Pending() || req.DeadlineAt.After(now) {
		return outcome{}, errNothingToDo
	}
	req.State, req.DecidedAt, req.DeadlineAt = TimedOut, now, time.Time{}
	release(req, ch)
	unschedule(req, ch, JobEscalate)
	ch.Audit = append(ch.Audit, audit(req, "timeout", System, now))
	return outcome{events: []Event{s.event(EventTimedOut, req, System.Principal, now)}}, nil
}

// escalateStep adds the backup approvers to a request still waiting.
func (s *Service) escalateStep(req *Request, now time.Time, ch *Change) (outcome, error) {
	role, ok := s.dir().Roles[req.Role]
	if req.State != PendingApproval || req.Escalated || !ok {
		return outcome{}, errNothingToDo
	}
	before := s.approvers(role, false, req.Principal)
	req.Escalated = true
	ch.Audit = append(ch.Audit, audit(req, "escalate", System, now))
	e := s.event(EventEscalated, req, System.Principal, now)
	for _, a := range s.approvers(role, true, req.Principal) {
		if !slices.Contains(before, a) {
			e.Recipients = append(e.Recipients, a)
		}
	}
	return outcome{events: []Event{e}}, nil
}

// warn tells the holder that their window ends soon.
func (s *Service) warn(ctx context.Context, id string) error {
	req, err := s.store.Request(ctx, id)
	if err != nil {
		return err
	}
	now := s.clock.Now()
	if req.State != StateActive || !req.EndsAt.After(now) || req.EndsAt.Sub(now) > ExpiryWarning+time.Minute {
		return nil
	}
	return s.Notify(ctx, s.event(EventExpiring, req, System.Principal, now))
}
