package core

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// JobAlertScan runs alert detectors. Its ref is "all" for the scheduled
// scan of every kind (which schedules its next run), a kind name for a
// check an event asked for, or "kind@scope" for a check of one condition
// at a time it becomes due (an approval stalling, an MFA lock ending).
const JobAlertScan JobKind = "alert_scan"

// scanAll is the ref of the periodic scan of every kind.
const scanAll = "all"

// Alerts is the alert engine: detectors, the alerts they open, update and
// resolve in the store, and the admin actions on them. It shares its
// Service's store, clock, directory and event sink; obtain it with
// Service.Alerts.
type Alerts struct {
	s        *Service
	settings AlertSettings

	mu        sync.Mutex
	accounts  []AccountChecker // platforms that can tell a deactivated account
	anchorOut AnchorWriter     // the anchor file, if any
}

// finding is one condition a detector found: the alert of its kind and scope.
type finding struct {
	scope   string
	summary string
	rows    []AlertRow
}

func newAlerts(s *Service, settings AlertSettings) *Alerts {
	return &Alerts{s: s, settings: settings.withDefaults()}
}

// Alerts returns the service's alert engine.
func (s *Service) Alerts() *Alerts { return s.alerts }

// Rule returns the effective rule of kind.
func (a *Alerts) Rule(kind AlertKind) AlertRule { return a.settings.Rules[kind] }

// Settings returns the effective settings, defaults filled in.
func (a *Alerts) Settings() AlertSettings { return a.settings }

// observe records what a detector of kind found. Each finding opens its
// alert, or updates it in place while open; a dismissed alert reopens when
// new subjects appear or its dismissal runs out. When complete, findings
// are everything the kind holds now, and its open alerts not among them
// are resolved. Every transition is audited and published.
func (a *Alerts) observe(ctx context.Context, kind AlertKind, findings []finding, complete bool) error {
	rule := a.Rule(kind)
	if !rule.Enabled {
		findings = nil
	}
	for range maxRetries {
		stored, err := a.s.store.Alerts(ctx)
		if err != nil {
			return err
		}
		byID := make(map[string]*Alert, len(stored))
		for i := range stored {
			byID[stored[i].ID] = &stored[i]
		}
		now := a.s.clock.Now()
		var ch Change
		var events []Event
		add := func(next *Alert, expect int64, action string, c Caller) {
			ch.Alerts = append(ch.Alerts, AlertWrite{Alert: next, Expect: expect})
			if action != "" {
				ch.Audit = append(ch.Audit, alertAudit(next, action, c, now))
				events = append(events, a.event(ctx, next, c, now))
			}
		}
		seen := map[string]bool{}
		for _, f := range findings {
			id := AlertID(kind, f.scope)
			seen[id] = true
			old := byID[id]
			next, action := a.step(old, kind, rule, f, now)
			if next == nil {
				continue
			}
			var expect int64
			if old != nil {
				expect = old.Version
			}
			add(next, expect, action, System)
		}
		if complete {
			for _, old := range stored {
				if old.Kind == kind && !seen[old.ID] && old.Status != AlertResolved {
					add(closeAlert(&old, AlertResolved, System, "the condition cleared", now), old.Version, "alert_resolve", System)
				}
			}
		}
		if len(ch.Alerts) == 0 {
			return nil
		}
		if err := a.s.Announce(&ch, events...); err != nil {
			return err
		}
		err = a.s.Commit(ctx, ch)
		if ErrorCode(err) == ECONFLICT {
			continue
		}
		if err != nil {
			return fmt.Errorf("alerts %s: %w", kind, err)
		}
		return nil
	}
	return Errorf(ECONFLICT, "Alerts of kind %s are changing too quickly.", kind)
}

