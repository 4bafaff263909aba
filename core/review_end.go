package core

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Stop ends a review now, as if its last stage had run out. Only admins
// may. Errors: EFORBIDDEN; ENOTFOUND; ECONFLICT when it is closed already.
func (r *Reviews) Stop(ctx context.Context, c Caller, id string) (*Review, error) {
	if err := r.s.authorize(ctx, c, "stop reviews", r.s.dir().AdminRole); err != nil {
		return nil, err
	}
	rv, err := r.s.store.Review(ctx, id)
	if err != nil {
		return nil, err
	}
	if rv.State == ReviewClosed {
		return nil, Errorf(ECONFLICT, "Review %s is closed already.", id)
	}
	if err := r.endStage(ctx, id, c, true); err != nil {
		return nil, err
	}
	return r.s.store.Review(ctx, id)
}

// endStage ends the current stage of review id when it is due (or now,
// with stop). Items nobody decided get the plan's default; then either the
// next stage begins with the items kept so far, or the review closes and
// its results are applied. Every step is compare-and-set on one item or
// on the review, so a replica that runs it again, or an admin's stop
// racing the job, applies each item once.
func (r *Reviews) endStage(ctx context.Context, id string, c Caller, stop bool) error {
	rv, err := r.s.store.Review(ctx, id)
	if err != nil {
		return err
	}
	now := r.s.clock.Now()
	if rv.State != ReviewOpen {
		return nil
	}
	if !stop && now.Before(rv.StageEnd) {
		// Run early (a job moved or handed back): keep the real end.
		return r.s.store.Apply(ctx, Change{Schedule: []Job{{Kind: JobReviewEnd, Ref: id, Due: rv.StageEnd}}})
	}
	last := stop || rv.Stage == len(rv.Plan.Stages)-1
	kept := 0
	err = r.eachItem(ctx, rv, func(it *ReviewItem) (bool, error) {
		if it.Outcome == "" && it.Stage == rv.Stage+1 && !last {
			kept++ // moved on by an interrupted earlier run
		}
		if it.Outcome != "" || it.Stage != rv.Stage {
			return false, nil
		}
		if it.Decision == "" {
			it.Decision, it.DecidedAt, it.Note = r.byDefault(rv, it), now, "no answer"
		}
		if !last && it.Decision == DecisionKeep {
			kept++
		}
		return true, nil
	})
	if err != nil {
		return err
	}
	if !last && kept > 0 {
		return r.nextStage(ctx, rv, now)
	}
	return r.close(ctx, rv, c, now)
}

// byDefault is the decision on an item nobody decided.
func (r *Reviews) byDefault(rv *Review, it *ReviewItem) ReviewDecision {
	switch rv.Plan.IfNoAnswer {
	case DecisionRemove:
		return DecisionRemove
	case DecisionRecommendation:
		return it.Recommendation
	}
	return DecisionKeep
}

// eachItem offers every item of rv to edit in pages and writes back those
// it changed, each by compare-and-set; an item that changed meanwhile is
// read again and offered again.
func (r *Reviews) eachItem(ctx context.Context, rv *Review, edit func(it *ReviewItem) (bool, error)) error {
	for after := 0; after < rv.Items; after += reviewBatch {
		for attempt := 0; ; attempt++ {
			page, err := r.s.store.ReviewItems(ctx, rv.ID, after, reviewBatch)
			if err != nil {
				return err
			}
			var ch Change
			for i := range page {
				next := page[i].Clone()
				changed, err := edit(next)
				if err != nil {
					return err
				}
				if changed {
					ch.ReviewItems = append(ch.ReviewItems, ReviewItemWrite{Item: next, Was: &page[i]})
				}
			}
			if len(ch.ReviewItems) == 0 {
				break
			}
			err = r.s.store.Apply(ctx, ch)
			if err == nil {
				break
			}
			if ErrorCode(err) != ECONFLICT || attempt == maxRetries {
				return fmt.Errorf("review %s: %w", rv.ID, err)
			}
		}
	}
	return nil
}

// nextStage moves the items kept in rv's stage into the next one, with its
// reviewers, and tells them.
func (r *Reviews) nextStage(ctx context.Context, rv *Review, now time.Time) error {
	stage := rv.Plan.Stages[rv.Stage+1]
	err := r.eachItem(ctx, rv, func(it *ReviewItem) (bool, error) {
		if it.Outcome != "" || it.Stage != rv.Stage || it.Decision != DecisionKeep {
			return false, nil
		}
		it.Earlier = append(it.Earlier, StageDecision{Stage: it.Stage, Decision: it.Decision, DecidedBy: it.DecidedBy, Reason: it.Reason})
		it.Stage, it.Reviewers = rv.Stage+1, r.reviewersOf(stage, it)
		it.Decision, it.DecidedBy, it.Reason, it.DecidedAt, it.Note = "", "", "", time.Time{}, ""
		return true, nil
	})
	if err != nil {
		return err
	}
	return r.commit(ctx, rv, func(cur *Review) (Change, []Event, error) {
		next := cur.Clone()
		r.enterStage(next, rv.Stage+1, now)
		next.Version = cur.Version + 1
		ch := Change{Reviews: []ReviewWrite{{Review: next, Expect: cur.Version}}, Schedule: r.stageJobs(next),
			Audit: []AuditEvent{reviewAudit(next, "review_stage", System, now)}}
		dms, err := r.stageDMs(ctx, next, EventReviewRequested, now)
		return ch, dms, err
	})
}

