package core

import (
	"context"
	"sort"
	"time"
)

// Scope is a set of things a service identity (an API token acting as no
// principal) may do.
type Scope uint8

// Scopes a service identity may hold.
const (
	ScopeCheck     Scope = 1 << iota // ask whether a principal holds a role
	ScopeAuditRead                   // read and download the audit trail
)

// scopeNames are the names of scopes in the config file.
var scopeNames = map[string]Scope{"check": ScopeCheck, "audit:read": ScopeAuditRead}

// ParseScope returns the scope named name ("check", "audit:read").
func ParseScope(name string) (Scope, bool) {
	s, ok := scopeNames[name]
	return s, ok
}

// HasScope reports whether the caller is a service identity granted scope.
func (c Caller) HasScope(scope Scope) bool {
	return c.Principal == "" && c.Scopes&scope != 0
}

// Automation answers the reads that systems make through the HTTP API,
// with the authorization chat has: a principal sees their own, admins and
// readers see everyone's, and a service identity only what its scopes allow.
type Automation struct{ s *Service }

// Automation returns the service's reads for systems.
func (s *Service) Automation() *Automation { return &Automation{s: s} }

// mayRead allows principal's own data, a service identity holding scope
// (0 for none), and admins and readers. Errors: EFORBIDDEN.
func (a *Automation) mayRead(ctx context.Context, c Caller, principal string, scope Scope, what string) error {
	switch {
	case c.Principal != "" && c.Principal == principal:
		return nil
	case scope != 0 && c.HasScope(scope):
		return nil
	case c.Principal == "":
		return Errorf(EFORBIDDEN, "This token's scopes do not allow it to %s.", what)
	}
	return a.s.authorize(ctx, c, what, a.s.dir().AdminRole, a.s.dir().ReaderRole)
}

// Eligibility returns principal's eligible assignments in force now, by
// role. Errors: EFORBIDDEN; ENOTFOUND for an unknown principal.
func (a *Automation) Eligibility(ctx context.Context, c Caller, principal string) ([]Assignment, error) {
	if _, err := a.s.dir().Principal(principal); err != nil {
		return nil, err
	}
	if err := a.mayRead(ctx, c, principal, 0, "see others' eligibility"); err != nil {
		return nil, err
	}
	own, err := a.s.store.AssignmentsByPrincipal(ctx, principal)
	if err != nil {
		return nil, err
	}
	now := a.s.clock.Now()
	var out []Assignment
	for _, as := range own {
		if as.Kind == Eligible && as.In(now) {
			out = append(out, as)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Role < out[j].Role })
	return out, nil
}

// Holding is one way a principal holds a role now: an activation's window
// or a direct active assignment (End zero: permanent).
type Holding struct {
	Principal string
	Role      string
	Via       string // "window" or "assignment"
	RequestID string // the activation's request, for a window
	Start     time.Time
	End       time.Time
}

// Holdings lists who holds what now: principal's roles, role's holders, or
// principal's holding of role. At least one of them is required
// (EINVALID). Listing a role's holders takes an admin or reader; listing a
// principal's, that principal too. Errors: EFORBIDDEN; ENOTFOUND.
func (a *Automation) Holdings(ctx context.Context, c Caller, principal, role string) ([]Holding, error) {
	if principal == "" && role == "" {
		return nil, Invalidf(FieldPrincipal, "Name a principal, a role, or both.")
	}
	if principal != "" {
		if _, err := a.s.dir().Principal(principal); err != nil {
			return nil, err
		}
	}
	roles := []string{role}
	if role == "" {
		roles = a.s.dir().RoleNames()
	} else if _, err := a.s.dir().Role(role); err != nil {
		return nil, err
	}
	if err := a.mayRead(ctx, c, principal, 0, "see who holds roles"); err != nil {
		return nil, err
	}
	var out []Holding
	now := a.s.clock.Now()
	addAssignments := func(as []Assignment) {
		for _, x := range as {
			if x.Kind == Active && x.In(now) && (role == "" || x.Role == role) && (principal == "" || x.Principal == principal) {
				out = append(out, Holding{Principal: x.Principal, Role: x.Role, Via: "assignment", Start: x.Start, End: x.End})
			}
		}
	}
	if principal != "" {
		own, err := a.s.store.AssignmentsByPrincipal(ctx, principal)
		if err != nil {
			return nil, err
		}
		addAssignments(own)
		for _, r := range roles {
			w, err := a.s.store.Window(ctx, principal, r)
			if ErrorCode(err) == ENOTFOUND {
				continue
			} else if err != nil {
				return nil, err
			}
			out = append(out, Holding{Principal: w.Principal, Role: w.Role, Via: "window", RequestID: w.RequestID, Start: w.Start, End: w.End})
		}
	} else {
		held, _, err := a.s.store.AssignmentsByRole(ctx, role)
		if err != nil {
			return nil, err
		}
		addAssignments(held)
		ws, err := a.s.store.Windows(ctx, role)
		if err != nil {
			return nil, err
		}
		for _, w := range ws {
			out = append(out, Holding{Principal: w.Principal, Role: w.Role, Via: "window", RequestID: w.RequestID, Start: w.Start, End: w.End})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		x, y := out[i], out[j]
		return x.Principal+"\x00"+x.Role+"\x00"+x.Via < y.Principal+"\x00"+y.Role+"\x00"+y.Via
	})
	return out, nil
}

