package core

import (
	"context"
	"slices"
)

// Access is who can use a role: who holds it now and who may activate it.
type Access struct {
	Role     string
	Holders  []Holder
	Eligible []Assignment
}

// WhoHas lists who holds role now and who is eligible for it. Admins and
// readers may ask. Errors: EFORBIDDEN; ENOTFOUND for an unknown role.
func (s *Service) WhoHas(ctx context.Context, c Caller, role string) (*Access, error) {
	if err := s.authorize(ctx, c, "see who has access", s.dir().AdminRole, s.dir().ReaderRole); err != nil {
		return nil, err
	}
	if _, err := s.dir().Role(role); err != nil {
		return nil, err
	}
	hs, as, _, err := s.holders(ctx, role)
	if err != nil {
		return nil, err
	}
	acc := &Access{Role: role, Holders: hs}
	now := s.clock.Now()
	for _, a := range as {
		if a.Kind == Eligible && (a.Permanent || a.End.IsZero() || a.End.After(now)) {
			acc.Eligible = append(acc.Eligible, a)
		}
	}
	return acc, nil
}

// Status is one principal's view: what they may activate, hold, and wait
// for, and what waits for them to decide.
type Status struct {
	Eligible  []string   // roles they may activate now
	Standing  []Holder   // roles held by direct assignment
	Active    []*Request // their active windows
	Pending   []*Request // their requests waiting for MFA, approval or start
	ToApprove []*Request // others' requests they may decide on
}

// StatusOf returns the caller's status. It reads only the caller's own
// assignments and requests, and the requests awaiting approval in the roles
// the caller may approve.
func (s *Service) StatusOf(ctx context.Context, c Caller) (*Status, error) {
	own, err := s.store.AssignmentsByPrincipal(ctx, c.Principal)
	if err != nil {
		return nil, err
	}
	now := s.clock.Now()
	st := &Status{Eligible: s.eligibleRoles(c.Principal, own, now)}
	for _, a := range own {
		if a.Kind == Active && a.In(now) {
			st.Standing = append(st.Standing, Holder{Principal: a.Principal, Via: "assignment:" + a.Role, Until: a.End})
		}
	}
	open, err := s.store.OpenRequestsOf(ctx, c.Principal)
	if err != nil {
		return nil, err
	}
	for _, r := range open {
		if r.State == StateActive {
			st.Active = append(st.Active, r)
		} else {
			st.Pending = append(st.Pending, r)
		}
	}
	awaiting, err := s.store.AwaitingApproval(ctx, s.approvableRoles(c.Principal)...)
	if err != nil {
		return nil, err
	}
	for _, r := range awaiting {
		if s.mayDecide(r, c.Principal) {
			st.ToApprove = append(st.ToApprove, r)
		}
	}
	return st, nil
}

// approvableRoles returns the roles whose requests principal may be asked to
// decide: those naming them (directly, through a configured group or as an
// escalation approver) and those whose approver groups live on a chat
// platform, whose members are only known when asked.
func (s *Service) approvableRoles(principal string) []string {
	var out []string
	for name, role := range s.dir().Roles {
		if !role.Policy.Approval.Required {
			continue
		}
		if slices.Contains(s.dir().Approvers(role, true, ""), principal) || s.hasPlatformApprovers(role) {
			out = append(out, name)
		}
	}
	return out
}

// hasPlatformApprovers reports whether any approver group of role is kept on a chat platform.
func (s *Service) hasPlatformApprovers(role *Role) bool {
	a := role.Policy.Approval
	for _, name := range append(slices.Clip(a.ApproverGroups), a.Escalation.ApproverGroups...) {
		if g, ok := s.dir().Groups[name]; ok && len(g.Platform) > 0 {
			return true
		}
	}
	return false
}

// mayDecide reports whether principal may approve or deny r now.
func (s *Service) mayDecide(r *Request, principal string) bool {
	role, ok := s.dir().Roles[r.Role]
	if !ok || r.Principal == principal {
		return false
	}
	return slices.Contains(s.approvers(role, r.Escalated, r.Principal), principal)
}

// Request returns request id if the caller may see it: its requester, one
// of its approvers, an admin or a reader.
func (s *Service) Request(ctx context.Context, c Caller, id string) (*Request, error) {
	r, err := s.store.Request(ctx, id)
	if err != nil {
		return nil, Errorf(ENOTFOUND, "No request %s.", id)
	}
	if r.Principal == c.Principal || s.mayDecide(r, c.Principal) {
		return r, nil
	}
	if err := s.authorize(ctx, c, "see others' requests", s.dir().AdminRole, s.dir().ReaderRole); err != nil {
		return nil, err
	}
	return r, nil
}

// FindOpen returns the caller's open request for role (the newest, if
// several), so commands can name a role instead of a request id.
func (s *Service) FindOpen(ctx context.Context, c Caller, role string) (*Request, error) {
	open, err := s.store.OpenRequestsOf(ctx, c.Principal)
	if err != nil {
		return nil, err
	}
	for _, r := range slices.Backward(open) { // newest first
		if r.Role == role {
			return r, nil
		}
	}
	return nil, Errorf(ENOTFOUND, "You have no open request for %s.", role)
}

// AuditLog returns the audit events matching f. Admins and readers may ask.
func (s *Service) AuditLog(ctx context.Context, c Caller, f AuditFilter) ([]AuditEvent, error) {
	if err := s.authorize(ctx, c, "read the audit trail", s.dir().AdminRole, s.dir().ReaderRole); err != nil {
		return nil, err
	}
	events, _, err := ReadAudit(ctx, s.AuditTrail(), f)
	return events, err
}