// commit commits the review change build makes of the current review, with
// its notices, by compare-and-set, reading the review again when a reminder
// moved it meanwhile. It does nothing when another run already moved the
// review past rv's stage or closed it.
func (r *Reviews) commit(ctx context.Context, rv *Review, build func(cur *Review) (Change, []Event, error)) error {
	cur := rv
	for range maxRetries {
		if cur.State != ReviewOpen || cur.Stage != rv.Stage {
			return nil
		}
		ch, events, err := build(cur)
		if err != nil {
			return err
		}
		err = r.commitWith(ctx, ch, events)
		if ErrorCode(err) != ECONFLICT {
			return err
		}
		if cur, err = r.s.store.Review(ctx, rv.ID); err != nil {
			return err
		}
	}
	return Errorf(ECONFLICT, "Review %s is changing too quickly.", rv.ID)
}

// close applies every decided item of rv, then closes it and posts totals.
func (r *Reviews) close(ctx context.Context, rv *Review, c Caller, now time.Time) error {
	if _, err := r.applyItems(ctx, rv, atEnd(rv.Plan.AutoApply)); err != nil {
		return err
	}
	counts, err := r.s.store.ReviewCounts(ctx, rv.ID)
	if err != nil {
		return err
	}
	return r.commit(ctx, rv, func(cur *Review) (Change, []Event, error) {
		next := cur.Clone()
		next.State, next.Closed, next.ClosedBy, next.Version = ReviewClosed, now, c.Principal, cur.Version+1
		ch := Change{Reviews: []ReviewWrite{{Review: next, Expect: cur.Version}},
			Unschedule: []string{JobID(JobReviewRemind, rv.ID), JobID(JobReviewEnd, rv.ID)},
			Schedule:   []Job{r.purgeJob(next)},
			Audit:      []AuditEvent{reviewAudit(next, "review_close", c, now)}}
		ended := Event{Kind: EventReviewEnded, Severity: SeverityInfo, Time: now, Actor: c.Principal, Review: next, Counts: counts,
			Message: fmt.Sprintf("%s of %s: %s.", rv.ID, joinRoles(rv.Plan.Roles), Totals(counts))}
		return ch, []Event{ended}, nil
	})
}

// Totals summarizes item outcome counts: "2 kept, 1 removed, 1 kept: last admin".
func Totals(counts map[string]int) string {
	var parts []string
	for _, o := range Outcomes {
		if n := counts["outcome:"+o]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, o))
		}
	}
	if len(parts) == 0 {
		return "no items"
	}
	return strings.Join(parts, ", ")
}

// Outcomes of an item, in the order totals list them.
var Outcomes = []string{OutcomeKept, OutcomeRemoved, OutcomeLastAdmin, OutcomeNotApplied, OutcomeGone}

// Item outcomes.
const (
	OutcomeKept       = "kept"
	OutcomeRemoved    = "removed"
	OutcomeLastAdmin  = "kept: last admin"
	OutcomeNotApplied = "remove not applied"     // auto_apply is off: Apply (`review apply`) carries it out later
	OutcomeGone       = "removed before the end" // the assignment was gone already
)

// applyBatch bounds the items applied in one Change: each removal is an
// audit event, which Redis chains inside the script.
const applyBatch = 50

// application is one pass over a review's items that carries out their
// decisions: at the review's end (every item without an outcome), or an
// admin's later apply of the removals auto_apply left (items whose
// outcome is OutcomeNotApplied).
type application struct {
	due   func(it *ReviewItem) bool // the items this pass carries out
	apply bool                      // removals are applied (else recorded as not applied)
	by    func(it *ReviewItem) Caller
}

// atEnd is the pass of a review's end, on behalf of whoever decided each
// item: removals are applied when the plan says auto_apply.
func atEnd(autoApply bool) application {
	return application{due: func(it *ReviewItem) bool { return it.Outcome == "" }, apply: autoApply, by: decider}
}

// decider is the caller a removal is made for: who decided it, or the system.
func decider(it *ReviewItem) Caller {
	if it.DecidedBy == "" {
		return Caller{Principal: System.Principal, Source: "review"}
	}
	return Caller{Principal: it.DecidedBy, Source: "review"}
}

// applyItems runs pass p over every item of rv, page by page, and returns
// how many items it carried out (items another run carried out meanwhile
// are not counted).
func (r *Reviews) applyItems(ctx context.Context, rv *Review, p application) (int, error) {
	done := 0
	for after := 0; after < rv.Items; after += reviewBatch {
		page, err := r.s.store.ReviewItems(ctx, rv.ID, after, reviewBatch)
		if err != nil {
			return done, err
		}
		n, err := r.applyAll(ctx, rv, page, p)
		done += n
		if err != nil {
			return done, err
		}
	}
	return done, nil
}

