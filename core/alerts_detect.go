package core

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
)

// detector finds the conditions of one scanned kind in a snapshot.
type detector struct {
	kind   AlertKind
	detect func(a *Alerts, snap *snapshot, rule AlertRule) ([]finding, error)
}

// detectors are the scanned kinds, in scan order.
var detectors = []detector{
	{AlertActivatedTooOften, detectActivatedTooOften},
	{AlertUnusedEligibility, detectUnusedEligibility},
	{AlertStandingAccess, detectStandingAccess},
	{AlertTooManyHolders, detectTooManyHolders},
	{AlertRedundantAssignment, detectRedundantAssignment},
	{AlertNoMFAOrApproval, detectNoMFAOrApproval},
	{AlertOutsideElevate, detectOutsideElevate},
	{AlertDeactivatedAccount, detectDeactivatedAccount},
	{AlertApprovalsStalled, detectApprovalsStalled},
}

// pairSubject names a (principal, role) subject.
func pairSubject(principal, role string) string { return principal + "/" + role }

// summarize is the one finding of a kind-wide alert, or none when rows is empty.
func summarize(rows []AlertRow, one string, many func(n int) string) []finding {
	if len(rows) == 0 {
		return nil
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].Subject < rows[j].Subject })
	s := one
	if len(subjectsOf(rows)) > 1 {
		s = many(len(subjectsOf(rows)))
	}
	return []finding{{summary: s, rows: rows}}
}

// detectActivatedTooOften counts activations per principal and role within the period.
func detectActivatedTooOften(_ *Alerts, snap *snapshot, rule AlertRule) ([]finding, error) {
	from := snap.now.Add(-rule.Period)
	counts := map[string]int{}
	last := map[string]time.Time{}
	err := snap.auditSince(from, func(e *AuditEvent) {
		if e.Action == "activate" && e.Time.After(from) {
			k := pairSubject(e.Principal, e.Role)
			counts[k]++
			last[k] = e.Time
		}
	})
	if err != nil {
		return nil, err
	}
	var rows []AlertRow
	for k, n := range counts {
		if n > rule.Threshold {
			p, r, _ := strings.Cut(k, "/")
			rows = append(rows, AlertRow{Subject: k, Principal: p, Role: r,
				Detail: fmt.Sprintf("%d activations in %s, the last at %s", n, FormatDuration(rule.Period), snap.s.when(last[k]))})
		}
	}
	one := ""
	if len(rows) == 1 {
		one = fmt.Sprintf("%s activated %s %d times in %s (more than %d).", rows[0].Principal, rows[0].Role, counts[rows[0].Subject], FormatDuration(rule.Period), rule.Threshold)
	}
	return summarize(rows, one, func(n int) string {
		return fmt.Sprintf("%d principals activated a role more than %d times in %s.", n, rule.Threshold, FormatDuration(rule.Period))
	}), nil
}

// lastActivations returns, per principal and role of the eligibilities in
// force, when the pair last opened a window: the store's index, one read
// per role, never the audit trail.
func (snap *snapshot) lastActivations() (map[string]time.Time, error) {
	byRole := map[string][]string{}
	for _, a := range snap.assignments {
		if a.Kind == Eligible && a.In(snap.now) {
			byRole[a.Role] = append(byRole[a.Role], a.Principal)
		}
	}
	out := map[string]time.Time{}
	for role, principals := range byRole {
		last, err := snap.s.store.LastActivations(snap.ctx, role, principals)
		if err != nil {
			return nil, err
		}
		for p, t := range last {
			out[pairSubject(p, role)] = t
		}
	}
	return out, nil
}

