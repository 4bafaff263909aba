package core

import (
	"context"
	"fmt"
	"time"
)

// DefaultReviewRetention is how long a closed review and its items are
// kept before the scheduler deletes them, when Config.ReviewRetention is
// zero: a year, so that last year's campaign is at hand for this year's
// audit.
const DefaultReviewRetention = 365 * 24 * time.Hour

// JobReviewPurge deletes a closed review and its items once its retention
// has passed (Ref: the review id). Its audit events (every decision and
// removal) stay, and so do the removals of config-declared assignments,
// which keep the start-up sync from undoing the review.
const JobReviewPurge JobKind = "review_purge"

// purgeJob is the job that deletes rv, closed, after the retention.
func (r *Reviews) purgeJob(rv *Review) Job {
	return Job{Kind: JobReviewPurge, Ref: rv.ID, Due: rv.Closed.Add(r.retention)}
}

// purge deletes review id if it is closed and its retention has passed.
func (r *Reviews) purge(ctx context.Context, id string) error {
	rv, err := r.s.store.Review(ctx, id)
	if err != nil {
		return err
	}
	if rv.State != ReviewClosed {
		return errNothingToDo
	}
	if due := rv.Closed.Add(r.retention); r.s.clock.Now().Before(due) {
		// Run early (the retention grew since it was scheduled): keep the real due time.
		return r.s.store.Apply(ctx, Change{Schedule: []Job{{Kind: JobReviewPurge, Ref: id, Due: due}}})
	}
	return r.s.store.PurgeReview(ctx, id, rv.Version)
}

// JobReviewSweep gives every closed review stored without a purge job one
// (Ref: "reviews"): reviews closed before elevate deleted them.
const JobReviewSweep JobKind = "review_sweep"

// reviewSweepDone names the store cursor that is 1 once the review sweep
// has run to its end: from then on every closed review has a purge job.
const reviewSweepDone = "review-retention-layout"

// scheduleSweep schedules the review sweep unless it has run to its end.
func (r *Reviews) scheduleSweep(ctx context.Context, ch *Change) error {
	done, err := r.s.store.Cursor(ctx, reviewSweepDone)
	if err != nil || done > 0 {
		return err
	}
	ch.Schedule = append(ch.Schedule, Job{Kind: JobReviewSweep, Ref: "reviews", Due: r.s.clock.Now()})
	return nil
}

// sweep schedules the purge of every closed review, then marks the sweep
// done. Scheduling a purge job again is the same job (same id and due
// time), so running the sweep twice changes nothing.
func (r *Reviews) sweep(ctx context.Context) error {
	after := ""
	for {
		rvs, next, err := r.s.store.ScanReviews(ctx, after, sweepBatch)
		if err != nil {
			return fmt.Errorf("review sweep: %w", err)
		}
		var ch Change
		for _, rv := range rvs {
			if rv.State == ReviewClosed {
				ch.Schedule = append(ch.Schedule, r.purgeJob(rv))
			}
		}
		if len(ch.Schedule) > 0 {
			if err := r.s.store.Apply(ctx, ch); err != nil {
				return fmt.Errorf("review sweep: %w", err)
			}
		}
		if next == "" {
			break
		}
		after = next
	}
	_, err := r.s.store.AdvanceCursor(ctx, reviewSweepDone, 0, 1)
	return err
}