// step is what a finding does to the stored alert old: the alert to write
// (nil: nothing) and the audited action ("" when only LastSeen moves).
func (a *Alerts) step(old *Alert, kind AlertKind, rule AlertRule, f finding, now time.Time) (*Alert, string) {
	subjects := subjectsOf(f.rows)
	if old == nil || old.Status == AlertResolved {
		next := &Alert{ID: AlertID(kind, f.scope), Kind: kind, Scope: f.scope, Severity: rule.Severity, Channel: rule.Channel,
			Summary: f.summary, Subjects: subjects, Report: f.rows, Status: AlertOpen, FirstSeen: now, LastSeen: now}
		return next, "alert_open"
	}
	next := old.Clone()
	changed := next.Summary != f.summary || !slices.Equal(next.Report, f.rows) || next.Severity != rule.Severity
	next.Summary, next.Report, next.Subjects, next.LastSeen, next.Severity, next.Channel = f.summary, f.rows, subjects, now, rule.Severity, rule.Channel
	if old.Status == AlertDismissed {
		fresh := slices.ContainsFunc(subjects, func(s string) bool { return !slices.Contains(old.Dismissed, s) })
		if !fresh && now.Before(old.Until) {
			return next, "" // the dismissal holds: the report stays current, nobody is told
		}
		next.Status, next.FirstSeen, next.Closed, next.ClosedBy, next.Reason, next.Until, next.Dismissed = AlertOpen, now, time.Time{}, "", "", time.Time{}, nil
		return next, "alert_reopen"
	}
	if !changed {
		return next, ""
	}
	return next, "alert_update"
}

// closeAlert returns old resolved or dismissed by c.
func closeAlert(old *Alert, status AlertStatus, c Caller, reason string, now time.Time) *Alert {
	next := old.Clone()
	next.Status, next.Closed, next.ClosedBy, next.Reason = status, now, c.Principal, reason
	return next
}

// event is the published form of an alert transition. A break-glass
// alert that opens also goes to every admin directly.
func (a *Alerts) event(ctx context.Context, al *Alert, c Caller, now time.Time) Event {
	e := Event{Kind: EventAlert, Severity: al.Severity, Time: now, Actor: c.Principal, Alert: al.Clone(), Message: al.Summary}
	if al.Kind == AlertBreakGlassUsed && al.Status == AlertOpen {
		e.Recipients = a.s.admins(ctx)
	}
	return e
}

// alertAudit records an alert transition.
func alertAudit(al *Alert, action string, c Caller, now time.Time) AuditEvent {
	e := AuditEvent{Time: now, Actor: c.Principal, Action: action, Source: c.Source, Decision: string(al.Severity),
		Reason: fmt.Sprintf("%s %s: %s", al.Kind, al.ID, al.Summary)}
	if al.Reason != "" && (action == "alert_dismiss" || action == "alert_acknowledge") {
		e.Reason += " — " + al.Reason
	}
	if len(al.Report) == 1 {
		e.Principal, e.Role = al.Report[0].Principal, al.Report[0].Role
	}
	return e
}

// raise opens or updates the incident alert of kind and scope.
func (a *Alerts) raise(ctx context.Context, kind AlertKind, scope, summary string, rows ...AlertRow) {
	if err := a.observe(ctx, kind, []finding{{scope: scope, summary: summary, rows: rows}}, false); err != nil {
		a.s.alert(ctx, a.Rule(kind).Severity, summary+" (the alert could not be recorded: "+err.Error()+")")
	}
}

// resolve closes the incident alert of kind and scope, if it is not closed yet.
func (a *Alerts) resolve(ctx context.Context, kind AlertKind, scope string, c Caller, reason string) error {
	_, err := a.close(ctx, AlertID(kind, scope), AlertResolved, c, reason, "alert_resolve", func(al *Alert) error {
		if al.Status == AlertResolved {
			return errNothingToDo
		}
		return nil
	})
	if ErrorCode(err) == ENOTFOUND || err == errNothingToDo {
		return nil
	}
	return err
}

// close moves alert id to status by compare-and-set, after check accepts it.
func (a *Alerts) close(ctx context.Context, id string, status AlertStatus, c Caller, reason, action string, check func(*Alert) error) (*Alert, error) {
	for range maxRetries {
		old, err := a.find(ctx, id)
		if err != nil {
			return nil, err
		}
		if err := check(old); err != nil {
			return nil, err
		}
		now := a.s.clock.Now()
		next := closeAlert(old, status, c, reason, now)
		if status == AlertDismissed {
			next.Until, next.Dismissed = now.Add(a.settings.DismissFor), slices.Clone(old.Subjects)
		}
		ch := Change{Alerts: []AlertWrite{{Alert: next, Expect: old.Version}}, Audit: []AuditEvent{alertAudit(next, action, c, now)}}
		if err := a.s.Announce(&ch, a.event(ctx, next, c, now)); err != nil {
			return nil, err
		}
		err = a.s.Commit(ctx, ch)
		if ErrorCode(err) == ECONFLICT {
			continue
		}
		if err != nil {
			return nil, err
		}
		return next, nil
	}
	return nil, Errorf(ECONFLICT, "Alert %s is changing too quickly; try again.", id)
}

