package core_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/elevate-pim/elevate/core"
)

// activateAndDrop activates role as p and ends it at once.
func activateAndDrop(t *testing.T, h *harness, p, role string) {
	t.Helper()
	r := h.mustRequest(t, as(p), core.ActivationInput{Role: role})
	if _, err := h.svc.Deactivate(context.Background(), as(p), r.ID); err != nil {
		t.Fatal(err)
	}
}

func TestAlertActivatedTooOften(t *testing.T) {
	rule := core.AlertRule{Severity: core.SeverityMedium, Threshold: 2, Period: 6 * time.Hour}
	onStores(t, withRule(core.AlertActivatedTooOften, rule), func(t *testing.T, h *harness) {
		activateAndDrop(t, h, "bob", "staging")
		activateAndDrop(t, h, "bob", "staging")
		h.advance(t, time.Minute) // the triggered check runs
		noAlert(t, h, core.AlertActivatedTooOften)

		activateAndDrop(t, h, "bob", "staging") // a third within 6h: more than 2
		h.advance(t, time.Minute)
		a := wantOpen(t, h, core.AlertActivatedTooOften, "", core.SeverityMedium, "bob/staging")
		if a.Report[0].Principal != "bob" || a.Report[0].Role != "staging" {
			t.Fatalf("report = %+v", a.Report)
		}
		activateAndDrop(t, h, "bob", "staging")
		activateAndDrop(t, h, "alice", "staging")
		h.advance(t, time.Minute)
		h.scan(t)
		wantOpen(t, h, core.AlertActivatedTooOften, "", core.SeverityMedium, "bob/staging")

		h.advance(t, 6*time.Hour) // the activations leave the period; the hourly scan sees it
		if a := h.alert(t, core.AlertActivatedTooOften, ""); a.Status != core.AlertResolved {
			t.Fatalf("status after the period = %s", a.Status)
		}
		wantTrail(t, h, core.AlertActivatedTooOften, "", "alert_open", "alert_update", "alert_resolve")
	})
}

func TestAlertUnusedEligibility(t *testing.T) {
	rule := core.AlertRule{Severity: core.SeverityMedium, Period: 10 * 24 * time.Hour}
	onStores(t, withRule(core.AlertUnusedEligibility, rule), func(t *testing.T, h *harness) {
		ctx := context.Background()
		// Only bob's and alice's staging eligibilities matter here.
		for _, r := range []string{"prod-db", "vault", "billing"} {
			if err := h.svc.Unassign(ctx, as("dana"), core.Eligible, "alice", r); err != nil {
				t.Fatal(err)
			}
		}
		h.advance(t, 10*24*time.Hour-time.Hour)
		h.scan(t)
		noAlert(t, h, core.AlertUnusedEligibility)
		activateAndDrop(t, h, "alice", "staging") // alice uses hers
		h.advance(t, time.Hour)
		a := wantOpen(t, h, core.AlertUnusedEligibility, "", core.SeverityMedium, "bob/staging")
		if a.Report[0].Command != "unassign bob staging eligible" || a.Report[0].Action != "Remove" {
			t.Fatalf("row = %+v, want a Remove action", a.Report[0])
		}
		h.advance(t, 10*24*time.Hour) // now alice's is idle too
		wantOpen(t, h, core.AlertUnusedEligibility, "", core.SeverityMedium, "alice/staging", "bob/staging")
		// The Remove action, then alice activates: the condition clears.
		if err := h.svc.Unassign(ctx, as("dana"), core.Eligible, "bob", "staging"); err != nil {
			t.Fatal(err)
		}
		h.advance(t, time.Minute)
		wantOpen(t, h, core.AlertUnusedEligibility, "", core.SeverityMedium, "alice/staging")
		activateAndDrop(t, h, "alice", "staging")
		h.advance(t, time.Minute)
		if a := h.alert(t, core.AlertUnusedEligibility, ""); a.Status != core.AlertResolved {
			t.Fatalf("status = %s", a.Status)
		}
		wantTrail(t, h, core.AlertUnusedEligibility, "", "alert_open", "alert_update", "alert_update", "alert_resolve")
	})
}