// applyAll carries out the due items of a page, in Changes of up to
// applyBatch items. Items of the admin role, and a batch that meets a
// conflict, are applied one by one, so that last-admin protection and
// compare-and-set decide per item.
func (r *Reviews) applyAll(ctx context.Context, rv *Review, page []ReviewItem, p application) (int, error) {
	var batch []*ReviewItem
	done := 0
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		now := r.s.clock.Now()
		var ch Change
		for _, was := range batch {
			if err := r.outcome(ctx, rv, was, p, now, &ch); err != nil {
				return err
			}
		}
		err := r.s.Commit(ctx, ch)
		if ErrorCode(err) == ECONFLICT {
			for _, was := range batch {
				ok, err := r.apply(ctx, rv, was, p)
				if err != nil {
					return err
				}
				done += btoi(ok)
			}
		} else if err != nil {
			return fmt.Errorf("review %s: %w", rv.ID, err)
		} else {
			done += len(batch)
		}
		batch = batch[:0]
		return nil
	}
	for i := range page {
		switch {
		case !p.due(&page[i]):
		case page[i].Role == r.s.dir().AdminRole:
			ok, err := r.apply(ctx, rv, &page[i], p)
			if err != nil {
				return done, err
			}
			done += btoi(ok)
		default:
			if batch = append(batch, &page[i]); len(batch) == applyBatch {
				if err := flush(); err != nil {
					return done, err
				}
			}
		}
	}
	return done, flush()
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// apply carries out one item's decision by itself, retrying on conflict
// until it is applied here (true) or was applied by another run (false).
func (r *Reviews) apply(ctx context.Context, rv *Review, was *ReviewItem, p application) (bool, error) {
	for range maxRetries {
		now := r.s.clock.Now()
		var ch Change
		if err := r.outcome(ctx, rv, was, p, now, &ch); err != nil {
			return false, err
		}
		err := r.s.Commit(ctx, ch)
		if ErrorCode(err) == ECONFLICT {
			cur, err := r.s.store.ReviewItem(ctx, was.Review, was.N)
			if err != nil {
				return false, err
			}
			if !p.due(cur) {
				return false, nil // applied by another run
			}
			was = cur
			continue
		} else if err != nil {
			return false, fmt.Errorf("review %s item %d: %w", was.Review, was.N, err)
		}
		return true, nil
	}
	return false, Errorf(ECONFLICT, "Review item %s/%d is changing too quickly.", was.Review, was.N)
}

// outcome adds to ch what carrying out was's decision takes: a removal goes
// through the same change as Unassign (last-admin protection included),
// committed together with the item's outcome, so it happens once.
func (r *Reviews) outcome(ctx context.Context, rv *Review, was *ReviewItem, p application, now time.Time, ch *Change) error {
	it := was.Clone()
	it.AppliedAt = now
	by := p.by(it)
	switch {
	case it.Decision != DecisionRemove:
		it.Outcome = OutcomeKept
	case !p.apply:
		it.Outcome = OutcomeNotApplied
	default:
		a, err := r.s.assignment(ctx, it.Kind, it.Principal, it.Role)
		if ErrorCode(err) == ENOTFOUND {
			it.Outcome = OutcomeGone
			break
		} else if err != nil {
			return err
		}
		var un Change
		if err := r.s.unassignChange(ctx, a, by, "review_remove", now, &un); ErrorCode(err) == ECONFLICT {
			it.Outcome, it.Note = OutcomeLastAdmin, ErrorMessage(err)
			e := itemAudit(it, "review_kept_last_admin", System, now)
			e.Reason = it.Note
			ch.Audit = append(ch.Audit, e)
			break
		} else if err != nil {
			return err
		}
		it.Outcome = OutcomeRemoved
		un.Audit[len(un.Audit)-1].ReviewID, un.Audit[len(un.Audit)-1].Reason = rv.ID, it.Reason
		if ch.HoldersRev == nil {
			ch.HoldersRev = un.HoldersRev
		}
		ch.DeleteAssignments = append(ch.DeleteAssignments, un.DeleteAssignments...)
		ch.Unschedule = append(ch.Unschedule, un.Unschedule...)
		ch.Audit = append(ch.Audit, un.Audit...)
		if a.Source == "config" {
			ch.PutRemovals = append(ch.PutRemovals, ReviewRemoval{Key: a.Key(), Kind: a.Kind, Principal: a.Principal, Role: a.Role, Review: rv.ID, DecidedBy: decider(it).Principal, At: now})
		}
		if err := r.s.Announce(ch, Event{Kind: EventAssignment, Severity: SeverityInfo, Time: now, Actor: by.Principal, Assignment: a,
			Message: fmt.Sprintf("review %s removed %s's %s assignment for %s", rv.ID, a.Principal, a.Kind, a.Role)}); err != nil {
			return err
		}
	}
	ch.ReviewItems = append(ch.ReviewItems, ReviewItemWrite{Item: it, Was: was})
	return nil
}
