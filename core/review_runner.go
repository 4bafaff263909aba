package core

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// Review job kinds. Ref is a plan name for JobReviewStart and a review id
// for the others.
const (
	JobReviewStart  JobKind = "review_start"  // start a recurring review's instance
	JobReviewRemind JobKind = "review_remind" // remind reviewers with undecided items
	JobReviewEnd    JobKind = "review_end"    // end a review's stage: advance or apply
)

// reviewBatch bounds the items one Change writes.
const reviewBatch = 200

// Reviews runs access reviews beside Service, sharing its store, clock and
// event sink: it starts instances (recurring ones on durable jobs), tells
// reviewers, records their decisions, reminds, and at the end applies the
// results through the same removal path as Unassign.
type Reviews struct {
	s         *Service
	plans     map[string]ReviewPlan
	retention time.Duration // how long closed reviews are kept
}

func newReviews(s *Service, plans []ReviewPlan, retention time.Duration) *Reviews {
	if retention <= 0 {
		retention = DefaultReviewRetention
	}
	r := &Reviews{s: s, plans: map[string]ReviewPlan{}, retention: retention}
	for _, p := range plans {
		r.plans[p.Name] = p
	}
	return r
}

// Reviews returns the service's review runner.
func (s *Service) Reviews() *Reviews { return s.reviews }

// Plans returns the configured review definitions, by name.
func (r *Reviews) Plans() map[string]ReviewPlan { return r.plans }

// Sync schedules the next instance of every recurring review, and, until
// it has run once, the sweep that gives closed reviews stored before
// retention their purge job. Every replica calls it at start-up;
// scheduling is idempotent and creating an instance is compare-and-set,
// so an instance is created once.
func (r *Reviews) Sync(ctx context.Context) error {
	var ch Change
	if err := r.scheduleSweep(ctx, &ch); err != nil {
		return err
	}
	now := r.s.clock.Now()
	for name, p := range r.plans {
		if _, start, ok := p.current(now); ok {
			ch.Schedule = append(ch.Schedule, Job{Kind: JobReviewStart, Ref: name, Due: start})
		}
	}
	if len(ch.Schedule) == 0 {
		return nil
	}
	return r.s.store.Apply(ctx, ch)
}

// runJob runs a due review job.
func (r *Reviews) runJob(ctx context.Context, j Job) error {
	switch j.Kind {
	case JobReviewStart:
		return r.startDue(ctx, j.Ref)
	case JobReviewRemind:
		return r.remind(ctx, j.Ref)
	case JobReviewEnd:
		return r.endStage(ctx, j.Ref, System, false)
	case JobReviewPurge:
		return r.purge(ctx, j.Ref)
	case JobReviewSweep:
		return r.sweep(ctx)
	}
	return nil
}

// instanceID names the instance of plan p that starts at start, by its
// start date ("rv-db-quarterly-20270104"), and time when instances come
// more than daily: an edited start or period never reuses an old id.
func instanceID(p ReviewPlan, start time.Time) string {
	layout := "20060102"
	if p.Every.Months == 0 && p.Every.Fixed > 0 && p.Every.Fixed < 24*time.Hour {
		layout = "20060102t1504"
	}
	return "rv-" + p.Name + "-" + start.UTC().Format(layout)
}

// startDue creates the plan's current instance if it has begun, and
// schedules the next.
func (r *Reviews) startDue(ctx context.Context, name string) error {
	p, ok := r.plans[name]
	if !ok {
		return nil // the definition left the config
	}
	now := r.s.clock.Now()
	n, start, ok := p.current(now)
	if !ok {
		return nil
	}
	if now.Before(start) {
		return r.s.store.Apply(ctx, Change{Schedule: []Job{{Kind: JobReviewStart, Ref: name, Due: start}}})
	}
	var next []Job
	if t, ok := p.startOf(n + 1); ok {
		next = []Job{{Kind: JobReviewStart, Ref: name, Due: t}}
	}
	rv := &Review{ID: instanceID(p, start), Plan: p, Occurrence: n + 1, StartedBy: System.Principal}
	cur, err := r.s.store.Review(ctx, rv.ID)
	switch {
	case err == nil && cur.State == ReviewCreating:
		_, err = r.fill(ctx, cur, System, next) // an interrupted creation
	case err == nil:
		if next != nil {
			err = r.s.store.Apply(ctx, Change{Schedule: next})
		}
	case ErrorCode(err) == ENOTFOUND:
		_, err = r.create(ctx, rv, System, next)
	}
	if ErrorCode(err) == ECONFLICT {
		return nil // another replica created it
	}
	return err
}