func TestAlertStandingAccess(t *testing.T) {
	rule := core.AlertRule{Severity: core.SeverityHigh, Period: 7 * 24 * time.Hour}
	onStores(t, withRule(core.AlertStandingAccess, rule, critical("vault")), func(t *testing.T, h *harness) {
		ctx := context.Background()
		mustAssign(t, h, core.Assignment{Kind: core.Active, Principal: "bob", Role: "vault", End: t0.Add(7 * 24 * time.Hour)}) // not longer than 7d
		mustAssign(t, h, core.Assignment{Kind: core.Active, Principal: "carol", Role: "staging", Start: t0, End: t0.Add(30 * 24 * time.Hour)})
		h.advance(t, time.Minute)
		noAlert(t, h, core.AlertStandingAccess)
		mustAssign(t, h, core.Assignment{Kind: core.Active, Principal: "carol", Role: "vault", End: t0.Add(7*24*time.Hour + time.Hour)})
		h.advance(t, time.Minute)
		a := wantOpen(t, h, core.AlertStandingAccess, "", core.SeverityHigh, "carol/vault")
		if a.Report[0].Action != "Convert" || a.Report[0].Command != "convert carol vault" {
			t.Fatalf("row = %+v, want a Convert action", a.Report[0])
		}
		mustAssign(t, h, core.Assignment{Kind: core.Active, Principal: "erin", Role: "vault", End: t0.Add(20 * 24 * time.Hour)})
		h.advance(t, time.Minute)
		wantOpen(t, h, core.AlertStandingAccess, "", core.SeverityHigh, "carol/vault", "erin/vault")
		for _, p := range []string{"carol", "erin"} {
			if _, err := h.svc.ConvertToEligible(ctx, as("dana"), p, "vault"); err != nil {
				t.Fatal(err)
			}
		}
		h.advance(t, time.Minute)
		wantTrail(t, h, core.AlertStandingAccess, "", "alert_open", "alert_update", "alert_resolve")
	})
}

func TestAlertTooManyHolders(t *testing.T) {
	// Six principals: 3 holders pass the count, but 50% < 60%; 4 (66%) pass both.
	rule := core.AlertRule{Severity: core.SeverityMedium, Threshold: 3, Percent: 60}
	onStores(t, withRule(core.AlertTooManyHolders, rule, critical("staging")), func(t *testing.T, h *harness) {
		ctx := context.Background()
		mustAssign(t, h, core.Assignment{Kind: core.Eligible, Principal: "carol", Role: "staging", Permanent: true})
		h.advance(t, time.Minute)
		noAlert(t, h, core.AlertTooManyHolders)
		mustAssign(t, h, core.Assignment{Kind: core.Eligible, Principal: "erin", Role: "staging", Permanent: true})
		h.advance(t, time.Minute)
		a := wantOpen(t, h, core.AlertTooManyHolders, "staging", core.SeverityMedium, "alice", "bob", "carol", "erin")
		for _, row := range a.Report {
			if row.Action != "Remove" || row.Command != "unassign "+row.Principal+" staging eligible" {
				t.Fatalf("row = %+v, want a Remove action per holder", row)
			}
		}
		h.mustRequest(t, as("bob"), core.ActivationInput{Role: "staging"}) // an activation is another row, same holders
		mustAssign(t, h, core.Assignment{Kind: core.Eligible, Principal: "mallory", Role: "staging", Permanent: true})
		h.advance(t, time.Minute)
		wantOpen(t, h, core.AlertTooManyHolders, "staging", core.SeverityMedium, "alice", "bob", "carol", "erin", "mallory")
		for _, p := range []string{"mallory", "erin"} {
			if err := h.svc.Unassign(ctx, as("dana"), core.Eligible, p, "staging"); err != nil {
				t.Fatal(err)
			}
		}
		h.advance(t, time.Minute)
		wantTrail(t, h, core.AlertTooManyHolders, "staging", "alert_open", "alert_update", "alert_resolve")
	})
}

