package core

import "time"

// AssignmentKind distinguishes eligibility from standing (direct) activity.
type AssignmentKind string

// The two kinds of assignment.
const (
	Eligible AssignmentKind = "eligible"
	Active   AssignmentKind = "active"
)

// Assignment makes a principal eligible for a role, or holds the role
// directly (an admin's direct assignment) from Start to End, or permanently.
type Assignment struct {
	Kind      AssignmentKind `json:"kind"`
	Principal string         `json:"principal"`
	Role      string         `json:"role"`
	Start     time.Time      `json:"start,omitzero"`
	End       time.Time      `json:"end,omitzero"` // zero with Permanent
	Permanent bool           `json:"permanent,omitempty"`
	Source    string         `json:"source,omitempty"` // "config" or the adapter an admin used
	CreatedBy string         `json:"created_by,omitempty"`
	CreatedAt time.Time      `json:"created_at,omitzero"`
}

// AssignmentKey identifies an assignment: one per kind, principal and role.
func AssignmentKey(kind AssignmentKind, principal, role string) string {
	return string(kind) + "/" + principal + "/" + role
}

// Key returns the assignment's identity.
func (a Assignment) Key() string { return AssignmentKey(a.Kind, a.Principal, a.Role) }

// In reports whether the assignment is in force at t.
func (a Assignment) In(t time.Time) bool {
	if !a.Start.IsZero() && t.Before(a.Start) {
		return false
	}
	return a.Permanent || a.End.IsZero() || t.Before(a.End)
}

// Covers reports whether the assignment is in force for the whole interval [from, to).
func (a Assignment) Covers(from, to time.Time) bool {
	if !a.In(from) {
		return false
	}
	return a.Permanent || a.End.IsZero() || !to.After(a.End)
}