// Start begins an ad hoc review of role by an admin: for d (default 7
// days), decided by reviewers (default the role's approvers).
// Errors: EFORBIDDEN; ENOTFOUND for an unknown role or reviewer; EINVALID.
func (r *Reviews) Start(ctx context.Context, c Caller, role string, d time.Duration, reviewers []string) (*Review, error) {
	if err := r.s.authorize(ctx, c, "start reviews", r.s.dir().AdminRole); err != nil {
		return nil, err
	}
	if _, err := r.s.dir().Role(role); err != nil {
		return nil, err
	}
	if d == 0 {
		d = 7 * 24 * time.Hour
	}
	if d < time.Hour || d > 365*24*time.Hour {
		return nil, Errorf(EINVALID, "A review lasts from 1 hour to 365 days, not %s.", FormatDuration(d))
	}
	if len(reviewers) == 0 {
		reviewers = []string{ReviewersApprovers}
	}
	for _, who := range reviewers {
		if err := r.checkReviewer(who); err != nil {
			return nil, err
		}
	}
	p := ReviewPlan{Roles: []string{role}, Kinds: []AssignmentKind{Eligible, Active},
		Stages:    []ReviewStage{{Reviewers: reviewers, Duration: d}},
		Reminders: DefaultReminders, AutoApply: true, IfNoAnswer: DecisionKeep, UnusedFor: DefaultUnusedFor}
	rv := &Review{ID: newReviewID(), Plan: p, StartedBy: c.Principal}
	return r.create(ctx, rv, c, nil)
}

// checkReviewer refuses a reviewer entry that names nobody known.
func (r *Reviews) checkReviewer(who string) error {
	switch {
	case who == ReviewersSelf || who == ReviewersApprovers || who == ReviewersManager:
		return nil
	case len(who) > len(GroupPrefix) && who[:len(GroupPrefix)] == GroupPrefix:
		if _, ok := r.s.dir().Groups[who[len(GroupPrefix):]]; !ok {
			return Errorf(ENOTFOUND, "Unknown group %q.", who[len(GroupPrefix):])
		}
		return nil
	}
	_, err := r.s.dir().Principal(who)
	return err
}

// newReviewID returns an id like "rv-7k2qx9" for an ad hoc review.
func newReviewID() string { return newID("rv-") }

// create claims rv's id (the review is written first, as "creating", so
// that a second creator stops at ECONFLICT) and fills it.
func (r *Reviews) create(ctx context.Context, rv *Review, c Caller, also []Job) (*Review, error) {
	rv.State, rv.Created = ReviewCreating, r.s.clock.Now()
	if err := r.s.store.Apply(ctx, Change{Reviews: []ReviewWrite{{Review: rv}}}); err != nil {
		return nil, fmt.Errorf("review %s: %w", rv.ID, err)
	}
	rv.Version = 1
	return r.fill(ctx, rv, c, also)
}

// fill writes the items of a creating review (the matching assignments
// now), over whatever an interrupted earlier attempt left, then opens it
// with its jobs and tells the reviewers.
func (r *Reviews) fill(ctx context.Context, rv *Review, c Caller, also []Job) (*Review, error) {
	now := r.s.clock.Now()
	items, err := r.collect(ctx, rv, now)
	if err != nil {
		return nil, err
	}
	for i := 0; i < len(items); i += reviewBatch {
		batch := items[i:min(i+reviewBatch, len(items))]
		was, err := r.s.store.ReviewItems(ctx, rv.ID, i, len(batch))
		if err != nil {
			return nil, err
		}
		var ch Change
		for k, it := range batch {
			w := ReviewItemWrite{Item: it}
			if k < len(was) {
				w.Was = &was[k]
			}
			ch.ReviewItems = append(ch.ReviewItems, w)
		}
		if err := r.s.store.Apply(ctx, ch); err != nil {
			return nil, fmt.Errorf("review %s: items: %w", rv.ID, err)
		}
	}
	next := rv.Clone()
	next.State, next.Items, next.Version = ReviewOpen, len(items), rv.Version+1
	r.enterStage(next, 0, now)
	ch := Change{Reviews: []ReviewWrite{{Review: next, Expect: rv.Version}}, Schedule: append(r.stageJobs(next), also...)}
	ch.Audit = []AuditEvent{reviewAudit(next, "review_start", c, now)}
	dms, err := r.stageDMs(ctx, next, EventReviewRequested, now)
	if err != nil {
		return nil, err
	}
	started := Event{Kind: EventReviewStarted, Severity: SeverityInfo, Time: now, Actor: c.Principal, Review: next.Clone(),
		Message: fmt.Sprintf("%s of %s: %d item(s); reviewers decide until %s.", next.ID, joinRoles(next.Plan.Roles), next.Items, r.s.when(next.StageEnd))}
	if err := r.commitWith(ctx, ch, append([]Event{started}, dms...)); err != nil {
		return nil, fmt.Errorf("review %s: %w", rv.ID, err)
	}
	return next, nil
}

