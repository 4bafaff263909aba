package api

import (
	"time"

	"github.com/elevate-pim/elevate/core"
)

// The JSON shapes of the API's resources, as openapi.json describes them.
// Durations are strings in elevate's form (30m, 2h, 1d).

type roleView struct {
	Name        string     `json:"name"`
	Description string     `json:"description,omitempty"`
	Critical    bool       `json:"critical"`
	Policy      policyView `json:"policy"`
}

type policyView struct {
	MaxDuration          string   `json:"max_duration"`
	DefaultDuration      string   `json:"default_duration"`
	MaxLeadTime          string   `json:"max_lead_time,omitempty"`
	RequireJustification bool     `json:"require_justification"`
	RequireTicket        bool     `json:"require_ticket"`
	TicketPattern        string   `json:"ticket_pattern,omitempty"`
	RequireMFA           bool     `json:"require_mfa"`
	RequireApproval      bool     `json:"require_approval"`
	Approvers            []string `json:"approvers,omitempty"`
	ApproverGroups       []string `json:"approver_groups,omitempty"`
	MinApprovals         int      `json:"min_approvals,omitempty"`
	ExtensionAllowed     bool     `json:"extension_allowed"`
}

func roleOf(r *core.Role) roleView {
	p := r.Policy
	v := roleView{Name: r.Name, Description: r.Description, Critical: r.Critical, Policy: policyView{
		MaxDuration: core.FormatDuration(p.MaxDuration), DefaultDuration: core.FormatDuration(p.DefaultDuration),
		RequireJustification: p.RequireJustification, RequireTicket: p.RequireTicket, RequireMFA: p.RequireMFA,
		RequireApproval: p.Approval.Required, Approvers: p.Approval.Approvers, ApproverGroups: p.Approval.ApproverGroups,
		MinApprovals: p.Approval.MinApprovals, ExtensionAllowed: p.Extension.Allowed,
	}}
	if p.MaxLeadTime > 0 {
		v.Policy.MaxLeadTime = core.FormatDuration(p.MaxLeadTime)
	}
	if p.TicketPattern != nil {
		v.Policy.TicketPattern = p.TicketPattern.String()
	}
	return v
}

type assignmentView struct {
	Kind      string    `json:"kind"`
	Principal string    `json:"principal"`
	Role      string    `json:"role"`
	Start     time.Time `json:"start,omitzero"`
	End       time.Time `json:"end,omitzero"`
	Permanent bool      `json:"permanent"`
	Source    string    `json:"source,omitempty"`
}

func assignmentOf(a core.Assignment) assignmentView {
	return assignmentView{Kind: string(a.Kind), Principal: a.Principal, Role: a.Role, Start: a.Start, End: a.End, Permanent: a.Permanent || a.End.IsZero(), Source: a.Source}
}

type holdingView struct {
	Principal string    `json:"principal"`
	Role      string    `json:"role"`
	Via       string    `json:"via"`
	RequestID string    `json:"request_id,omitempty"`
	Start     time.Time `json:"start,omitzero"`
	End       time.Time `json:"end,omitzero"`
	Permanent bool      `json:"permanent"`
}

type requestView struct {
	ID            string     `json:"id"`
	Principal     string     `json:"principal"`
	Role          string     `json:"role"`
	State         core.State `json:"state"`
	Duration      string     `json:"duration"`
	Start         time.Time  `json:"start,omitzero"`
	Justification string     `json:"justification,omitempty"`
	Ticket        string     `json:"ticket,omitempty"`
	Source        string     `json:"source,omitempty"`
	CreatedAt     time.Time  `json:"created_at"`
	DeadlineAt    time.Time  `json:"deadline_at,omitzero"`
	Approvals     []voteView `json:"approvals"`
	DecidedBy     string     `json:"decided_by,omitempty"`
	DecidedAt     time.Time  `json:"decided_at,omitzero"`
	Reason        string     `json:"reason,omitempty"`
	ActivatedAt   time.Time  `json:"activated_at,omitzero"`
	EndsAt        time.Time  `json:"ends_at,omitzero"`
	Extended      string     `json:"extended,omitempty"`
}

