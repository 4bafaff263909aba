package config

import (
	"slices"

	"github.com/elevate-pim/elevate/core"
)

// alertSpecs pairs each built-in kind with its entry under alerts:.
func alertSpecs(s *alertsSpec) map[core.AlertKind]*alertRuleSpec {
	return map[core.AlertKind]*alertRuleSpec{
		core.AlertActivatedTooOften: s.ActivatedTooOften, core.AlertUnusedEligibility: s.UnusedEligibility,
		core.AlertStandingAccess: s.StandingAccess, core.AlertTooManyHolders: s.TooManyHolders,
		core.AlertRedundantAssignment: s.RedundantAssignment, core.AlertNoMFAOrApproval: s.NoMFAOrApproval,
		core.AlertOutsideElevate: s.OutsideElevate, core.AlertDeactivatedAccount: s.DeactivatedAccount,
		core.AlertApprovalsStalled: s.ApprovalsStalled, core.AlertRevokeFailing: s.RevokeFailing,
		core.AlertMFALocked: s.MFALocked, core.AlertLastAdminKept: s.LastAdminKept,
		core.AlertGrantCompensation: s.GrantCompensation, core.AlertBreakGlassUsed: s.BreakGlassUsed,
	}
}

// alerts builds the alert settings: each kind's defaults, overridden by
// what its entry says, and refuses thresholds a kind does not read.
func (l *loader) alerts(spec *fileFormat, channels map[string]map[string]string) core.AlertSettings {
	out := core.AlertSettings{Rules: map[core.AlertKind]core.AlertRule{}, AnchorFile: spec.Audit.AnchorFile}
	out.DismissFor, _ = l.duration("alerts.dismiss_for", spec.Alerts.DismissFor, false)
	out.ScanEvery, _ = l.duration("alerts.scan_every", spec.Alerts.ScanEvery, false)
	specs := alertSpecs(&spec.Alerts)
	for _, info := range core.AlertKinds {
		s, path := specs[info.Kind], "alerts."+string(info.Kind)
		r := info.Default
		if s == nil {
			out.Rules[info.Kind] = r
			continue
		}
		if s.Enabled != nil {
			r.Enabled = *s.Enabled
		}
		switch s.Severity {
		case "":
		case string(core.SeverityLow), string(core.SeverityMedium), string(core.SeverityHigh):
			r.Severity = core.Severity(s.Severity)
		default:
			l.problem(path+".severity", "want low, medium or high, got %s", quote(s.Severity))
		}
		uses := func(name string, given bool) bool {
			if given && !slices.Contains(info.Uses, name) {
				l.problem(path+"."+name, "%s has no %s setting (it reads: %s)", info.Kind, name, usesList(info.Uses))
				return false
			}
			return given
		}
		if uses("threshold", s.Threshold != nil) {
			if r.Threshold = *s.Threshold; r.Threshold < 1 {
				l.problem(path+".threshold", "must be at least 1, got %d", r.Threshold)
			}
		}
		if uses("percent", s.Percent != nil) {
			if r.Percent = *s.Percent; r.Percent < 1 || r.Percent > 100 {
				l.problem(path+".percent", "must be between 1 and 100, got %d", r.Percent)
			}
		}
		if uses("period", s.Period != "") {
			r.Period, _ = l.duration(path+".period", s.Period, false)
		}
		l.checkChannel(path+".channel", s.Channel, channels)
		r.Channel = s.Channel
		out.Rules[info.Kind] = r
	}
	return out
}

func usesList(uses []string) string {
	if len(uses) == 0 {
		return "enabled, severity and channel only"
	}
	return "enabled, severity, channel and " + joinAnd(uses)
}

func joinAnd(s []string) string {
	switch len(s) {
	case 1:
		return s[0]
	case 2:
		return s[0] + " and " + s[1]
	}
	return s[0] + ", " + joinAnd(s[1:])
}
