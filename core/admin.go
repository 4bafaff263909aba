package core

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// authorize returns EFORBIDDEN unless the caller holds one of roles now,
// and the store's error when it cannot tell: an outage is not a refusal.
func (s *Service) authorize(ctx context.Context, c Caller, what string, roles ...string) error {
	if c.Principal == "" {
		return Errorf(EFORBIDDEN, "Only a principal may %s; this caller acts as none.", what)
	}
	for _, r := range roles {
		if ok, err := s.holds(ctx, c.Principal, r); err != nil || ok {
			return err
		}
	}
	return Errorf(EFORBIDDEN, "Only holders of %s may %s.", joinRoles(roles), what)
}

// joinRoles names the configured roles among roles, "a or b".
func joinRoles(roles []string) string {
	var named []string
	for _, r := range roles {
		if r != "" {
			named = append(named, r)
		}
	}
	return strings.Join(named, " or ")
}

// Assign creates or updates an eligible or direct active assignment. Only
// admins may. Errors: EFORBIDDEN; ENOTFOUND for an unknown principal or
// role; EINVALID when the dates break the role's assignment rules.
func (s *Service) Assign(ctx context.Context, c Caller, a Assignment) (*Assignment, error) {
	if err := s.authorize(ctx, c, "manage assignments", s.dir().AdminRole); err != nil {
		return nil, err
	}
	now := s.clock.Now()
	a.Source, a.CreatedBy, a.CreatedAt = c.Source, c.Principal, now
	if err := s.checkAssignment(&a, now); err != nil {
		return nil, err
	}
	action := "assign"
	all, err := s.store.AssignmentsOf(ctx, a.Principal, a.Role)
	if err != nil {
		return nil, err
	}
	var ch Change
	for _, old := range all {
		if old.Key() == a.Key() {
			action = "update_assignment"
			if old.Kind == Active && !a.In(now) {
				if err := s.guardLastAdmin(ctx, a.Role, &ch, a.Principal, false); err != nil {
					return nil, err
				}
			}
		}
	}
	ch.PutAssignments = []Assignment{a}
	ch.DeleteRemovals = []string{a.Key()} // an admin's deliberate grant ends a review's removal
	if !a.Permanent && !a.End.IsZero() {
		ch.Schedule = []Job{{Kind: assignmentJobKind(a.Kind), Ref: a.Key(), Due: a.End}}
	} else {
		ch.Unschedule = []string{assignmentJob(a)}
	}
	ch.Audit = []AuditEvent{assignmentAudit(a, action, c, now)}
	if err := s.Announce(&ch, Event{Kind: EventAssignment, Severity: SeverityInfo, Time: now, Actor: c.Principal, Assignment: &a,
		Message: fmt.Sprintf("%s %s %s for %s to %s", c.Principal, verbFor(action), a.Kind, a.Role, a.Principal)}); err != nil {
		return nil, err
	}
	if err := s.Commit(ctx, ch); err != nil {
		return nil, fmt.Errorf("assign: %w", err)
	}
	return &a, nil
}

func verbFor(action string) string {
	if action == "assign" {
		return "assigned"
	}
	return "updated"
}

// checkAssignment validates an assignment against the directory and its role's rules.
func (s *Service) checkAssignment(a *Assignment, now time.Time) error {
	role, err := s.dir().Role(a.Role)
	if err != nil {
		return err
	}
	if _, err := s.dir().Principal(a.Principal); err != nil {
		return err
	}
	rule := role.Policy.Eligibility
	if a.Kind == Active {
		rule = role.Policy.Assignment
	} else if a.Kind != Eligible {
		return Invalidf(FieldKind, "Assignment type must be eligible or active.")
	}
	start := a.Start
	if start.IsZero() {
		start = now
	}
	switch {
	case a.Permanent && !a.End.IsZero():
		return Invalidf(FieldEnd, "An assignment is either permanent or has an end, not both.")
	case a.Permanent && !rule.AllowPermanent:
		return Invalidf(FieldEnd, "%s does not allow permanent %s assignments; give an end date.", role.Name, a.Kind)
	case !a.Permanent && a.End.IsZero():
		return Invalidf(FieldEnd, "Give an end (`for 30d` or `until 2027-01-01`) or make it permanent.")
	case !a.Permanent && !a.End.After(start):
		return Invalidf(FieldEnd, "The end must be after the start.")
	case !a.Permanent && rule.MaxDuration > 0 && a.End.Sub(start) > rule.MaxDuration:
		return Invalidf(FieldEnd, "The assignment lasts %s, over the %s maximum of %s for %s.", FormatDuration(a.End.Sub(start)), a.Kind, FormatDuration(rule.MaxDuration), role.Name)
	}
	return nil
}