func TestAlertRedundantAssignment(t *testing.T) {
	rule := core.AlertRule{Severity: core.SeverityMedium}
	onStores(t, withRule(core.AlertRedundantAssignment, rule), func(t *testing.T, h *harness) {
		ctx := context.Background()
		// Eligible alone, or active for a while, is not redundant.
		mustAssign(t, h, core.Assignment{Kind: core.Active, Principal: "alice", Role: "vault", End: t0.Add(time.Hour)})
		h.advance(t, time.Minute)
		noAlert(t, h, core.AlertRedundantAssignment)
		mustAssign(t, h, core.Assignment{Kind: core.Eligible, Principal: "dana", Role: "admin", Permanent: true})
		h.advance(t, time.Minute)
		a := wantOpen(t, h, core.AlertRedundantAssignment, "", core.SeverityMedium, "dana/admin")
		if a.Report[0].Command != "convert dana admin" {
			t.Fatalf("row = %+v", a.Report[0])
		}
		mustAssign(t, h, core.Assignment{Kind: core.Active, Principal: "erin", Role: "admin", Permanent: true})
		mustAssign(t, h, core.Assignment{Kind: core.Eligible, Principal: "erin", Role: "admin", Permanent: true})
		h.advance(t, time.Minute)
		wantOpen(t, h, core.AlertRedundantAssignment, "", core.SeverityMedium, "dana/admin", "erin/admin")
		if _, err := h.svc.ConvertToEligible(ctx, as("dana"), "erin", "admin"); err != nil {
			t.Fatal(err)
		}
		if err := h.svc.Unassign(ctx, as("dana"), core.Eligible, "dana", "admin"); err != nil {
			t.Fatal(err)
		}
		h.advance(t, time.Minute)
		wantTrail(t, h, core.AlertRedundantAssignment, "", "alert_open", "alert_update", "alert_resolve")
	})
}

func TestAlertNoMFAOrApproval(t *testing.T) {
	rule := core.AlertRule{Severity: core.SeverityMedium}
	onStores(t, withRule(core.AlertNoMFAOrApproval, rule, critical("prod-db", "billing")), func(t *testing.T, h *harness) {
		h.scan(t) // prod-db needs approval, billing MFA
		noAlert(t, h, core.AlertNoMFAOrApproval)
		h.dir.Roles["staging"].Critical = true
		h.scan(t)
		wantOpen(t, h, core.AlertNoMFAOrApproval, "", core.SeverityMedium, "staging")
		h.dir.Roles["billing"].Policy.RequireMFA = false
		h.scan(t)
		h.scan(t) // nothing new: no second update
		wantOpen(t, h, core.AlertNoMFAOrApproval, "", core.SeverityMedium, "billing", "staging")
		h.dir.Roles["billing"].Policy.RequireMFA = true
		h.dir.Roles["staging"].Policy.Approval = core.ApprovalRule{Required: true, Approvers: []string{"dana"}, MinApprovals: 1}
		h.scan(t)
		wantTrail(t, h, core.AlertNoMFAOrApproval, "", "alert_open", "alert_update", "alert_resolve")
	})
}

func TestAlertApprovalsStalled(t *testing.T) {
	// prod-db times out after 2h: at 75% a request stalls after 90m.
	rule := core.AlertRule{Severity: core.SeverityHigh, Percent: 75}
	onStores(t, withRule(core.AlertApprovalsStalled, rule), func(t *testing.T, h *harness) {
		ctx := context.Background()
		mustAssign(t, h, core.Assignment{Kind: core.Eligible, Principal: "erin", Role: "prod-db", Permanent: true})
		r := h.mustRequest(t, as("alice"), prodDB())
		h.advance(t, 10*time.Minute)
		e := h.mustRequest(t, as("erin"), prodDB())
		h.advance(t, 80*time.Minute)
		noAlert(t, h, core.AlertApprovalsStalled)
		h.advance(t, time.Second) // r's own check comes due
		wantOpen(t, h, core.AlertApprovalsStalled, "", core.SeverityHigh, r.ID)
		h.advance(t, 10*time.Minute)
		wantOpen(t, h, core.AlertApprovalsStalled, "", core.SeverityHigh, r.ID, e.ID)
		for _, id := range []string{r.ID, e.ID} {
			if _, err := h.svc.Approve(ctx, as("bob"), id); err != nil {
				t.Fatal(err)
			}
			h.advance(t, time.Second)
		}
		wantTrail(t, h, core.AlertApprovalsStalled, "", "alert_open", "alert_update", "alert_update", "alert_resolve")
	})
}