type voteView struct {
	Approver string    `json:"approver"`
	At       time.Time `json:"at"`
}

func requestOf(r *core.Request) requestView {
	v := requestView{ID: r.ID, Principal: r.Principal, Role: r.Role, State: r.State, Duration: core.FormatDuration(r.Duration),
		Start: r.Start, Justification: r.Justification, Ticket: r.Ticket, Source: r.Source, CreatedAt: r.CreatedAt,
		DeadlineAt: r.DeadlineAt, Approvals: []voteView{}, DecidedBy: r.DecidedBy, DecidedAt: r.DecidedAt, Reason: r.Reason,
		ActivatedAt: r.ActivatedAt, EndsAt: r.EndsAt}
	for _, a := range r.Approvals {
		v.Approvals = append(v.Approvals, voteView{Approver: a.Approver, At: a.At})
	}
	if r.Extended > 0 {
		v.Extended = core.FormatDuration(r.Extended)
	}
	return v
}

type alertView struct {
	ID        string           `json:"id"`
	Kind      core.AlertKind   `json:"kind"`
	Scope     string           `json:"scope,omitempty"`
	Severity  core.Severity    `json:"severity"`
	Summary   string           `json:"summary"`
	Subjects  []string         `json:"subjects"`
	Report    []alertRowView   `json:"report"`
	Status    core.AlertStatus `json:"status"`
	FirstSeen time.Time        `json:"first_seen"`
	LastSeen  time.Time        `json:"last_seen"`
	Closed    time.Time        `json:"closed,omitzero"`
	ClosedBy  string           `json:"closed_by,omitempty"`
	Reason    string           `json:"reason,omitempty"`
	Until     time.Time        `json:"until,omitzero"`
}

type alertRowView struct {
	Subject   string `json:"subject"`
	Principal string `json:"principal,omitempty"`
	Role      string `json:"role,omitempty"`
	Detail    string `json:"detail"`
	Action    string `json:"action,omitempty"` // Remove, Convert: POST /alerts/{id}/remove|convert with this subject
}

func alertOf(a *core.Alert) alertView {
	v := alertView{ID: a.ID, Kind: a.Kind, Scope: a.Scope, Severity: a.Severity, Summary: a.Summary, Subjects: a.Subjects, Report: []alertRowView{},
		Status: a.Status, FirstSeen: a.FirstSeen, LastSeen: a.LastSeen, Closed: a.Closed, ClosedBy: a.ClosedBy, Reason: a.Reason, Until: a.Until}
	if v.Subjects == nil {
		v.Subjects = []string{}
	}
	for _, r := range a.Report {
		v.Report = append(v.Report, alertRowView{Subject: r.Subject, Principal: r.Principal, Role: r.Role, Detail: r.Detail, Action: r.Action})
	}
	return v
}

type reviewItemView struct {
	Review         string              `json:"review"`
	N              int                 `json:"n"`
	Principal      string              `json:"principal"`
	Role           string              `json:"role"`
	Kind           core.AssignmentKind `json:"kind"`
	Permanent      bool                `json:"permanent"`
	Since          time.Time           `json:"since,omitzero"`
	LastActivated  time.Time           `json:"last_activated,omitzero"`
	Recommendation core.ReviewDecision `json:"recommendation"`
	Stage          int                 `json:"stage"` // 1-based
	Decision       core.ReviewDecision `json:"decision,omitempty"`
	DecidedBy      string              `json:"decided_by,omitempty"`
	Reason         string              `json:"reason,omitempty"`
	DecidedAt      time.Time           `json:"decided_at,omitzero"`
	Outcome        string              `json:"outcome,omitempty"`
}

func reviewItemOf(it *core.ReviewItem) reviewItemView {
	return reviewItemView{Review: it.Review, N: it.N, Principal: it.Principal, Role: it.Role, Kind: it.Kind, Permanent: it.Permanent,
		Since: it.Since, LastActivated: it.LastActivated, Recommendation: it.Recommendation, Stage: it.Stage + 1,
		Decision: it.Decision, DecidedBy: it.DecidedBy, Reason: it.Reason, DecidedAt: it.DecidedAt, Outcome: it.Outcome}
}
