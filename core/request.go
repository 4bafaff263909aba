package core

import "time"

// State is where an activation request is in its lifecycle. The names mirror
// Microsoft Graph's PIM request statuses.
type State string

// Request states. Expired, Revoked, Denied, Canceled, TimedOut and Failed are final.
const (
	PendingMFA      State = "PendingMFA"
	PendingApproval State = "PendingApproval"
	Scheduled       State = "Scheduled"
	StateActive     State = "Active"
	Expired         State = "Expired"
	Revoked         State = "Revoked"
	Denied          State = "Denied"
	Canceled        State = "Canceled"
	TimedOut        State = "TimedOut"
	Failed          State = "Failed"
)

// Final reports whether no further transition can leave s.
func (s State) Final() bool {
	switch s {
	case PendingMFA, PendingApproval, Scheduled, StateActive:
		return false
	}
	return true
}

// Pending reports whether s still waits for the requester or an approver.
func (s State) Pending() bool { return s == PendingMFA || s == PendingApproval }

// Vote is one approver's approval.
type Vote struct {
	Approver string    `json:"approver"`
	At       time.Time `json:"at"`
}

// Request is an activation request and, once approved, the activation it became.
type Request struct {
	ID            string        `json:"id"`
	Principal     string        `json:"principal"`
	Role          string        `json:"role"`
	State         State         `json:"state"`
	Duration      time.Duration `json:"duration"`       // requested window length
	Start         time.Time     `json:"start,omitzero"` // requested start; zero = as soon as allowed
	Justification string        `json:"justification,omitempty"`
	Ticket        string        `json:"ticket,omitempty"`
	Source        string        `json:"source,omitempty"` // adapter the request came from
	CreatedAt     time.Time     `json:"created_at"`
	DeadlineAt    time.Time     `json:"deadline_at,omitzero"` // pending requests time out here

	Approvals []Vote    `json:"approvals,omitempty"`
	Escalated bool      `json:"escalated,omitempty"`
	DecidedBy string    `json:"decided_by,omitempty"` // approver, denier, canceller or revoker
	DecidedAt time.Time `json:"decided_at,omitzero"`
	Reason    string    `json:"reason,omitempty"` // deny reason, revocation or failure cause

	ActivatedAt time.Time     `json:"activated_at,omitzero"`
	EndsAt      time.Time     `json:"ends_at,omitzero"`
	Extended    time.Duration `json:"extended,omitempty"` // total added by extensions
	Warned      bool          `json:"warned,omitempty"`   // expiry warning sent for the current EndsAt

	// Version is the store's compare-and-set token; every write increments it.
	Version int64 `json:"version"`
}

// Clone returns a deep copy, so that callers can change it without touching
// what a store or another goroutine holds.
func (r *Request) Clone() *Request {
	c := *r
	c.Approvals = append([]Vote(nil), r.Approvals...)
	return &c
}

// approvedBy reports whether approver has already voted.
func (r *Request) approvedBy(approver string) bool {
	for _, v := range r.Approvals {
		if v.Approver == approver {
			return true
		}
	}
	return false
}