func TestAlertMFALocked(t *testing.T) {
	rule := core.AlertRule{Severity: core.SeverityHigh}
	onStores(t, withRule(core.AlertMFALocked, rule), func(t *testing.T, h *harness) {
		mustEnroll(t, h, "alice")
		wrong := func() error {
			_, err := h.svc.RequestActivation(context.Background(), as("alice"), core.ActivationInput{Role: "billing", Code: "000000"})
			return err
		}
		for range core.MFAMaxFailures - 1 {
			wantCode(t, wrong(), core.EFORBIDDEN)
		}
		noAlert(t, h, core.AlertMFALocked)
		wantCode(t, wrong(), core.ELOCKED)
		wantCode(t, wrong(), core.ELOCKED) // still locked: no second alert
		wantOpen(t, h, core.AlertMFALocked, "alice", core.SeverityHigh, "alice")
		h.advance(t, core.MFALockout)
		wantTrail(t, h, core.AlertMFALocked, "alice", "alert_open", "alert_resolve")
	})
}

func TestAlertDismissal(t *testing.T) {
	rule := core.AlertRule{Severity: core.SeverityLow, Period: 7 * 24 * time.Hour}
	dismissFor := func(cfg *core.Config) { cfg.Alerts.DismissFor = 10 * 24 * time.Hour }
	onStores(t, withRule(core.AlertStandingAccess, rule, critical("vault"), dismissFor), func(t *testing.T, h *harness) {
		ctx := context.Background()
		mustAssign(t, h, core.Assignment{Kind: core.Active, Principal: "bob", Role: "vault", End: t0.Add(60 * 24 * time.Hour)})
		h.advance(t, time.Minute)
		a := wantOpen(t, h, core.AlertStandingAccess, "", core.SeverityLow, "bob/vault")

		_, err := h.svc.Alerts().Dismiss(ctx, as("erin"), a.ID, "fine") // a reader sees, never acts
		wantCode(t, err, core.EFORBIDDEN)
		_, err = h.svc.Alerts().Dismiss(ctx, as("dana"), a.ID, "  ")
		wantCode(t, err, core.EINVALID)
		_, err = h.svc.Alerts().Dismiss(ctx, as("dana"), "a-nothere", "x")
		wantCode(t, err, core.ENOTFOUND)
		if list, err := h.svc.Alerts().List(ctx, as("erin")); err != nil || len(list) != 1 || list[0].ID != a.ID {
			t.Fatalf("reader's list = %+v, %v", list, err)
		}
		_, err = h.svc.Alerts().List(ctx, as("alice"))
		wantCode(t, err, core.EFORBIDDEN)

		d, err := h.svc.Alerts().Dismiss(ctx, as("dana"), a.ID, "bob runs the vault migration until January")
		if err != nil || d.Status != core.AlertDismissed || d.ClosedBy != "dana" {
			t.Fatalf("dismiss: %+v, %v", d, err)
		}
		_, err = h.svc.Alerts().Dismiss(ctx, as("dana"), a.ID, "again")
		wantCode(t, err, core.ECONFLICT)
		h.advance(t, 24*time.Hour) // hourly scans: the same subjects stay dismissed
		if got := h.alert(t, core.AlertStandingAccess, ""); got.Status != core.AlertDismissed {
			t.Fatalf("status after rescans = %s", got.Status)
		}
		if list, _ := h.svc.Alerts().List(ctx, as("dana")); len(list) != 0 {
			t.Fatalf("a dismissed alert is listed: %+v", list)
		}
		// A new subject reopens it.
		mustAssign(t, h, core.Assignment{Kind: core.Active, Principal: "carol", Role: "vault", End: t0.Add(60 * 24 * time.Hour)})
		h.advance(t, time.Minute)
		a = wantOpen(t, h, core.AlertStandingAccess, "", core.SeverityLow, "bob/vault", "carol/vault")
		// Dismissed again, it holds for dismiss_for (10d), then reopens.
		if _, err := h.svc.Alerts().Dismiss(ctx, as("dana"), a.ID, "both migrate"); err != nil {
			t.Fatal(err)
		}
		h.advance(t, 10*24*time.Hour-2*time.Hour)
		if got := h.alert(t, core.AlertStandingAccess, ""); got.Status != core.AlertDismissed {
			t.Fatalf("dismissal ended early: %s", got.Status)
		}
		h.advance(t, 3*time.Hour)
		wantOpen(t, h, core.AlertStandingAccess, "", core.SeverityLow, "bob/vault", "carol/vault")
		wantTrail(t, h, core.AlertStandingAccess, "", "alert_open", "alert_dismiss", "alert_reopen", "alert_dismiss", "alert_reopen")
		events, _, _ := core.ReadAudit(ctx, h.store, core.AuditFilter{})
		found := false
		for _, e := range events {
			found = found || (e.Action == "alert_dismiss" && e.Actor == "dana" && strings.Contains(e.Reason, "vault migration until January"))
		}
		if !found {
			t.Fatal("the dismissal and its reason are not audited")
		}
	})
}

