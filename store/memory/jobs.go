package memory

import (
	"context"
	"sort"
	"time"

	"github.com/elevate-pim/elevate/core"
)

// job is a scheduled job and its score: the time it next comes due, which is
// its Due until it is claimed and the end of its lease after.
type job struct {
	core.Job // Lease is kept zero here; claimed says whether score is a lease
	score    time.Time
	claimed  bool
}

// view returns the job as callers see it: Lease set while it is claimed.
func (j *job) view() core.Job {
	out := j.Job
	out.Payload = append([]byte(nil), j.Payload...)
	if j.claimed {
		out.Lease = j.score
	}
	return out
}

// ClaimJobs claims up to limit jobs whose score is at or before now, oldest
// score first (ties by id). Each claimed job comes due again at now+lease,
// and is returned with Lease set to that time and Due as scheduled.
// A lease or limit that is not positive is EINVALID.
func (s *Store) ClaimJobs(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]core.Job, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := core.ValidateClaim(lease, limit); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var due []*job
	for _, j := range s.jobs {
		if !j.score.After(now) {
			due = append(due, j)
		}
	}
	sortJobs(due)
	if len(due) > limit {
		due = due[:limit]
	}
	until := now.Add(lease)
	out := make([]core.Job, len(due))
	for i, j := range due {
		j.score, j.claimed = until, true
		out[i] = j.view()
	}
	return out, nil
}

// CompleteJob removes j if it is still claimed under j.Lease. Leases compare
// at millisecond precision, the precision a Redis score keeps. A job that was
// rescheduled, re-claimed or removed since is left alone, without error.
func (s *Store) CompleteJob(ctx context.Context, j core.Job) error {
	return s.CompleteJobs(ctx, []core.Job{j})
}

// CompleteJobs is CompleteJob for many jobs at once.
func (s *Store) CompleteJobs(ctx context.Context, jobs []core.Job) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, j := range jobs {
		if s.holds(j) {
			delete(s.jobs, j.ID())
		}
	}
	return nil
}

// holds reports whether j is stored claimed under j.Lease, at millisecond precision.
func (s *Store) holds(j core.Job) bool {
	stored, ok := s.jobs[j.ID()]
	return ok && stored.claimed && !j.Lease.IsZero() && stored.score.UnixMilli() == j.Lease.UnixMilli()
}

// RenewJob moves the lease of a job still held under j.Lease to until and
// stores j's Attempt and Payload; ECONFLICT when the lease was lost.
func (s *Store) RenewJob(ctx context.Context, j core.Job, until time.Time) (core.Job, error) {
	if err := ctx.Err(); err != nil {
		return core.Job{}, err
	}
	if err := core.ValidateRenew(j, until); err != nil {
		return core.Job{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.holds(j) {
		return core.Job{}, core.Errorf(core.ECONFLICT, "Job %s is no longer held under its lease.", j.ID())
	}
	stored := s.jobs[j.ID()]
	stored.Attempt, stored.Payload, stored.score = j.Attempt, append([]byte(nil), j.Payload...), until
	return stored.view(), nil
}

// Jobs returns every scheduled job, the soonest due (or lease end) first.
func (s *Store) Jobs(ctx context.Context) ([]core.Job, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	all := make([]*job, 0, len(s.jobs))
	for _, j := range s.jobs {
		all = append(all, j)
	}
	sortJobs(all)
	out := make([]core.Job, len(all))
	for i, j := range all {
		out[i] = j.view()
	}
	return out, nil
}

// sortJobs orders jobs by score, then id.
func sortJobs(jobs []*job) {
	sort.Slice(jobs, func(a, b int) bool {
		if !jobs[a].score.Equal(jobs[b].score) {
			return jobs[a].score.Before(jobs[b].score)
		}
		return jobs[a].ID() < jobs[b].ID()
	})
}