// find returns the stored alert id, or ENOTFOUND.
func (a *Alerts) find(ctx context.Context, id string) (*Alert, error) {
	all, err := a.s.store.Alerts(ctx)
	if err != nil {
		return nil, err
	}
	for i := range all {
		if all[i].ID == id {
			return &all[i], nil
		}
	}
	return nil, Errorf(ENOTFOUND, "No alert %s. `alerts` lists the open ones.", id)
}

// List returns the open alerts, most severe first, then oldest first.
// Admins and readers may look. Errors: EFORBIDDEN.
func (a *Alerts) List(ctx context.Context, c Caller) ([]Alert, error) {
	return a.Find(ctx, c, AlertFilter{Status: AlertOpen})
}

// Get returns one alert in any state, for admins and readers.
func (a *Alerts) Get(ctx context.Context, c Caller, id string) (*Alert, error) {
	if err := a.s.authorize(ctx, c, "see alerts", a.s.dir().AdminRole, a.s.dir().ReaderRole); err != nil {
		return nil, err
	}
	return a.find(ctx, id)
}

func severityRank(s Severity) int {
	return slices.Index([]Severity{SeverityInfo, SeverityLow, SeverityMedium, SeverityHigh}, s)
}

// Dismiss closes an open alert whose risk an admin accepts, with a reason.
// The dismissal holds until new subjects appear or DismissFor passes.
// Errors: EFORBIDDEN; ENOTFOUND; EINVALID without a reason; ECONFLICT
// when the alert is not open.
func (a *Alerts) Dismiss(ctx context.Context, c Caller, id, reason string) (*Alert, error) {
	if err := a.s.authorize(ctx, c, "dismiss alerts", a.s.dir().AdminRole); err != nil {
		return nil, err
	}
	reason, err := alertReason(reason, "dismiss")
	if err != nil {
		return nil, err
	}
	return a.close(ctx, id, AlertDismissed, c, reason, "alert_dismiss", openOnly)
}

// Acknowledge closes an open incident alert (a break-glass use, a failed
// compensation) that an admin has looked into. Conditions the scan checks
// resolve themselves and cannot be acknowledged. Errors: as Dismiss.
func (a *Alerts) Acknowledge(ctx context.Context, c Caller, id, reason string) (*Alert, error) {
	if err := a.s.authorize(ctx, c, "acknowledge alerts", a.s.dir().AdminRole); err != nil {
		return nil, err
	}
	reason = strings.TrimSpace(reason)
	if err := checkText(FieldReason, "Reason", reason); err != nil {
		return nil, err
	}
	return a.close(ctx, id, AlertResolved, c, reason, "alert_acknowledge", func(al *Alert) error {
		if info, _ := AlertInfoOf(al.Kind); info.Scanned {
			return Errorf(ECONFLICT, "%s resolves itself when its condition clears; dismiss it with a reason instead.", al.ID)
		}
		return openOnly(al)
	})
}

func openOnly(al *Alert) error {
	if al.Status != AlertOpen {
		return Errorf(ECONFLICT, "Alert %s is already %s.", al.ID, al.Status)
	}
	return nil
}

// alertReason checks an admin's reason.
func alertReason(reason, verb string) (string, error) {
	reason = strings.TrimSpace(reason)
	switch {
	case reason == "":
		return "", Invalidf(FieldReason, "Say why: `alerts %s ID REASON`.", verb)
	case len(reason) > maxTextLen:
		return "", Invalidf(FieldReason, "The reason is too long: %d characters, the limit is %d.", len(reason), maxTextLen)
	}
	return reason, checkText(FieldReason, "Reason", reason)
}

// admins returns who holds the admin role now, sorted.
func (s *Service) admins(ctx context.Context) []string {
	hs, _, _, err := s.holders(ctx, s.dir().AdminRole)
	if err != nil {
		return nil
	}
	var out []string
	for _, h := range hs {
		out = append(out, h.Principal)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// Republish publishes every open alert again, so that a notifier posts
// those no replica has posted yet (one raised from the command line while
// chat was down) and brings older posts up to date. Serve calls it at start.
func (a *Alerts) Republish(ctx context.Context) error {
	all, err := a.s.store.Alerts(ctx)
	if err != nil {
		return err
	}
	now := a.s.clock.Now()
	var events []Event
	for i := range all {
		if all[i].Status == AlertOpen {
			events = append(events, a.event(ctx, &all[i], System, now))
		}
	}
	if len(events) == 0 {
		return nil
	}
	return a.s.Notify(ctx, events...)
}
