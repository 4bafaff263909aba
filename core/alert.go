package core

import (
	"crypto/sha256"
	"encoding/base32"
	"slices"
	"strings"
	"time"
)

// AlertKind names a detector: what condition an alert reports.
type AlertKind string

// The built-in alert kinds. README lists each with its default severity
// and thresholds; `help alerts` gives their one-line descriptions.
const (
	AlertActivatedTooOften   AlertKind = "activated_too_often"
	AlertUnusedEligibility   AlertKind = "unused_eligibility"
	AlertStandingAccess      AlertKind = "standing_access"
	AlertTooManyHolders      AlertKind = "too_many_holders"
	AlertRedundantAssignment AlertKind = "redundant_assignment"
	AlertNoMFAOrApproval     AlertKind = "no_mfa_or_approval"
	AlertOutsideElevate      AlertKind = "outside_elevate"
	AlertDeactivatedAccount  AlertKind = "deactivated_account"
	AlertApprovalsStalled    AlertKind = "approvals_stalled"
	AlertRevokeFailing       AlertKind = "revoke_failing"
	AlertMFALocked           AlertKind = "mfa_locked"
	AlertLastAdminKept       AlertKind = "last_admin_kept"
	AlertGrantCompensation   AlertKind = "grant_compensation"
	AlertExtendFailed        AlertKind = "extend_failed"
	AlertBreakGlassUsed      AlertKind = "break_glass_used"
)

// AlertStatus is where an alert stands.
type AlertStatus string

// Alert statuses.
const (
	AlertOpen      AlertStatus = "open"
	AlertResolved  AlertStatus = "resolved"  // the condition cleared, or an admin acknowledged it
	AlertDismissed AlertStatus = "dismissed" // an admin accepted the risk, with a reason
)

// Alert is one security condition: opened once, updated in place while it
// holds, resolved when it clears. Its id is derived from its kind and scope,
// so that every replica names the same condition the same way.
type Alert struct {
	ID        string      `json:"id"`
	Kind      AlertKind   `json:"kind"`
	Scope     string      `json:"scope,omitempty"` // which condition of the kind: a role, a target, a request; "" for the kind as a whole
	Severity  Severity    `json:"severity"`
	Channel   string      `json:"channel,omitempty"` // channel key the post goes to; "" = the alerts channel
	Summary   string      `json:"summary"`           // what happened, one line
	Subjects  []string    `json:"subjects"`          // sorted: the principals, roles, assignments or requests that caused it
	Report    []AlertRow  `json:"report"`
	Status    AlertStatus `json:"status"`
	FirstSeen time.Time   `json:"first_seen"`
	LastSeen  time.Time   `json:"last_seen"`
	Closed    time.Time   `json:"closed,omitzero"` // when it was resolved or dismissed
	ClosedBy  string      `json:"closed_by,omitempty"`
	Reason    string      `json:"reason,omitempty"`       // the dismissal or acknowledgement reason
	Until     time.Time   `json:"until,omitzero"`         // a dismissal holds until then (or until the subjects change)
	Dismissed []string    `json:"dismissed_of,omitempty"` // the subjects a dismissal accepted
	Version   int64       `json:"version"`
}

// AlertRow is one line of an alert's report: a subject and, when an admin
// can mitigate it from chat, the command that does.
type AlertRow struct {
	Subject   string `json:"subject"` // "alice/prod-db", "r-7k2qx9", "U0123"
	Principal string `json:"principal,omitempty"`
	Role      string `json:"role,omitempty"`
	Detail    string `json:"detail"`
	Action    string `json:"action,omitempty"` // button label: Remove, Convert, ...
	Command   string `json:"command,omitempty"`
}

// Clone returns a deep copy of a.
func (a *Alert) Clone() *Alert {
	c := *a
	c.Subjects = slices.Clone(a.Subjects)
	c.Report = slices.Clone(a.Report)
	c.Dismissed = slices.Clone(a.Dismissed)
	return &c
}

// AlertWrite is a compare-and-set write of an alert (Expect 0: it must not exist).
type AlertWrite struct {
	Alert  *Alert
	Expect int64
}

// AlertID names the alert of a kind and scope: "a-" and eight characters
// of a hash, short enough to type in `alerts dismiss ID`.
func AlertID(kind AlertKind, scope string) string {
	sum := sha256.Sum256([]byte(string(kind) + "\x00" + scope))
	return "a-" + strings.ToLower(base32.StdEncoding.EncodeToString(sum[:])[:8])
}

// subjectsOf returns the distinct subjects of rows, sorted.
func subjectsOf(rows []AlertRow) []string {
	out := make([]string, 0, len(rows))
	for _, r := range rows {
		out = append(out, r.Subject)
	}
	slices.Sort(out)
	return slices.Compact(out)
}
