package core

import (
	"context"
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