// detectUnusedEligibility finds eligibilities idle for the period: not
// activated, given or changed within it. Only the period's audit events
// are read; the store's index of last activations says when an idle one
// was last used.
func detectUnusedEligibility(_ *Alerts, snap *snapshot, rule AlertRule) ([]finding, error) {
	from := snap.now.Add(-rule.Period)
	recent := map[string]bool{}
	err := snap.auditSince(from, func(e *AuditEvent) {
		switch e.Action {
		case "activate", "assign", "assign_from_config", "update_assignment", "convert_to_eligible":
			if e.Time.After(from) {
				recent[pairSubject(e.Principal, e.Role)] = true
			}
		}
	})
	if err != nil {
		return nil, err
	}
	used, err := snap.lastActivations()
	if err != nil {
		return nil, err
	}
	var rows []AlertRow
	for _, a := range snap.assignments {
		if a.Kind != Eligible || !a.In(snap.now) {
			continue
		}
		k := pairSubject(a.Principal, a.Role)
		if recent[k] || latest(used[k], a.CreatedAt, a.Start).After(from) {
			continue
		}
		detail := "never activated"
		if !used[k].IsZero() {
			detail = "last activated " + snap.s.when(used[k])
		}
		rows = append(rows, AlertRow{Subject: k, Principal: a.Principal, Role: a.Role, Detail: detail,
			Action: "Remove", Command: fmt.Sprintf("unassign %s %s eligible", a.Principal, a.Role)})
	}
	one := ""
	if len(rows) == 1 {
		one = fmt.Sprintf("%s has been eligible for %s without activating it for %s or more.", rows[0].Principal, rows[0].Role, FormatDuration(rule.Period))
	}
	return summarize(rows, one, func(n int) string {
		return fmt.Sprintf("%d eligibilities were not used in %s: candidates for removal.", n, FormatDuration(rule.Period))
	}), nil
}

// latest returns the latest of ts.
func latest(ts ...time.Time) time.Time {
	var out time.Time
	for _, t := range ts {
		if t.After(out) {
			out = t
		}
	}
	return out
}

// critical reports whether role is critical: configured so, or break-glass.
func (s *Service) critical(role string) bool {
	r, ok := s.dir().Roles[role]
	return ok && (r.Critical || r.BreakGlass)
}

// standing reports whether an active assignment is permanent or longer than d.
func standing(a Assignment, d time.Duration) bool {
	if a.Permanent || a.End.IsZero() {
		return true
	}
	from := a.Start
	if from.IsZero() {
		from = a.CreatedAt
	}
	return !from.IsZero() && a.End.Sub(from) > d
}

// detectStandingAccess finds permanent or long active assignments of critical roles.
func detectStandingAccess(a *Alerts, snap *snapshot, rule AlertRule) ([]finding, error) {
	var rows []AlertRow
	for _, as := range snap.assignments {
		if as.Kind != Active || !as.In(snap.now) || !a.s.critical(as.Role) || !standing(as, rule.Period) {
			continue
		}
		rows = append(rows, AlertRow{Subject: pairSubject(as.Principal, as.Role), Principal: as.Principal, Role: as.Role,
			Detail: "active " + describeEnd(as, a.s.when), Action: "Convert", Command: fmt.Sprintf("convert %s %s", as.Principal, as.Role)})
	}
	one := ""
	if len(rows) == 1 {
		one = fmt.Sprintf("%s holds critical role %s standing (%s).", rows[0].Principal, rows[0].Role, rows[0].Detail)
	}
	return summarize(rows, one, func(n int) string {
		return fmt.Sprintf("%d standing assignments of critical roles: convert them to eligible.", n)
	}), nil
}

// detectTooManyHolders counts, per critical role, who can hold it.
func detectTooManyHolders(a *Alerts, snap *snapshot, rule AlertRule) ([]finding, error) {
	total := len(a.s.dir().Principals)
	var out []finding
	for _, role := range a.s.dir().RoleNames() {
		if !a.s.critical(role) {
			continue
		}
		var rows []AlertRow
		for _, as := range snap.assignments {
			if as.Role == role && as.In(snap.now) {
				rows = append(rows, AlertRow{Subject: as.Principal, Principal: as.Principal, Role: role, Detail: string(as.Kind) + " " + describeEnd(as, a.s.when),
					Action: "Remove", Command: fmt.Sprintf("unassign %s %s %s", as.Principal, role, as.Kind)})
			}
		}
		for _, w := range snap.windows[role] {
			rows = append(rows, AlertRow{Subject: w.Principal, Principal: w.Principal, Role: role, Detail: "activated until " + a.s.when(w.End),
				Action: "Revoke", Command: "drop " + w.RequestID})
		}
		n := len(subjectsOf(rows))
		if n < rule.Threshold || n*100 < rule.Percent*total {
			continue
		}
		sort.SliceStable(rows, func(i, j int) bool { return rows[i].Subject < rows[j].Subject })
		out = append(out, finding{scope: role, rows: rows,
			summary: fmt.Sprintf("Critical role %s can be held by %d of %d principals (%d%%; at most %d and %d%% expected).", role, n, total, n*100/max(total, 1), rule.Threshold-1, rule.Percent)})
	}
	return out, nil
}