// Unassign removes an assignment. Only admins may; the last active holder of
// the admin role cannot be removed. Errors: EFORBIDDEN; ENOTFOUND; ECONFLICT.
func (s *Service) Unassign(ctx context.Context, c Caller, kind AssignmentKind, principal, role string) error {
	if err := s.authorize(ctx, c, "manage assignments", s.dir().AdminRole); err != nil {
		return err
	}
	a, err := s.assignment(ctx, kind, principal, role)
	if err != nil {
		return err
	}
	now := s.clock.Now()
	var ch Change
	if err := s.unassignChange(ctx, a, c, "unassign", now, &ch); err != nil {
		return err
	}
	if err := s.Announce(&ch, Event{Kind: EventAssignment, Severity: SeverityInfo, Time: now, Actor: c.Principal, Assignment: a,
		Message: fmt.Sprintf("%s removed %s's %s assignment for %s", c.Principal, principal, kind, role)}); err != nil {
		return err
	}
	if err := s.Commit(ctx, ch); err != nil {
		return fmt.Errorf("unassign: %w", err)
	}
	return nil
}

// unassignChange adds the removal of a to ch: last-admin protection for a
// direct active assignment (ECONFLICT), the deletion, its end job and the
// audit record. Unassign and access reviews remove assignments through it.
func (s *Service) unassignChange(ctx context.Context, a *Assignment, c Caller, action string, now time.Time, ch *Change) error {
	if a.Kind == Active {
		if err := s.guardLastAdmin(ctx, a.Role, ch, a.Principal, false); err != nil {
			return err
		}
	}
	ch.DeleteAssignments = append(ch.DeleteAssignments, a.Key())
	ch.Unschedule = append(ch.Unschedule, assignmentJob(*a))
	ch.Audit = append(ch.Audit, assignmentAudit(*a, action, c, now))
	return nil
}

// assignment returns one stored assignment, or ENOTFOUND.
func (s *Service) assignment(ctx context.Context, kind AssignmentKind, principal, role string) (*Assignment, error) {
	all, err := s.store.AssignmentsOf(ctx, principal, role)
	if err != nil {
		return nil, err
	}
	for _, a := range all {
		if a.Kind == kind {
			return &a, nil
		}
	}
	return nil, Errorf(ENOTFOUND, "%s has no %s assignment for %s.", principal, kind, role)
}