// noticeBatch bounds the notices one Change carries.
const noticeBatch = 200

// commitWith commits ch with events as outbox notices: the first
// noticeBatch in ch itself, so that they exist exactly when ch does, and
// the rest (a self-review's thousands of DMs) in Changes of their own.
func (r *Reviews) commitWith(ctx context.Context, ch Change, events []Event) error {
	if err := r.s.Announce(&ch, events[:min(len(events), noticeBatch)]...); err != nil {
		return err
	}
	if err := r.s.Commit(ctx, ch); err != nil {
		return err
	}
	for i := noticeBatch; i < len(events); i += noticeBatch {
		if err := r.s.Notify(ctx, events[i:min(i+noticeBatch, len(events))]...); err != nil {
			return err
		}
	}
	return nil
}

// collect builds the items of rv: the matching assignments in force now,
// with the decision helper's data and the first stage's reviewers.
func (r *Reviews) collect(ctx context.Context, rv *Review, now time.Time) ([]*ReviewItem, error) {
	p := rv.Plan
	var items []*ReviewItem
	for _, role := range p.Roles {
		all, _, err := r.s.store.AssignmentsByRole(ctx, role)
		if err != nil {
			return nil, err
		}
		var as []Assignment
		for _, a := range all {
			if slices.Contains(p.Kinds, a.Kind) && a.In(now) && (!p.PermanentOnly || a.Permanent) {
				as = append(as, a)
			}
		}
		names := make([]string, len(as))
		for i, a := range as {
			names[i] = a.Principal
		}
		last, err := r.s.store.LastActivations(ctx, role, names)
		if err != nil {
			return nil, err
		}
		for _, a := range as {
			it := &ReviewItem{Review: rv.ID, N: len(items) + 1, Principal: a.Principal, Role: a.Role, Kind: a.Kind,
				Permanent: a.Permanent, Since: a.Start, LastActivated: last[a.Principal]}
			if it.Since.IsZero() {
				it.Since = a.CreatedAt
			}
			it.Recommendation = recommend(it, p.UnusedFor, now)
			it.Reviewers = r.reviewersOf(p.Stages[0], it)
			items = append(items, it)
		}
	}
	return items, nil
}

// recommend is Entra's decision helper: remove what was not activated
// within unused (and is older than that), keep the rest.
func recommend(it *ReviewItem, unused time.Duration, now time.Time) ReviewDecision {
	if unused <= 0 {
		unused = DefaultUnusedFor
	}
	cutoff := now.Add(-unused)
	if it.LastActivated.After(cutoff) || it.Since.After(cutoff) {
		return DecisionKeep
	}
	return DecisionRemove
}

// reviewersOf resolves who decides it in stage: never the holder, unless
// the stage is a self-review; the fallback when nobody else is named.
func (r *Reviews) reviewersOf(stage ReviewStage, it *ReviewItem) []string {
	out := r.resolve(stage.Reviewers, it)
	if len(out) == 0 {
		out = r.resolve(stage.Fallback, it)
	}
	return out
}

func (r *Reviews) resolve(entries []string, it *ReviewItem) []string {
	var ids []string
	for _, e := range entries {
		switch {
		case e == ReviewersSelf:
			ids = append(ids, it.Principal)
			continue
		case e == ReviewersApprovers:
			if role, ok := r.s.dir().Roles[it.Role]; ok {
				ids = append(ids, r.s.dir().Approvers(role, false, it.Principal)...)
			}
		case e == ReviewersManager:
			if p, ok := r.s.dir().Principals[it.Principal]; ok && p.Manager != "" {
				ids = append(ids, p.Manager)
			}
		case len(e) > len(GroupPrefix) && e[:len(GroupPrefix)] == GroupPrefix:
			ids = append(ids, r.s.dir().expand(nil, []string{e[len(GroupPrefix):]})...)
		default:
			ids = append(ids, e)
		}
		ids = slices.DeleteFunc(ids, func(id string) bool { return id == it.Principal })
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}

// enterStage moves rv into stage k starting now, with its reminders.
func (r *Reviews) enterStage(rv *Review, k int, now time.Time) {
	st := rv.Plan.Stages[k]
	rv.Stage, rv.StageStart, rv.StageEnd, rv.Reminded, rv.Reminders = k, now, now.Add(st.Duration), 0, nil
	for _, m := range rv.Plan.Reminders {
		if t := m.at(rv.StageStart, rv.StageEnd); t.After(now) && t.Before(rv.StageEnd) {
			rv.Reminders = append(rv.Reminders, t)
		}
	}
	slices.SortFunc(rv.Reminders, func(a, b time.Time) int { return a.Compare(b) })
	rv.Reminders = slices.CompactFunc(rv.Reminders, func(a, b time.Time) bool { return a.Equal(b) })
}

// stageJobs are the jobs of rv's current stage: its end and first reminder.
func (r *Reviews) stageJobs(rv *Review) []Job {
	jobs := []Job{{Kind: JobReviewEnd, Ref: rv.ID, Due: rv.StageEnd}}
	if rv.Reminded < len(rv.Reminders) {
		jobs = append(jobs, Job{Kind: JobReviewRemind, Ref: rv.ID, Due: rv.Reminders[rv.Reminded]})
	}
	return jobs
}

// stageDMs returns a DM for each reviewer of rv's current stage who has
// pending items, with the first page of them.
func (r *Reviews) stageDMs(ctx context.Context, rv *Review, kind EventKind, now time.Time) ([]Event, error) {
	who, err := r.s.store.ReviewReviewers(ctx, rv.ID, rv.Stage)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(who))
	for name := range who {
		names = append(names, name)
	}
	slices.Sort(names)
	var out []Event
	for _, name := range names {
		page, total, err := r.s.store.PendingReviewItems(ctx, rv.ID, rv.Stage, name, 0, ReviewPageSize)
		if err != nil {
			return nil, err
		}
		out = append(out, Event{Kind: kind, Severity: SeverityInfo, Time: now, Actor: System.Principal,
			Review: rv.Clone(), ReviewItems: page, Pending: total, Recipients: []string{name}})
	}
	return out, nil
}

