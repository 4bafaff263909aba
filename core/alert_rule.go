package core

import "time"

// AlertRule tunes one alert kind. Each kind reads only the thresholds its
// description names; config validation refuses the others.
type AlertRule struct {
	Enabled   bool
	Severity  Severity
	Threshold int           // a count: activations (activated_too_often), holders (too_many_holders)
	Percent   int           // a share: of all principals (too_many_holders), of the approval timeout (approvals_stalled)
	Period    time.Duration // a length: the counting period, the idle time, the standing length
	Channel   string        // channel key for its posts; "" = the alerts channel
}

// AlertSettings configure the alert engine. Kinds missing from Rules
// keep their defaults (DefaultAlertRules).
type AlertSettings struct {
	Rules      map[AlertKind]AlertRule
	DismissFor time.Duration // how long a dismissal holds when the subjects stay the same; default 30 days
	ScanEvery  time.Duration // the scheduled scan's period; default one hour
	AnchorFile string        // audit anchors are appended here when set
}

// Alert engine defaults.
const (
	DefaultDismissFor = 30 * 24 * time.Hour
	DefaultScanEvery  = time.Hour
	day               = 24 * time.Hour
)

// AlertInfo describes a built-in kind: its one-line description for
// `help alerts`, its defaults, and which thresholds it reads.
type AlertInfo struct {
	Kind        AlertKind
	Description string
	Default     AlertRule
	Uses        []string // the threshold names it reads: "threshold", "percent", "period"
	// Scanned kinds are conditions the scan re-evaluates in full: an open
	// alert the scan no longer finds is resolved. The others are incidents,
	// raised where they happen and resolved where they clear.
	Scanned bool
}

// AlertKinds lists every built-in kind, in the order help shows them.
var AlertKinds = []AlertInfo{
	{AlertActivatedTooOften, "a principal activated the same role more than `threshold` times within `period`", AlertRule{Enabled: true, Severity: SeverityLow, Threshold: 3, Period: day}, []string{"threshold", "period"}, true},
	{AlertUnusedEligibility, "eligible for a role and not activated in `period`: candidates for removal (Remove)", AlertRule{Enabled: true, Severity: SeverityLow, Period: 30 * day}, []string{"period"}, true},
	{AlertStandingAccess, "a permanent or long (over `period`) active assignment of a critical role (Convert to eligible)", AlertRule{Enabled: true, Severity: SeverityMedium, Period: 30 * day}, []string{"period"}, true},
	{AlertTooManyHolders, "a critical role can be held (active + eligible) by at least `threshold` principals and at least `percent`% of all (Remove)", AlertRule{Enabled: true, Severity: SeverityLow, Threshold: 3, Percent: 10}, []string{"threshold", "percent"}, true},
	{AlertRedundantAssignment, "a principal is both eligible for and permanently active in the same role (Convert)", AlertRule{Enabled: true, Severity: SeverityLow}, nil, true},
	{AlertNoMFAOrApproval, "a critical role whose policy requires neither MFA nor approval", AlertRule{Enabled: true, Severity: SeverityLow}, nil, true},
	{AlertOutsideElevate, "a target that lists its members has a member elevate did not grant (Remove)", AlertRule{Enabled: true, Severity: SeverityHigh}, nil, true},
	{AlertDeactivatedAccount, "a principal who holds or is eligible for a role has a deactivated chat account (Remove all)", AlertRule{Enabled: true, Severity: SeverityHigh}, nil, true},
	{AlertApprovalsStalled, "a request has waited more than `percent`% of its approval timeout without a decision", AlertRule{Enabled: true, Severity: SeverityMedium, Percent: 50}, []string{"percent"}, true},
	{AlertRevokeFailing, "revoking an ended window at a target keeps failing; resolves once it succeeds", AlertRule{Enabled: true, Severity: SeverityHigh}, nil, false},
	{AlertMFALocked, "a principal's MFA locked after repeated wrong codes; resolves when the lock ends", AlertRule{Enabled: true, Severity: SeverityMedium}, nil, false},
	{AlertLastAdminKept, "the last admin's assignment reached its end and was kept so that someone can administer", AlertRule{Enabled: true, Severity: SeverityHigh}, nil, false},
	{AlertGrantCompensation, "a failed grant could not be rolled back: a target may hold access elevate does not know of", AlertRule{Enabled: true, Severity: SeverityHigh}, nil, false},
	{AlertExtendFailed, "a target was not told of an extended window and may end access at the old end", AlertRule{Enabled: true, Severity: SeverityMedium}, nil, false},
	{AlertBreakGlassUsed, "a break-glass role was activated; an admin must Acknowledge or Revoke now", AlertRule{Enabled: true, Severity: SeverityHigh}, nil, false},
}

// AlertInfoOf returns the description of kind.
func AlertInfoOf(kind AlertKind) (AlertInfo, bool) {
	for _, k := range AlertKinds {
		if k.Kind == kind {
			return k, true
		}
	}
	return AlertInfo{}, false
}

// withDefaults fills what s leaves out.
func (s AlertSettings) withDefaults() AlertSettings {
	rules := make(map[AlertKind]AlertRule, len(AlertKinds))
	for _, k := range AlertKinds {
		rules[k.Kind] = k.Default
	}
	for k, r := range s.Rules {
		rules[k] = r
	}
	s.Rules = rules
	if s.DismissFor <= 0 {
		s.DismissFor = DefaultDismissFor
	}
	if s.ScanEvery <= 0 {
		s.ScanEvery = DefaultScanEvery
	}
	return s
}