// endAssignment removes an assignment whose end has come, unless it was
// changed since or it is the last admin's, which is kept with a High alert.
func (s *Service) endAssignment(ctx context.Context, j Job) error {
	all, _, err := s.store.AssignmentsByKey(ctx, j.Ref)
	if err != nil {
		return err
	}
	now := s.clock.Now()
	for _, a := range all {
		if a.Permanent || a.End.IsZero() || a.End.After(now) {
			continue
		}
		var ch Change
		if a.Kind == Active {
			if err := s.guardLastAdmin(ctx, a.Role, &ch, a.Principal, false); err != nil {
				// Letting it lapse would lock everyone out of administration:
				// keep it another day, loudly, until someone else is assigned.
				kept := a
				kept.End = now.Add(reminderDelay)
				ch.PutAssignments = []Assignment{kept}
				ch.Schedule = []Job{{Kind: j.Kind, Ref: j.Ref, Due: kept.End}}
				e := assignmentAudit(kept, "assignment_kept_last_admin", System, now)
				e.Reason = ErrorMessage(err)
				ch.Audit = []AuditEvent{e}
				if err := s.store.Apply(ctx, ch); err != nil {
					return err
				}
				s.alerts.raise(ctx, AlertLastAdminKept, a.Principal, fmt.Sprintf("%s's admin assignment reached its end but was kept until %s: %s", a.Principal, s.when(kept.End), ErrorMessage(err)),
					AlertRow{Subject: a.Principal, Principal: a.Principal, Role: a.Role, Detail: "kept until " + s.when(kept.End) + "; assign another admin"})
				return nil
			}
		}
		ch.DeleteAssignments = []string{a.Key()}
		ch.Audit = []AuditEvent{assignmentAudit(a, "assignment_expired", System, now)}
		if err := s.Announce(&ch, Event{Kind: EventAssignment, Severity: SeverityInfo, Time: now, Actor: System.Principal, Assignment: &a,
			Message: fmt.Sprintf("%s's %s assignment for %s ended", a.Principal, a.Kind, a.Role)}); err != nil {
			return err
		}
		if err := s.Commit(ctx, ch); err != nil {
			return err
		}
		if a.Kind == Active && a.Role == s.dir().AdminRole {
			_ = s.alerts.resolve(ctx, AlertLastAdminKept, a.Principal, System, "another admin holds the role; the kept assignment ended")
		}
	}
	return nil
}

// seedRead is how many assignments seeding reads in one round trip, and
// seedWrite how many one seeding Change writes: few enough that the store's
// atomic apply (one Redis script, about 14 µs per assignment with its
// indexes and audit event) holds Redis well under a millisecond. (128 at a
// time made the first start of 100 000 assignments no faster: the time is
// in the writes themselves, not the round trips.)
const (
	seedRead  = 1024
	seedWrite = 8
)

// seedAttempts bounds how often in a row a batch is re-read after a
// concurrent change to holders moved the holders revision under it while
// nothing of the batch got written; the last attempt writes unguarded, so
// that seeding finishes even while windows churn.
const seedAttempts = 8

// SeedAssignments writes the config file's assignments into the store at
// start-up, replacing stored ones with the same key, and schedules their
// ends; see SeedFromConfig.
func (s *Service) SeedAssignments(ctx context.Context, as []Assignment) error {
	_, err := s.SeedFromConfig(ctx, as)
	return err
}

// SeedFromConfig is SeedAssignments that returns what it skipped: an
// assignment an access review removed is never restored by the file (the
// caller warns, naming the line to delete). Removals whose assignment the
// file no longer declares are forgotten, so that adding the line again
// later is a deliberate new grant.
//
// It goes in small batches, each read and written by key only, so it never
// holds the store long; each batch is guarded by the holders revision it
// read, so replicas seeding the same file at once write (and audit) each
// assignment once: the loser of a race re-reads and finds nothing to do.
// Seeding again what is already stored writes nothing.
func (s *Service) SeedFromConfig(ctx context.Context, as []Assignment) ([]ReviewRemoval, error) {
	removals, err := s.store.ReviewRemovals(ctx)
	if err != nil {
		return nil, err
	}
	removed := map[string]ReviewRemoval{}
	for _, r := range removals {
		removed[r.Key] = r
	}
	declared := map[string]bool{}
	var skipped []ReviewRemoval
	seed := make([]Assignment, 0, len(as))
	for _, a := range as {
		declared[a.Key()] = true
		if r, ok := removed[a.Key()]; ok {
			skipped = append(skipped, r)
		} else {
			seed = append(seed, a)
		}
	}
	for len(seed) > 0 {
		n := min(len(seed), seedRead)
		if err := s.seedBatch(ctx, seed[:n]); err != nil {
			return nil, fmt.Errorf("seed assignments: %w", err)
		}
		seed = seed[n:]
	}
	var forget Change
	for _, r := range removals {
		if !declared[r.Key] {
			forget.DeleteRemovals = append(forget.DeleteRemovals, r.Key)
		}
	}
	if len(forget.DeleteRemovals) == 0 {
		return skipped, nil
	}
	return skipped, s.store.Apply(ctx, forget)
}

