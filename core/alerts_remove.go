package core

import (
	"context"
	"errors"
	"fmt"
	"slices"
)

// Remove is the admin action on one subject of an outside_elevate or
// deactivated_account alert: it takes a member elevate did not grant out
// of the target, or removes every assignment and window of a principal
// whose chat account is gone. The action is audited and the alert's
// condition is checked again at once. Errors: EFORBIDDEN; ENOTFOUND for
// an unknown alert or a subject not in its report; EINVALID for a kind
// with no such action; ECONFLICT when removing would take the last admin.
func (a *Alerts) Remove(ctx context.Context, c Caller, id, subject string) (*Alert, error) {
	if err := a.s.authorize(ctx, c, "act on alerts", a.s.dir().AdminRole); err != nil {
		return nil, err
	}
	al, err := a.find(ctx, id)
	if err != nil {
		return nil, err
	}
	if !slices.ContainsFunc(al.Report, func(r AlertRow) bool { return r.Subject == subject }) {
		return nil, Errorf(ENOTFOUND, "%s is not in the report of alert %s.", subject, id)
	}
	switch al.Kind {
	case AlertOutsideElevate:
		err = a.removeMember(ctx, c, al, subject)
	case AlertDeactivatedAccount:
		err = a.removeAll(ctx, c, subject)
	default:
		return nil, Errorf(EINVALID, "Alert %s (%s) has no remove action; use the command its report row names.", id, al.Kind)
	}
	if err != nil {
		return nil, err
	}
	if err := a.check(ctx, []AlertKind{al.Kind}); err != nil {
		return nil, err
	}
	return a.find(ctx, id)
}

// removeMember takes member out of the target the alert is about.
func (a *Alerts) removeMember(ctx context.Context, c Caller, al *Alert, member string) error {
	targets := a.watchedTargets()
	i := slices.IndexFunc(targets, func(t watched) bool { return t.Name() == al.Scope })
	if i < 0 {
		return Errorf(ENOTFOUND, "Target %s is no longer watched.", al.Scope)
	}
	t := targets[i]
	now := a.s.clock.Now()
	e := AuditEvent{Time: now, Actor: c.Principal, Action: "remove_outside_member", Principal: a.principalOf(t, member), Role: t.Role(),
		Reason: fmt.Sprintf("%s removed from %s (alert %s)", member, t.Name(), al.ID), Source: c.Source}
	if err := t.RemoveMember(ctx, member); err != nil {
		e.Action, e.Reason = "remove_outside_member_failed", fmt.Sprintf("%s could not be removed from %s: %v", member, t.Name(), err)
		_ = a.s.store.Apply(ctx, Change{Audit: []AuditEvent{e}})
		return fmt.Errorf("remove %s from %s: %w", member, t.Name(), err)
	}
	return a.s.store.Apply(ctx, Change{Audit: []AuditEvent{e}})
}

// removeAll ends principal's windows and removes their assignments, each
// through the ordinary admin path (audited, last-admin protected).
func (a *Alerts) removeAll(ctx context.Context, c Caller, principal string) error {
	all, err := a.s.store.AssignmentsByPrincipal(ctx, principal)
	if err != nil {
		return err
	}
	var errs []error
	for _, role := range a.s.dir().RoleNames() {
		if w, err := a.s.store.Window(ctx, principal, role); err == nil {
			if _, err := a.s.Deactivate(ctx, c, w.RequestID); err != nil {
				errs = append(errs, err)
			}
		}
	}
	for _, as := range all {
		if as.Principal == principal {
			if err := a.s.Unassign(ctx, c, as.Kind, as.Principal, as.Role); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return Errorf(ErrorCode(errs[0]), "Not everything of %s could be removed: %s", principal, ErrorMessage(errs[0]))
	}
	return nil
}