// detectRedundantAssignment finds principals both eligible and permanently active.
func detectRedundantAssignment(a *Alerts, snap *snapshot, _ AlertRule) ([]finding, error) {
	eligible := map[string]bool{}
	for _, as := range snap.assignments {
		if as.Kind == Eligible && as.In(snap.now) {
			eligible[as.Key()] = true
		}
	}
	var rows []AlertRow
	for _, as := range snap.assignments {
		if as.Kind == Active && as.In(snap.now) && (as.Permanent || as.End.IsZero()) && eligible[AssignmentKey(Eligible, as.Principal, as.Role)] {
			rows = append(rows, AlertRow{Subject: pairSubject(as.Principal, as.Role), Principal: as.Principal, Role: as.Role,
				Detail: "eligible and permanently active", Action: "Convert", Command: fmt.Sprintf("convert %s %s", as.Principal, as.Role)})
		}
	}
	one := ""
	if len(rows) == 1 {
		one = fmt.Sprintf("%s is both eligible for and permanently active in %s.", rows[0].Principal, rows[0].Role)
	}
	return summarize(rows, one, func(n int) string {
		return fmt.Sprintf("%d principals are both eligible for and permanently active in the same role.", n)
	}), nil
}

// detectNoMFAOrApproval finds critical roles an activation reaches with
// neither MFA nor approval. Break-glass roles are meant so, and have their
// own alert when used.
func detectNoMFAOrApproval(a *Alerts, _ *snapshot, _ AlertRule) ([]finding, error) {
	var rows []AlertRow
	for _, name := range a.s.dir().RoleNames() {
		r := a.s.dir().Roles[name]
		if r.Critical && !r.BreakGlass && !r.Policy.RequireMFA && !r.Policy.Approval.Required {
			rows = append(rows, AlertRow{Subject: name, Role: name, Detail: "activation requires neither MFA nor approval"})
		}
	}
	one := ""
	if len(rows) == 1 {
		one = fmt.Sprintf("Critical role %s requires neither MFA nor approval to activate.", rows[0].Role)
	}
	return summarize(rows, one, func(n int) string {
		return fmt.Sprintf("%d critical roles require neither MFA nor approval to activate.", n)
	}), nil
}

// stallsAt is when a request waiting for approval counts as stalled.
func (a *Alerts) stallsAt(r *Request) (time.Time, bool) {
	role, ok := a.s.dir().Roles[r.Role]
	if !ok || r.DeadlineAt.IsZero() {
		return time.Time{}, false
	}
	timeout := role.Policy.Approval.timeout()
	waitFrom := r.DeadlineAt.Add(-timeout)
	return waitFrom.Add(timeout * time.Duration(a.Rule(AlertApprovalsStalled).Percent) / 100).Add(time.Millisecond), true
}

// detectApprovalsStalled finds requests that waited too long for a decision.
func detectApprovalsStalled(a *Alerts, snap *snapshot, _ AlertRule) ([]finding, error) {
	open, err := a.s.store.AwaitingApproval(snap.ctx, a.s.dir().RoleNames()...)
	if err != nil {
		return nil, err
	}
	var rows []AlertRow
	for _, r := range open {
		at, ok := a.stallsAt(r)
		if r.State != PendingApproval || !ok || snap.now.Before(at) {
			continue
		}
		role := a.s.dir().Roles[r.Role]
		approvers := a.s.approvers(role, r.Escalated, r.Principal)
		who := "nobody can approve it"
		if len(approvers) > 0 {
			who = "approvers " + strings.Join(approvers, ", ") + " have not decided"
		}
		rows = append(rows, AlertRow{Subject: r.ID, Principal: r.Principal, Role: r.Role,
			Detail: fmt.Sprintf("%s waiting since %s, times out at %s; %s", r.ID, a.s.when(r.DeadlineAt.Add(-role.Policy.Approval.timeout())), a.s.when(r.DeadlineAt), who)})
	}
	one := ""
	if len(rows) == 1 {
		one = fmt.Sprintf("%s's request for %s is stalled: %s.", rows[0].Principal, rows[0].Role, rows[0].Detail)
	}
	return summarize(rows, one, func(n int) string { return fmt.Sprintf("%d requests are stalled waiting for approval.", n) }), nil
}

