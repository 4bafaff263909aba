package core

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// snapshot is what detectors read, loaded at most once per scan.
type snapshot struct {
	ctx         context.Context
	s           *Service
	now         time.Time
	assignments []Assignment
	windows     map[string][]Window // by role
}

// It reads role by role, through the role indexes: a periodic scan is the
// one reader that wants every assignment.
func (a *Alerts) snapshot(ctx context.Context) (*snapshot, error) {
	snap := &snapshot{ctx: ctx, s: a.s, now: a.s.clock.Now(), windows: map[string][]Window{}}
	for _, role := range a.s.dir().RoleNames() {
		as, _, err := a.s.store.AssignmentsByRole(ctx, role)
		if err != nil {
			return nil, err
		}
		snap.assignments = append(snap.assignments, as...)
		ws, err := a.s.store.Windows(ctx, role)
		if err != nil {
			return nil, err
		}
		snap.windows[role] = ws
	}
	slices.SortFunc(snap.assignments, func(x, y Assignment) int { return strings.Compare(x.Key(), y.Key()) })
	return snap, nil
}

// auditClockSkew is how far out of time order replicas may append audit
// events: the search for a period's first event starts this much earlier.
const auditClockSkew = time.Minute

// auditSince calls fn with the audit events of the trail from about
// from onwards (a little earlier: fn filters by time). It finds where
// they start by a binary search over sequence numbers, one event read per
// step, so that a scan reads the period it counts, not the whole trail.
func (snap *snapshot) auditSince(from time.Time, fn func(*AuditEvent)) error {
	head, err := snap.s.store.AuditHead(snap.ctx)
	if err != nil {
		return err
	}
	from = from.Add(-auditClockSkew)
	lo, hi := int64(0), head.Seq // every event after hi is at or after from; find the least such hi
	for lo < hi {
		mid := lo + (hi-lo)/2
		one, err := snap.s.store.AuditRange(snap.ctx, mid, 1) // the event after mid (the first kept one, when trimmed)
		if err != nil {
			return err
		}
		if len(one) == 1 && one[0].Time.Before(from) {
			lo = max(mid+1, one[0].Seq)
		} else {
			hi = mid
		}
	}
	_, err = ScanAudit(snap.ctx, snap.s.store, lo, func(e *AuditEvent) error {
		fn(e)
		return nil
	})
	return err
}

// Scan runs every scanned detector once and records what it finds:
// alerts open, update and resolve. The scheduled scan calls it; so may
// tests and the CLI.
func (a *Alerts) Scan(ctx context.Context) error {
	return a.check(ctx, nil)
}

