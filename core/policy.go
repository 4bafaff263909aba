package core

import (
	"regexp"
	"time"
)

// Default values applied where a policy leaves a setting out.
const (
	DefaultApprovalTimeout = 24 * time.Hour
	DefaultMFATimeout      = 10 * time.Minute
	ExpiryWarning          = 10 * time.Minute
)

// Policy is what a role demands of an activation and of its assignments.
type Policy struct {
	MaxDuration     time.Duration // longest activation window
	DefaultDuration time.Duration // used when the requester names none
	MaxLeadTime     time.Duration // how far in the future a scheduled start may be; 0 = no scheduling

	RequireJustification bool
	JustificationMinLen  int
	RequireTicket        bool
	TicketPattern        *regexp.Regexp // nil = any non-empty ticket
	RequireMFA           bool

	Approval  ApprovalRule
	Extension ExtensionRule

	Eligibility ExpiryRule // limits on eligible assignments
	Assignment  ExpiryRule // limits on direct active assignments
}

// ApprovalRule says who must approve an activation and how.
type ApprovalRule struct {
	Required       bool
	Approvers      []string // principal ids
	ApproverGroups []string // group names
	MinApprovals   int      // quorum; at least 1 when Required
	Timeout        time.Duration
	Escalation     Escalation
}

// Escalation adds backup approvers when a request waits longer than After.
type Escalation struct {
	After          time.Duration // 0 = no escalation
	Approvers      []string
	ApproverGroups []string
}

// ExtensionRule says whether an active window may be extended and by how much in total.
type ExtensionRule struct {
	Allowed  bool
	MaxTotal time.Duration
}

// ExpiryRule limits the length of an assignment.
type ExpiryRule struct {
	MaxDuration    time.Duration // 0 = no limit
	AllowPermanent bool
}

// quorum is the number of distinct approvals an activation needs.
func (r ApprovalRule) quorum() int {
	if r.MinApprovals < 1 {
		return 1
	}
	return r.MinApprovals
}

// timeout is how long a request may wait for a decision.
func (r ApprovalRule) timeout() time.Duration {
	if r.Timeout <= 0 {
		return DefaultApprovalTimeout
	}
	return r.Timeout
}

// Role is a named privilege, optionally at a scope ("owner@billing-prod").
type Role struct {
	Name        string
	Description string
	Policy      Policy
	Notify      Routing
	Critical    bool // alerts watch its holders, standing access and policy; break-glass roles are critical
	// BreakGlass roles are for emergencies: the principals listed in
	// BreakGlassPrincipals activate them with a justification alone (no
	// approval, no MFA), which raises a High alert that an admin must
	// acknowledge.
	BreakGlass           bool
	BreakGlassPrincipals []string
}

// Routing names the channels (keys of the notification channel table) that
// receive a role's activation posts and approval requests.
type Routing struct {
	Channel          string // activation posts, decisions, expiries
	ApprovalsChannel string // approval requests with buttons, in addition to approver DMs
	DMApprovers      bool   // send approval requests to each approver's DM
}
