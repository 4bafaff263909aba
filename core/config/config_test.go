package config_test

import (
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/elevate-pim/elevate/core"
	"github.com/elevate-pim/elevate/core/config"
)

// mustLoad loads a file that must be valid.
func mustLoad(t *testing.T, path string) *config.Config {
	t.Helper()
	cfg, err := config.Load(path, time.Now())
	if err != nil {
		t.Fatalf("Load(%s): %v", path, err)
	}
	return cfg
}

// mustRole returns a role that must exist.
func mustRole(t *testing.T, cfg *config.Config, name string) *core.Role {
	t.Helper()
	r, err := cfg.Directory.Role(name)
	if err != nil {
		t.Fatalf("role %s: %v", name, err)
	}
	return r
}

func TestLoadGoodFile(t *testing.T) {
	cfg := mustLoad(t, "testdata/good.yaml")
	dir := cfg.Directory

	if dir.AdminRole != "elevate-admin" || dir.ReaderRole != "auditor" {
		t.Errorf("admin/reader = %q/%q", dir.AdminRole, dir.ReaderRole)
	}
	if got := cfg.Location.String(); got != "Europe/Berlin" {
		t.Errorf("Location = %s", got)
	}
	if got := dir.RoleNames(); len(got) != 4 {
		t.Errorf("RoleNames = %v", got)
	}

	// Principals: names and console ids default to the id; platform ids map back.
	alice, err := dir.PrincipalFor(core.PlatformDiscord, "100000000000000001")
	if err != nil || alice.ID != "alice" || alice.Name != "Alice Ng" || alice.Email != "alice@example.com" {
		t.Errorf("PrincipalFor(discord) = %+v, %v", alice, err)
	}
	if p, err := dir.PrincipalFor(core.PlatformConsole, "bobby"); err != nil || p.ID != "bob" {
		t.Errorf("explicit console id: %+v, %v", p, err)
	}
	carol, _ := dir.Principal("carol")
	if carol.Name != "carol" || carol.IDs[core.PlatformConsole] != "carol" || carol.IDs[core.PlatformSlack] != "U0CAROL" {
		t.Errorf("carol defaults = %+v", carol)
	}
	g := dir.Groups["dba-leads"]
	if g == nil || len(g.Members) != 2 || g.Platform[core.PlatformSlack] != "S0DBA" || g.Platform[core.PlatformDiscord] != "200000000000000001" {
		t.Errorf("group = %+v", g)
	}

	// A role with every setting given.
	db := mustRole(t, cfg, "prod-db")
	p := db.Policy
	if !db.Critical || db.Description != "Production database superuser" {
		t.Errorf("prod-db role = %+v", db)
	}
	if p.MaxDuration != 4*time.Hour || p.DefaultDuration != 90*time.Minute || p.MaxLeadTime != 24*time.Hour {
		t.Errorf("durations = %v %v %v", p.MaxDuration, p.DefaultDuration, p.MaxLeadTime)
	}
	if !p.RequireJustification || p.JustificationMinLen != 10 || !p.RequireTicket || !p.RequireMFA {
		t.Errorf("requirements = %+v", p)
	}
	if p.TicketPattern == nil || !p.TicketPattern.MatchString("INC-4411") || p.TicketPattern.MatchString("x INC-4411") {
		t.Errorf("TicketPattern = %v", p.TicketPattern)
	}
	a := p.Approval
	if !a.Required || a.MinApprovals != 2 || a.Timeout != 12*time.Hour {
		t.Errorf("approval = %+v", a)
	}
	if len(a.Approvers) != 1 || a.Approvers[0] != "alice" || len(a.ApproverGroups) != 1 || a.ApproverGroups[0] != "dba-leads" {
		t.Errorf("approvers split = %v / %v", a.Approvers, a.ApproverGroups)
	}
	if a.Escalation.After != 2*time.Hour || len(a.Escalation.Approvers) != 1 || a.Escalation.Approvers[0] != "dana" {
		t.Errorf("escalation = %+v", a.Escalation)
	}
	if got := dir.Approvers(db, false, "bob"); len(got) != 2 || got[0] != "alice" || got[1] != "carol" {
		t.Errorf("Approvers(prod-db) for bob = %v", got)
	}
	if !p.Extension.Allowed || p.Extension.MaxTotal != 2*time.Hour {
		t.Errorf("extension = %+v", p.Extension)
	}
	if p.Eligibility != (core.ExpiryRule{MaxDuration: 365 * 24 * time.Hour, AllowPermanent: true}) {
		t.Errorf("eligibility = %+v", p.Eligibility)
	}
	if p.Assignment != (core.ExpiryRule{MaxDuration: 30 * 24 * time.Hour, AllowPermanent: false}) {
		t.Errorf("assignment = %+v", p.Assignment)
	}
	if db.Notify != (core.Routing{Channel: "security", ApprovalsChannel: "approvals", DMApprovers: false}) {
		t.Errorf("notify = %+v", db.Notify)
	}

	// A role with nearly everything left to defaults.
	st := mustRole(t, cfg, "staging").Policy
	if st.MaxDuration != 30*time.Minute || st.DefaultDuration != 30*time.Minute || st.MaxLeadTime != 0 {
		t.Errorf("staging durations = %v %v %v", st.MaxDuration, st.DefaultDuration, st.MaxLeadTime)
	}
	if st.Approval.Required || st.Approval.MinApprovals != 1 || st.Approval.Timeout != core.DefaultApprovalTimeout || st.TicketPattern != nil {
		t.Errorf("staging approval defaults = %+v", st.Approval)
	}
	if st.Eligibility.AllowPermanent || st.Assignment.AllowPermanent || st.Eligibility.MaxDuration != 0 {
		t.Errorf("staging expiry = %+v %+v", st.Eligibility, st.Assignment)
	}
	adm := mustRole(t, cfg, "elevate-admin")
	if adm.Policy.MaxDuration != 2*time.Hour || adm.Policy.DefaultDuration != time.Hour {
		t.Errorf("2 hours / default min(1h, max): %v %v", adm.Policy.MaxDuration, adm.Policy.DefaultDuration)
	}
	if !adm.Policy.Eligibility.AllowPermanent || !adm.Policy.Assignment.AllowPermanent {
		t.Errorf("admin expiry = %+v %+v", adm.Policy.Eligibility, adm.Policy.Assignment)
	}
	if adm.Notify != (core.Routing{Channel: "security", DMApprovers: true}) {
		t.Errorf("notify defaults = %+v", adm.Notify)
	}

	// Channels and notification defaults.
	if cfg.Destination("security", core.PlatformSlack) != "C0SEC" || cfg.Destination("approvals", core.PlatformConsole) != "#approvals" {
		t.Errorf("Channels = %v", cfg.Channels)
	}
	if _, ok := cfg.Channels["approvals"][core.PlatformSlack]; ok {
		t.Errorf("approvals has no slack destination: %v", cfg.Channels["approvals"])
	}
	if cfg.Channel != "security" || cfg.AlertsChannel != "security" {
		t.Errorf("Channel/AlertsChannel = %q/%q", cfg.Channel, cfg.AlertsChannel)
	}

	// Assignments, in file order, with times parsed.
	berlin, _ := time.LoadLocation("Europe/Berlin")
	want := []core.Assignment{
		{Kind: core.Eligible, Principal: "alice", Role: "prod-db", Permanent: true, Source: "config"},
		{Kind: core.Active, Principal: "dana", Role: "elevate-admin", Permanent: true, Source: "config"},
		{Kind: core.Eligible, Principal: "alice", Role: "staging", Source: "config",
			Start: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 7, 1, 0, 0, 0, 0, berlin)},
		{Kind: core.Active, Principal: "bob", Role: "auditor", Source: "config",
			Start: time.Date(2026, 3, 1, 0, 0, 0, 0, berlin), End: time.Date(2026, 3, 15, 17, 0, 0, 0, time.UTC)},
	}
	if len(cfg.Assignments) != len(want) {
		t.Fatalf("Assignments = %+v", cfg.Assignments)
	}
	for i, w := range want {
		g := cfg.Assignments[i]
		if g.Key() != w.Key() || g.Permanent != w.Permanent || g.Source != w.Source || !g.Start.Equal(w.Start) || !g.End.Equal(w.End) {
			t.Errorf("Assignments[%d] = %+v, want %+v", i, g, w)
		}
	}

	// MFA and store: secrets are references, resolved later.
	if !cfg.RequiresMFA() || cfg.MFA.Issuer != "elevate-test" {
		t.Errorf("MFA = %+v, RequiresMFA = %v", cfg.MFA, cfg.RequiresMFA())
	}
	if cfg.MFA.EncryptionKey != (config.Secret{Env: "ELEVATE_ENCRYPTION_KEY"}) {
		t.Errorf("EncryptionKey = %+v", cfg.MFA.EncryptionKey)
	}
	if cfg.Store.RedisURL != (config.Secret{File: filepath.Join("testdata", "secrets", "redis-url")}) {
		t.Errorf("RedisURL = %+v (relative _file paths are relative to the config file)", cfg.Store.RedisURL)
	}
	if cfg.File != "testdata/good.yaml" {
		t.Errorf("File = %q", cfg.File)
	}
}