// check runs the detectors of kinds (all scanned kinds when nil).
func (a *Alerts) check(ctx context.Context, kinds []AlertKind) error {
	snap, err := a.snapshot(ctx)
	if err != nil {
		return err
	}
	var errs []error
	for _, d := range detectors {
		if kinds != nil && !containsKind(kinds, d.kind) {
			continue
		}
		var found []finding
		if a.Rule(d.kind).Enabled {
			if found, err = d.detect(a, snap, a.Rule(d.kind)); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", d.kind, err))
				continue
			}
		}
		if err := a.observe(ctx, d.kind, found, true); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func containsKind(kinds []AlertKind, k AlertKind) bool {
	for _, x := range kinds {
		if x == k {
			return true
		}
	}
	return false
}

// runJob runs a due alert check. The periodic scan is audited, so that an
// auditor can see the detectors ran, and schedules its next run in the same
// Change: one replica claims it per period.
func (a *Alerts) runJob(ctx context.Context, j Job) error {
	kind, scope, _ := strings.Cut(j.Ref, "@")
	switch {
	case j.Ref == scanAll:
		err := a.Scan(ctx)
		now := a.s.clock.Now()
		reason := "every detector ran"
		if err != nil {
			reason = "detectors failed: " + err.Error()
		}
		return a.s.store.Apply(ctx, Change{
			Schedule: []Job{{Kind: JobAlertScan, Ref: scanAll, Due: now.Add(a.settings.ScanEvery)}},
			Audit:    []AuditEvent{{Time: now, Actor: System.Principal, Action: "alert_scan", Reason: reason, Source: System.Source}},
		})
	case AlertKind(kind) == AlertMFALocked:
		return a.mfaUnlocked(ctx, scope)
	}
	return a.check(ctx, []AlertKind{AlertKind(kind)})
}

// Start schedules the periodic jobs (the alert scan, the audit anchor)
// unless another replica already has.
func (a *Alerts) Start(ctx context.Context) error {
	jobs, err := a.s.store.Jobs(ctx)
	if err != nil {
		return err
	}
	var ch Change
	now := a.s.clock.Now()
	// The first scan runs at once, to check the config just loaded; the
	// first anchor is taken after a period, when there is a trail to anchor.
	for _, want := range []Job{{Kind: JobAlertScan, Ref: scanAll, Due: now}, {Kind: JobAnchor, Ref: anchorRef, Due: now.Add(a.settings.ScanEvery)}} {
		if !slices.ContainsFunc(jobs, func(j Job) bool { return j.ID() == want.ID() }) {
			ch.Schedule = append(ch.Schedule, want)
		}
	}
	if len(ch.Schedule) == 0 {
		return nil
	}
	return a.s.store.Apply(ctx, ch)
}

// triggers says which detectors an event can trip or clear.
func triggers(e Event) []AlertKind {
	switch e.Kind {
	case EventActivated:
		return []AlertKind{AlertActivatedTooOften, AlertUnusedEligibility, AlertTooManyHolders}
	case EventApproved, EventDenied, EventTimedOut, EventCanceled, EventFailed:
		return []AlertKind{AlertApprovalsStalled}
	case EventAssignment:
		return []AlertKind{AlertUnusedEligibility, AlertStandingAccess, AlertTooManyHolders, AlertRedundantAssignment, AlertDeactivatedAccount}
	}
	return nil
}

// trigger schedules the checks an event published directly asks for. Checks
// run as jobs, so a burst of events costs one run per kind, on one replica.
func (a *Alerts) trigger(ctx context.Context, e Event) {
	if jobs := a.checks(e); len(jobs) > 0 {
		_ = a.s.store.Apply(ctx, Change{Schedule: jobs}) // the periodic scan catches what a lost trigger misses
	}
}

// checks returns the check jobs event e asks for, not yet in ch.
func (a *Alerts) checks(e Event, in ...Job) []Job {
	now := a.s.clock.Now()
	var out []Job
	add := func(j Job) {
		if !slices.ContainsFunc(in, func(x Job) bool { return x.ID() == j.ID() }) && !slices.ContainsFunc(out, func(x Job) bool { return x.ID() == j.ID() }) {
			out = append(out, j)
		}
	}
	for _, k := range triggers(e) {
		if a.Rule(k).Enabled {
			add(Job{Kind: JobAlertScan, Ref: string(k), Due: now})
		}
	}
	if e.Kind == EventRequested && e.Request != nil && a.Rule(AlertApprovalsStalled).Enabled {
		if at, ok := a.stallsAt(e.Request); ok {
			add(Job{Kind: JobAlertScan, Ref: string(AlertApprovalsStalled) + "@" + e.Request.ID, Due: at})
		}
	}
	return out
}

// triggeringSink is the Service's event sink: it schedules the alert
// checks an event published directly asks for, then passes it on. Notices
// from the outbox pass through Deliver; Announce scheduled their checks.
type triggeringSink struct {
	alerts *Alerts
	next   EventSink
}

func (t triggeringSink) Publish(ctx context.Context, e Event) {
	t.alerts.trigger(ctx, e)
	t.next.Publish(ctx, e)
}

// Deliver passes a notice to the next sink, as a Courier when it is one.
func (t triggeringSink) Deliver(ctx context.Context, n *Notice, save func(context.Context) error) error {
	if c, ok := t.next.(Courier); ok {
		return c.Deliver(ctx, n, save)
	}
	t.next.Publish(ctx, n.Event)
	return nil
}