// RequestFilter selects requests of one principal's history; empty
// fields match all.
type RequestFilter struct {
	Principal string // "" = the caller
	Role      string
	State     State
	Since     time.Time // created at or after
}

// Match reports whether r passes the filter's role and state.
func (f RequestFilter) Match(r *Request) bool {
	return (f.Role == "" || r.Role == f.Role) && (f.State == "" || r.State == f.State)
}

// historyBatch is how many requests Requests reads from the store at a time.
const historyBatch = 100

// Requests returns up to limit requests that f selects from a principal's
// history, final ones included, in the order they were created, after the
// position from (the zero RequestPos: from the first, or from f.Since).
// more says whether another page may follow, from the last one returned.
// A principal sees their own; admins and readers anyone's.
// Errors: EFORBIDDEN; ENOTFOUND for an unknown principal.
func (a *Automation) Requests(ctx context.Context, c Caller, f RequestFilter, from RequestPos, limit int) (out []*Request, more bool, err error) {
	if f.Principal == "" {
		f.Principal = c.Principal
	}
	if _, err := a.s.dir().Principal(f.Principal); err != nil {
		return nil, false, err
	}
	if err := a.mayRead(ctx, c, f.Principal, 0, "see others' requests"); err != nil {
		return nil, false, err
	}
	if since := PosSince(f.Since); !f.Since.IsZero() && since.After(from) {
		from = since
	}
	for {
		page, err := a.s.store.RequestsOf(ctx, f.Principal, from, historyBatch)
		if err != nil {
			return nil, false, err
		}
		for _, r := range page {
			if !f.Match(r) {
				continue
			}
			if len(out) == limit {
				return out, true, nil
			}
			out = append(out, r)
		}
		if len(page) < historyBatch {
			return out, false, nil
		}
		from = PosOf(page[len(page)-1])
	}
}

// Check answers "does principal hold role now?" from the window key or a
// direct assignment alone (see HoldsNow): the fast path for gateways. A
// principal may ask about themselves; a service identity with ScopeCheck,
// admins and readers about anyone. via is "window" or "assignment".
// Errors: EFORBIDDEN.
func (a *Automation) Check(ctx context.Context, c Caller, principal, role string) (holds bool, until time.Time, via string, err error) {
	if err := a.mayRead(ctx, c, principal, ScopeCheck, "check others' roles"); err != nil {
		return false, time.Time{}, "", err
	}
	holds, until, via, err = HoldsNow(ctx, a.s.store, principal, role, a.s.clock.Now())
	if holds && via != "assignment" {
		via = "window"
	}
	return holds, until, via, err
}

// ScanAudit streams the audit events after the cursor after that match f
// to fn, as ScanAudit does, and returns the head it read up to. Service
// identities with ScopeAuditRead, admins and readers may. Errors: EFORBIDDEN.
func (a *Automation) ScanAudit(ctx context.Context, c Caller, f AuditFilter, after int64, fn func(*AuditEvent) error) (AuditHead, error) {
	if err := a.mayRead(ctx, c, "", ScopeAuditRead, "read the audit trail"); err != nil {
		return AuditHead{}, err
	}
	return ScanAudit(ctx, a.s.AuditTrail(), after, func(e *AuditEvent) error {
		if !f.Match(*e) {
			return nil
		}
		return fn(e)
	})
}

// AuditHead returns the audit trail's head, for whoever may read the trail.
func (a *Automation) AuditHead(ctx context.Context, c Caller) (AuditHead, error) {
	if err := a.mayRead(ctx, c, "", ScopeAuditRead, "read the audit trail"); err != nil {
		return AuditHead{}, err
	}
	return a.s.AuditTrail().AuditHead(ctx)
}

// RecordRead writes a "read" audit event: c listed or exported what (an
// API call such as "GET /api/v1/audit?format=csv"), about principal and
// role where the read named them, so that an auditor sees who read what.
// The "does P hold R?" check is the hot path and is not recorded.
func (a *Automation) RecordRead(ctx context.Context, c Caller, what, principal, role string) error {
	if len(what) > maxTextLen {
		what = what[:maxTextLen]
	}
	actor := c.Principal
	if actor == "" {
		actor = c.Source
	}
	e := AuditEvent{Time: a.s.clock.Now(), Actor: actor, Action: "read", Principal: principal, Role: role, Reason: what, Source: c.Source}
	return a.s.store.Apply(ctx, Change{Audit: []AuditEvent{e}})
}