func TestLastAdminKeptResolves(t *testing.T) {
	onStores(t, nil, func(t *testing.T, h *harness) {
		ctx := context.Background()
		mustAssign(t, h, core.Assignment{Kind: core.Active, Principal: "erin", Role: "admin", End: t0.Add(time.Hour)})
		if err := h.svc.Unassign(ctx, as("erin"), core.Active, "dana", "admin"); err != nil {
			t.Fatal(err)
		}
		h.advance(t, time.Hour)
		wantOpen(t, h, core.AlertLastAdminKept, "erin", core.SeverityHigh, "erin")
		if _, err := h.svc.Assign(ctx, as("erin"), core.Assignment{Kind: core.Active, Principal: "carol", Role: "admin", Permanent: true}); err != nil {
			t.Fatal(err)
		}
		h.advance(t, 24*time.Hour) // the kept assignment's next end: now it may go
		if holds(t, h, "erin", "admin") {
			t.Fatal("the kept assignment outlived the need")
		}
		wantTrail(t, h, core.AlertLastAdminKept, "erin", "alert_open", "alert_resolve")
	})
}

// listTarget is a target that lists its members by principal id.
type listTarget struct {
	mu      sync.Mutex
	members []string
}

func (l *listTarget) Name() string     { return "list:staging" }
func (l *listTarget) Platform() string { return "" }
func (l *listTarget) Grant(_ context.Context, g core.Grant) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !slices.Contains(l.members, g.Principal.ID) {
		l.members = append(l.members, g.Principal.ID)
	}
	return nil
}
func (l *listTarget) Revoke(_ context.Context, g core.Grant) error {
	return l.RemoveMember(context.Background(), g.Principal.ID)
}
func (l *listTarget) Members(context.Context) ([]string, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.members), nil
}
func (l *listTarget) RemoveMember(_ context.Context, id string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.members = slices.DeleteFunc(l.members, func(m string) bool { return m == id })
	return nil
}

func (l *listTarget) reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.members = nil
}

// wrapped decorates a target, as the metrics adapter does.
type wrapped struct{ core.Target }

func (w wrapped) Unwrap() core.Target { return w.Target }

// swappableTargets are roles' targets that a test replaces, as a config reload does.
type swappableTargets struct {
	mu sync.Mutex
	m  targetMap
}

func (s *swappableTargets) For(role string) []core.Target {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m[role]
}

func (s *swappableTargets) set(m targetMap) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m = m
}

