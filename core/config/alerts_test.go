package config_test

import (
	"strings"
	"testing"
	"time"

	"github.com/elevate-pim/elevate/core"
	"github.com/elevate-pim/elevate/core/config"
)

func TestAlertsDefaultsAndOverrides(t *testing.T) {
	cfg, err := config.Parse("t.yaml", []byte(base), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	for _, info := range core.AlertKinds {
		if got := cfg.Alerts.Rules[info.Kind]; got != info.Default {
			t.Fatalf("%s without settings = %+v, want the default %+v", info.Kind, got, info.Default)
		}
	}
	doc := with("top", `alerts:
  dismiss_for: 7d
  scan_every: 30m
  activated_too_often: {severity: medium, threshold: 5, period: 12h, channel: sec}
  too_many_holders: {threshold: 4, percent: 25}
  no_mfa_or_approval: {enabled: false}
audit:
  anchor_file: /var/lib/elevate/anchors.txt`)
	cfg, err = config.Parse("t.yaml", []byte(doc), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	a := cfg.Alerts
	if a.DismissFor != 7*24*time.Hour || a.ScanEvery != 30*time.Minute || a.AnchorFile != "/var/lib/elevate/anchors.txt" {
		t.Fatalf("settings = %+v", a)
	}
	want := core.AlertRule{Enabled: true, Severity: core.SeverityMedium, Threshold: 5, Period: 12 * time.Hour, Channel: "sec"}
	if got := a.Rules[core.AlertActivatedTooOften]; got != want {
		t.Fatalf("activated_too_often = %+v, want %+v", got, want)
	}
	if got := a.Rules[core.AlertTooManyHolders]; got.Threshold != 4 || got.Percent != 25 || got.Severity != core.SeverityLow || !got.Enabled {
		t.Fatalf("too_many_holders = %+v", got)
	}
	if a.Rules[core.AlertNoMFAOrApproval].Enabled {
		t.Fatal("no_mfa_or_approval stayed enabled")
	}
}

func TestAlertsProblems(t *testing.T) {
	tests := []struct {
		name, doc, field, msg string
	}{
		{"unknown kind", with("top", "alerts:\n  too_often: {} #<"), "alerts.too_often", "unknown key"},
		{"bad severity", with("top", "alerts:\n  standing_access: {severity: critical} #<"), "alerts.standing_access.severity", `want low, medium or high, got "critical"`},
		{"threshold a kind does not read", with("top", "alerts:\n  standing_access: {threshold: 3} #<"), "alerts.standing_access.threshold", "standing_access has no threshold setting (it reads: enabled, severity, channel and period)"},
		{"percent out of range", with("top", "alerts:\n  too_many_holders: {percent: 150} #<"), "alerts.too_many_holders.percent", "between 1 and 100"},
		{"zero threshold", with("top", "alerts:\n  activated_too_often: {threshold: 0} #<"), "alerts.activated_too_often.threshold", "at least 1"},
		{"bad period", with("top", "alerts:\n  unused_eligibility: {period: soon} #<"), "alerts.unused_eligibility.period", ""},
		{"unknown channel", with("top", "alerts:\n  break_glass_used: {channel: nope} #<"), "alerts.break_glass_used.channel", `unknown channel "nope"`},
		{"bad dismiss_for", with("top", "alerts:\n  dismiss_for: forever #<"), "alerts.dismiss_for", ""},
		{"break glass without principals", with("roles", "  bg: #<\n    break_glass: true\n    activation: {max_duration: 1h}"), "roles.bg.break_glass_principals", "required with break_glass: true"},
		{"break glass unknown principal", with("roles", "  bg:\n    break_glass: true\n    break_glass_principals: [zed] #<\n    activation: {max_duration: 1h}"), "roles.bg.break_glass_principals[0]", `unknown principal "zed"`},
		{"break glass with approval", with("roles", "  bg:\n    break_glass: true #<\n    break_glass_principals: [dana]\n    activation: {max_duration: 1h}\n    approval: {required: true, approvers: [dana]}"), "roles.bg.break_glass", "needs neither approval nor MFA"},
		{"principals without break glass", with("roles", "  bg:\n    break_glass_principals: [dana] #<\n    activation: {max_duration: 1h}"), "roles.bg.break_glass_principals", "only a role with break_glass: true"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps := mustProblems(t, tt.doc)
			line := markedLine(t, tt.doc)
			for _, p := range ps {
				if p.Field == tt.field && p.Line == line && strings.Contains(p.Msg, tt.msg) {
					return
				}
			}
			t.Fatalf("no problem %s at line %d containing %q; got:\n%v", tt.field, line, tt.msg, ps)
		})
	}
}

func TestBreakGlassRole(t *testing.T) {
	doc := with("principals", "  bob: {}", "roles", "  bg:\n    break_glass: true\n    break_glass_principals: [bob]\n    activation: {max_duration: 1h, justification: {required: true}}")
	cfg, err := config.Parse("t.yaml", []byte(doc), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	r := cfg.Directory.Roles["bg"]
	if !r.BreakGlass || !r.Critical || len(r.BreakGlassPrincipals) != 1 || r.BreakGlassPrincipals[0] != "bob" {
		t.Fatalf("role = %+v", r)
	}
}