// remind sends the reminders of rv that are due, once: the review's
// Reminded count moves by compare-and-set before anyone is told.
func (r *Reviews) remind(ctx context.Context, id string) error {
	for range maxRetries {
		rv, err := r.s.store.Review(ctx, id)
		if err != nil {
			return err
		}
		now := r.s.clock.Now()
		due := rv.Reminded
		for due < len(rv.Reminders) && !rv.Reminders[due].After(now) {
			due++
		}
		if rv.State != ReviewOpen {
			return nil
		}
		if due == rv.Reminded {
			// Run early (a job moved or handed back): keep the next one.
			if due < len(rv.Reminders) {
				return r.s.store.Apply(ctx, Change{Schedule: []Job{{Kind: JobReviewRemind, Ref: id, Due: rv.Reminders[due]}}})
			}
			return nil
		}
		next := rv.Clone()
		next.Reminded, next.Version = due, rv.Version+1
		ch := Change{Reviews: []ReviewWrite{{Review: next, Expect: rv.Version}}}
		if due < len(rv.Reminders) {
			ch.Schedule = []Job{{Kind: JobReviewRemind, Ref: id, Due: rv.Reminders[due]}}
		}
		// The reminders are notices of the change that counts them sent:
		// a replica that loses the race sends none.
		events, err := r.stageDMs(ctx, next, EventReviewReminder, now)
		if err != nil {
			return err
		}
		if next.Plan.PostProgress {
			progress, err := r.progressPost(ctx, next, now)
			if err != nil {
				return err
			}
			events = append([]Event{progress}, events...)
		}
		if err := r.commitWith(ctx, ch, events); ErrorCode(err) == ECONFLICT {
			continue
		} else if err != nil {
			return err
		}
		return nil
	}
	return Errorf(ECONFLICT, "Review %s is changing too quickly.", id)
}

// progressPost is the channel post of rv's counts.
func (r *Reviews) progressPost(ctx context.Context, rv *Review, now time.Time) (Event, error) {
	counts, err := r.s.store.ReviewCounts(ctx, rv.ID)
	if err != nil {
		return Event{}, err
	}
	return Event{Kind: EventReviewProgress, Severity: SeverityInfo, Time: now, Actor: System.Principal, Review: rv.Clone(), Counts: counts,
		Message: fmt.Sprintf("%s of %s: %d undecided, %d keep, %d remove; reviewers decide until %s.", rv.ID, joinRoles(rv.Plan.Roles),
			counts[ItemPending], counts[string(DecisionKeep)], counts[string(DecisionRemove)], r.s.when(rv.StageEnd))}, nil
}

// reviewAudit is the audit record of a review-level action.
func reviewAudit(rv *Review, action string, c Caller, now time.Time) AuditEvent {
	e := AuditEvent{Time: now, Actor: c.Principal, Action: action, Role: joinRoles(rv.Plan.Roles), ReviewID: rv.ID, Source: c.Source}
	if action == "review_start" {
		e.Duration = rv.StageEnd.Sub(rv.StageStart)
	}
	return e
}

// itemAudit is the audit record of an action on one item.
func itemAudit(it *ReviewItem, action string, c Caller, now time.Time) AuditEvent {
	return AuditEvent{Time: now, Actor: c.Principal, Action: action, Principal: it.Principal, Role: it.Role,
		ReviewID: it.Review, Decision: string(it.Decision), Reason: it.Reason, Source: c.Source}
}