// seedBatch writes the assignments of batch that differ from the stored
// ones, seedWrite at a time. Each write expects the holders revision read
// (or left by the previous write, which moves it by one); when another
// writer moved it, the batch is read again and only what still differs
// is written.
func (s *Service) seedBatch(ctx context.Context, batch []Assignment) error {
	keys := make([]string, len(batch))
	for i, a := range batch {
		keys[i] = a.Key()
	}
	left := len(batch) + 1
	for conflicts := 0; ; conflicts++ {
		stored, rev, err := s.store.AssignmentsByKey(ctx, keys...)
		if err != nil {
			return err
		}
		ch := seedChange(batch, stored, s.clock.Now())
		if len(ch.PutAssignments) < left {
			// Another replica seeding the same file wrote some of the
			// batch: that is progress, not churn; never write unguarded
			// over a writer of the same assignments.
			conflicts, left = 0, len(ch.PutAssignments)
		}
		for len(ch.PutAssignments) > 0 {
			part := takeSeed(&ch, seedWrite)
			if conflicts < seedAttempts-1 {
				part.HoldersRev = &rev
			}
			if err = s.store.Apply(ctx, part); err != nil {
				break
			}
			rev++
			conflicts = 0
		}
		if ErrorCode(err) != ECONFLICT {
			return err
		}
	}
}

// seedChange returns the Change that writes the assignments of batch that
// are not stored as they are, scheduling their ends and auditing each.
func seedChange(batch, stored []Assignment, now time.Time) Change {
	existing := make(map[string]Assignment, len(stored))
	for _, a := range stored {
		existing[a.Key()] = a
	}
	var ch Change
	for _, a := range batch {
		a.Source = "config"
		if old, ok := existing[a.Key()]; ok && old.Source == "config" && old.Start.Equal(a.Start) && old.End.Equal(a.End) && old.Permanent == a.Permanent {
			continue
		}
		ch.PutAssignments = append(ch.PutAssignments, a)
		if !a.Permanent && !a.End.IsZero() {
			ch.Schedule = append(ch.Schedule, Job{Kind: assignmentJobKind(a.Kind), Ref: a.Key(), Due: a.End})
		}
		ch.Audit = append(ch.Audit, assignmentAudit(a, "assign_from_config", Caller{Principal: "config", Source: "config"}, now))
	}
	return ch
}

// takeSeed removes the first n assignments of a seeding Change c (their
// schedules and audit events with them) and returns them as a Change of
// their own.
func takeSeed(c *Change, n int) Change {
	n = min(n, len(c.PutAssignments))
	part := Change{PutAssignments: c.PutAssignments[:n], Audit: c.Audit[:n]}
	c.PutAssignments, c.Audit = c.PutAssignments[n:], c.Audit[n:]
	keep := c.Schedule[:0:0]
	for _, j := range c.Schedule {
		if slices.ContainsFunc(part.PutAssignments, func(a Assignment) bool { return j.Ref == a.Key() }) {
			part.Schedule = append(part.Schedule, j)
		} else {
			keep = append(keep, j)
		}
	}
	c.Schedule = keep
	return part
}

func assignmentJobKind(k AssignmentKind) JobKind {
	if k == Active {
		return JobAssignmentEnd
	}
	return JobEligibilityEnd
}

func assignmentJob(a Assignment) string { return JobID(assignmentJobKind(a.Kind), a.Key()) }

func assignmentAudit(a Assignment, action string, c Caller, now time.Time) AuditEvent {
	e := AuditEvent{Time: now, Actor: c.Principal, Action: action, Principal: a.Principal, Role: a.Role, Source: c.Source, Decision: string(a.Kind)}
	if !a.Permanent && !a.End.IsZero() {
		from := a.Start
		if from.IsZero() {
			from = now
		}
		e.Duration = a.End.Sub(from)
	}
	return e
}
