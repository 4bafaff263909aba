package core

import (
	"context"
	"slices"
)

// Windows that end together are ended together. The scheduler hands the
// expire jobs of one claim to expireTogether in groups of up to
// expireGroup: their requests are read in one round trip and their ends
// committed in one Change, so that ten thousand windows ending in the same
// second cost a few hundred store calls rather than tens of thousands. The
// revokes and notices that Change holds for this replica then run like any
// other claimed job, concurrently, on the scheduler's workers.
//
// Exactly once holds as for a single expiry: the Change expects every
// request's version, so if any of them changed meanwhile (extended,
// revoked by hand, expired by another replica whose claim outlived its
// lease) the whole Change is refused and each job of the group runs
// alone, deciding on its request's newest state.

// expireGroup is how many windows one expiry Change ends at most: one
// script of a few hundred microseconds on Redis.
const expireGroup = 64

// expireTogether ends the windows of jobs, due expire jobs this replica
// claimed. It returns the held jobs the committed Change scheduled for this
// replica to run now (the revokes and notices), the jobs that must run alone (their
// request is gone, not active, or changed meanwhile), and the error that
// left the whole group to its leases (the store failed).
func (s *Service) expireTogether(ctx context.Context, jobs []Job) (held []*Held, alone []Job, err error) {
	ids := make([]string, len(jobs))
	for i, j := range jobs {
		ids[i] = j.Ref
	}
	reqs, err := s.store.Requests(ctx, ids)
	if err != nil {
		return nil, nil, err
	}
	now := s.clock.Now()
	var all Change
	for i, j := range jobs {
		if reqs[i] == nil {
			alone = append(alone, j)
			continue
		}
		_, ch, err := s.step(reqs[i], s.expireStep, now)
		if err != nil || !all.merge(ch) {
			alone = append(alone, j)
		}
	}
	if len(all.Requests) == 0 {
		return nil, alone, nil
	}
	if err := s.store.Apply(ctx, all); ErrorCode(err) == ECONFLICT {
		return nil, jobs, nil
	} else if err != nil {
		return nil, nil, err
	}
	// What the Change holds for this replica (the revokes, the holders'
	// notices) goes back to the scheduler's workers.
	for _, j := range all.Schedule {
		if !j.Lease.IsZero() {
			held = append(held, &Held{s: s, job: j, req: requestIn(all, j.Ref)})
		}
	}
	return held, alone, nil
}

// merge adds o's writes to c, unless either holds a write that a Change
// carries at most once (a holders revision, an MFA record), which it
// refuses (false, c unchanged).
func (c *Change) merge(o Change) bool {
	if c.HoldersRev != nil || o.HoldersRev != nil || c.MFA != nil || o.MFA != nil {
		return false
	}
	c.Requests = append(c.Requests, o.Requests...)
	c.Slots = append(c.Slots, o.Slots...)
	c.OpenWindows = append(c.OpenWindows, o.OpenWindows...)
	c.CloseWindows = append(c.CloseWindows, o.CloseWindows...)
	c.PutAssignments = append(c.PutAssignments, o.PutAssignments...)
	c.DeleteAssignments = append(c.DeleteAssignments, o.DeleteAssignments...)
	c.Schedule = append(c.Schedule, o.Schedule...)
	c.Unschedule = append(c.Unschedule, o.Unschedule...)
	c.Complete = append(c.Complete, o.Complete...)
	c.Reviews = append(c.Reviews, o.Reviews...)
	c.ReviewItems = append(c.ReviewItems, o.ReviewItems...)
	c.PutRemovals = append(c.PutRemovals, o.PutRemovals...)
	c.DeleteRemovals = append(c.DeleteRemovals, o.DeleteRemovals...)
	c.Alerts = append(c.Alerts, o.Alerts...)
	c.Audit = append(c.Audit, o.Audit...)
	return true
}

// expiriesApart splits claimed jobs into groups of expire jobs of at most
// expireGroup each, and the other jobs.
func expiriesApart(jobs []Job) (groups [][]Job, other []Job) {
	var expire []Job
	for _, j := range jobs {
		if j.Kind == JobExpire {
			expire = append(expire, j)
		} else {
			other = append(other, j)
		}
	}
	return slices.Collect(slices.Chunk(expire, expireGroup)), other
}