func TestDefaults(t *testing.T) {
	cfg, err := config.Parse("min.yaml", []byte(`
admin_role: admin
principals: {dana: {}}
roles:
  admin:
    activation: {max_duration: 30m}
    assignment: {allow_permanent: true}
  ops:
    activation: {max_duration: 8h, max_lead_time: 0h}
    extension: {allowed: true}
assignments:
  - {principal: dana, role: admin, type: active, permanent: true}
`), time.Now())

	if err != nil {
		t.Fatal(err)
	}
	if cfg.Location != time.UTC || cfg.MFA.Issuer != "elevate" || cfg.MFA.EncryptionKey.IsSet() || cfg.Store.RedisURL.IsSet() {
		t.Errorf("top-level defaults: %v %+v %+v", cfg.Location, cfg.MFA, cfg.Store)
	}
	if cfg.RequiresMFA() || cfg.Channel != "" || cfg.AlertsChannel != "" {
		t.Errorf("RequiresMFA = %v, channels %q %q", cfg.RequiresMFA(), cfg.Channel, cfg.AlertsChannel)
	}
	admin := mustRole(t, cfg, "admin").Policy
	if admin.DefaultDuration != 30*time.Minute {
		t.Errorf("default duration is min(1h, max): %v", admin.DefaultDuration)
	}
	ops := mustRole(t, cfg, "ops").Policy
	if ops.DefaultDuration != time.Hour || ops.Extension.MaxTotal != 8*time.Hour || ops.MaxLeadTime != 0 {
		t.Errorf("ops defaults: default %v, extension %+v", ops.DefaultDuration, ops.Extension)
	}
	if len(cfg.Directory.Groups) != 0 || cfg.Directory.ReaderRole != "" {
		t.Errorf("directory = %+v", cfg.Directory)
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := config.Load(filepath.Join(t.TempDir(), "nope.yaml"), time.Now())
	var ps config.Problems
	if err == nil || errors.As(err, &ps) {
		t.Fatalf("Load(missing) = %v, want a plain I/O error", err)
	}
}