// detectOutsideElevate compares each listing target's members with the
// holders of its role: anyone else was given access outside elevate.
func detectOutsideElevate(a *Alerts, snap *snapshot, _ AlertRule) ([]finding, error) {
	var out []finding
	for _, t := range a.watchedTargets() {
		members, err := t.Members(snap.ctx)
		if err != nil {
			return nil, fmt.Errorf("list members of %s: %w", t.Name(), err)
		}
		granted := map[string]bool{}
		for _, role := range t.roles {
			for _, p := range a.holdersOf(snap, role) {
				granted[a.memberID(t, p)] = true
			}
		}
		var rows []AlertRow
		for _, m := range members {
			if granted[m] {
				continue
			}
			who := m
			if p := a.principalOf(t, m); p != "" {
				who = p + " (" + m + ")"
			}
			rows = append(rows, AlertRow{Subject: m, Principal: a.principalOf(t, m), Role: t.Role(),
				Detail: who + " is a member of " + t.Name() + " without holding " + t.Role() + " in elevate",
				Action: "Remove", Command: "alerts remove " + AlertID(AlertOutsideElevate, t.Name()) + " " + m})
		}
		if len(rows) == 0 {
			continue
		}
		sort.SliceStable(rows, func(i, j int) bool { return rows[i].Subject < rows[j].Subject })
		names := make([]string, len(rows))
		for i, r := range rows {
			names[i] = r.Subject
			if r.Principal != "" {
				names[i] = r.Principal
			}
		}
		out = append(out, finding{scope: t.Name(), rows: rows,
			summary: fmt.Sprintf("Target %s (role %s) has members elevate did not grant: %s.", t.Name(), t.Role(), strings.Join(names, ", "))})
	}
	return out, nil
}

// holdersOf returns who holds role now in snap: windows and active assignments.
func (a *Alerts) holdersOf(snap *snapshot, role string) []string {
	var out []string
	for _, w := range snap.windows[role] {
		out = append(out, w.Principal)
	}
	for _, as := range snap.assignments {
		if as.Kind == Active && as.Role == role && as.In(snap.now) {
			out = append(out, as.Principal)
		}
	}
	return out
}

// memberID is principal's id at target t.
func (a *Alerts) memberID(t watched, principal string) string {
	if t.Platform() == "" {
		return principal
	}
	if p, ok := a.s.dir().Principals[principal]; ok {
		return p.IDs[t.Platform()]
	}
	return ""
}

// principalOf is the principal whose id at t is id, or "".
func (a *Alerts) principalOf(t watched, id string) string {
	if t.Platform() == "" {
		if _, ok := a.s.dir().Principals[id]; ok {
			return id
		}
		return ""
	}
	if p, err := a.s.dir().PrincipalFor(t.Platform(), id); err == nil {
		return p.ID
	}
	return ""
}

// detectDeactivatedAccount asks each platform about the principals who
// hold or may activate a role.
func detectDeactivatedAccount(a *Alerts, snap *snapshot, _ AlertRule) ([]finding, error) {
	a.mu.Lock()
	checkers := slices.Clone(a.accounts)
	a.mu.Unlock()
	if len(checkers) == 0 {
		return nil, nil
	}
	roles := map[string][]string{}
	for _, as := range snap.assignments {
		if as.In(snap.now) {
			roles[as.Principal] = append(roles[as.Principal], as.Role)
		}
	}
	for role, ws := range snap.windows {
		for _, w := range ws {
			roles[w.Principal] = append(roles[w.Principal], role)
		}
	}
	var rows []AlertRow
	for principal, rs := range roles {
		p, ok := a.s.dir().Principals[principal]
		if !ok {
			continue
		}
		for _, c := range checkers {
			id := p.IDs[c.Platform()]
			if id == "" {
				continue
			}
			gone, err := c.Deactivated(snap.ctx, id)
			if err != nil {
				return nil, fmt.Errorf("check %s account of %s: %w", c.Platform(), principal, err)
			}
			if gone {
				slices.Sort(rs)
				rows = append(rows, AlertRow{Subject: principal, Principal: principal,
					Detail: fmt.Sprintf("%s account %s is deactivated; holds or may activate %s", c.Platform(), id, strings.Join(slices.Compact(rs), ", ")),
					Action: "Remove all", Command: "alerts remove " + AlertID(AlertDeactivatedAccount, "") + " " + principal})
				break
			}
		}
	}
	one := ""
	if len(rows) == 1 {
		one = fmt.Sprintf("%s's chat account is deactivated but they still hold or may activate roles.", rows[0].Principal)
	}
	return summarize(rows, one, func(n int) string {
		return fmt.Sprintf("%d principals with deactivated chat accounts still hold or may activate roles.", n)
	}), nil
}