func TestAlertOutsideElevate(t *testing.T) {
	rule := core.AlertRule{Severity: core.SeverityMedium}
	lt := &listTarget{}
	// The role's targets as the config builds them: the listing target
	// behind a decorating wrapper (as metrics wraps every target), swapped
	// out by a reload at the end.
	targets := &swappableTargets{m: targetMap{"staging": {wrapped{lt}}}}
	onStores(t, withRule(core.AlertOutsideElevate, rule, func(cfg *core.Config) { cfg.Targets = targets }), func(t *testing.T, h *harness) {
		ctx := context.Background()
		lt.reset()
		targets.set(targetMap{"staging": {wrapped{lt}}})
		h.mustRequest(t, as("bob"), core.ActivationInput{Role: "staging"})
		if m, _ := lt.Members(ctx); !slices.Equal(m, []string{"bob"}) { // granted by elevate
			t.Fatalf("members after bob's activation = %v", m)
		}
		h.scan(t)
		noAlert(t, h, core.AlertOutsideElevate)
		lt.Grant(ctx, core.Grant{Principal: core.Principal{ID: "mallory"}}) // by hand, outside elevate
		h.scan(t)
		a := wantOpen(t, h, core.AlertOutsideElevate, lt.Name(), core.SeverityMedium, "mallory")
		lt.Grant(ctx, core.Grant{Principal: core.Principal{ID: "U-unknown"}})
		h.scan(t)
		wantOpen(t, h, core.AlertOutsideElevate, lt.Name(), core.SeverityMedium, "U-unknown", "mallory")
		_, err := h.svc.Alerts().Remove(ctx, as("erin"), a.ID, "mallory")
		wantCode(t, err, core.EFORBIDDEN)
		_, err = h.svc.Alerts().Remove(ctx, as("dana"), a.ID, "bob") // not in the report
		wantCode(t, err, core.ENOTFOUND)
		if _, err := h.svc.Alerts().Remove(ctx, as("dana"), a.ID, "mallory"); err != nil {
			t.Fatal(err)
		}
		if got, err := h.svc.Alerts().Remove(ctx, as("dana"), a.ID, "U-unknown"); err != nil || got.Status != core.AlertResolved {
			t.Fatalf("after removing both: %+v, %v", got, err)
		}
		if m, _ := lt.Members(ctx); !slices.Equal(m, []string{"bob"}) {
			t.Fatalf("members = %v, want only bob", m)
		}
		wantTrail(t, h, core.AlertOutsideElevate, lt.Name(), "alert_open", "alert_update", "alert_update", "alert_resolve")
		if n := strings.Count(strings.Join(auditActions(t, h), "\n"), "remove_outside_member"); n != 2 {
			t.Fatalf("%d removals audited, want 2", n)
		}

		// A reload that drops the target stops watching it: its alert
		// resolves; one that brings it back watches it again.
		lt.Grant(ctx, core.Grant{Principal: core.Principal{ID: "mallory"}})
		h.scan(t)
		wantOpen(t, h, core.AlertOutsideElevate, lt.Name(), core.SeverityMedium, "mallory")
		targets.set(targetMap{})
		h.scan(t)
		if a := h.alert(t, core.AlertOutsideElevate, lt.Name()); a.Status != core.AlertResolved {
			t.Fatalf("after the target was dropped: %s", a.Status)
		}
		targets.set(targetMap{"staging": {lt}})
		h.scan(t)
		wantOpen(t, h, core.AlertOutsideElevate, lt.Name(), core.SeverityMedium, "mallory")
	})
}

// goneAccounts is a platform on which some accounts are deactivated.
type goneAccounts struct {
	mu   sync.Mutex
	gone map[string]bool
}

func (g *goneAccounts) Platform() string { return "console" }
func (g *goneAccounts) Deactivated(_ context.Context, id string) (bool, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.gone[id], nil
}
func (g *goneAccounts) set(id string, gone bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.gone[id] = gone
}

func TestAlertDeactivatedAccount(t *testing.T) {
	rule := core.AlertRule{Severity: core.SeverityMedium}
	onStores(t, withRule(core.AlertDeactivatedAccount, rule), func(t *testing.T, h *harness) {
		ctx := context.Background()
		ga := &goneAccounts{gone: map[string]bool{"mallory": true}} // holds nothing: no alert
		h.svc.Alerts().WatchAccounts(ga)
		h.scan(t)
		noAlert(t, h, core.AlertDeactivatedAccount)
		ga.set("bob", true)
		h.scan(t)
		a := wantOpen(t, h, core.AlertDeactivatedAccount, "", core.SeverityMedium, "bob")
		if a.Report[0].Action != "Remove all" {
			t.Fatalf("row = %+v", a.Report[0])
		}
		ga.set("alice", true)
		h.mustRequest(t, as("alice"), core.ActivationInput{Role: "staging"})
		h.scan(t)
		wantOpen(t, h, core.AlertDeactivatedAccount, "", core.SeverityMedium, "alice", "bob")
		if _, err := h.svc.Alerts().Remove(ctx, as("dana"), a.ID, "alice"); err != nil {
			t.Fatal(err)
		}
		if holds(t, h, "alice", "staging") || len(eligibilityOf(t, h, "alice")) != 0 {
			t.Fatal("Remove all left alice access")
		}
		ga.set("bob", false) // reactivated
		h.scan(t)
		wantTrail(t, h, core.AlertDeactivatedAccount, "", "alert_open", "alert_update", "alert_update", "alert_resolve")
	})
}

// eligibilityOf returns principal's assignments.
func eligibilityOf(t *testing.T, h *harness, principal string) []core.Assignment {
	t.Helper()
	all, err := h.store.AssignmentsByPrincipal(context.Background(), principal)
	if err != nil {
		t.Fatal(err)
	}
	return all
}
