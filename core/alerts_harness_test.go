package core_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/elevate-pim/elevate/core"
	"github.com/elevate-pim/elevate/core/clocktest"
	"github.com/elevate-pim/elevate/store/redis/redistest"
)

func TestMain(m *testing.M) { redistest.Main(m) }

// onStores runs test on the memory store and on a real Redis, both
// telling time by the test's manual clock.
func onStores(t *testing.T, adjust func(cfg *core.Config), test func(t *testing.T, h *harness)) {
	t.Run("memory", func(t *testing.T) { test(t, newHarnessWith(t, adjust)) })
	t.Run("redis", func(t *testing.T) {
		test(t, newHarnessOn(t, clocktest.New(t0), redistest.NewStore(t), adjust))
	})
}

// withRule sets one alert kind's rule, as the config's `alerts:` section does.
func withRule(kind core.AlertKind, r core.AlertRule, also ...func(cfg *core.Config)) func(cfg *core.Config) {
	return func(cfg *core.Config) {
		if cfg.Alerts.Rules == nil {
			cfg.Alerts.Rules = map[core.AlertKind]core.AlertRule{}
		}
		r.Enabled = true
		cfg.Alerts.Rules[kind] = r
		for _, f := range also {
			f(cfg)
		}
	}
}

// critical marks roles critical.
func critical(roles ...string) func(cfg *core.Config) {
	return func(cfg *core.Config) {
		for _, r := range roles {
			cfg.Directory.Roles[r].Critical = true
		}
	}
}

func (h *harness) scan(t *testing.T) {
	t.Helper()
	if err := h.svc.Alerts().Scan(context.Background()); err != nil {
		t.Fatalf("scan: %v", err)
	}
}

// alertTrail returns the audited transitions of kind's alerts, like
// "alert_open a-xxxx", in order.
func (h *harness) alertTrail(t *testing.T, kind core.AlertKind) []string {
	t.Helper()
	events, _, err := core.ReadAudit(context.Background(), h.store, core.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range events {
		if strings.HasPrefix(e.Action, "alert_") && strings.HasPrefix(e.Reason, string(kind)+" ") {
			id := strings.Fields(e.Reason)[1]
			out = append(out, e.Action+" "+strings.TrimSuffix(id, ":"))
		}
	}
	return out
}

// wantTrail checks kind's audited alert transitions, all of the alert of scope.
func wantTrail(t *testing.T, h *harness, kind core.AlertKind, scope string, actions ...string) {
	t.Helper()
	id := core.AlertID(kind, scope)
	want := make([]string, len(actions))
	for i, a := range actions {
		want[i] = a + " " + id
	}
	if got := h.alertTrail(t, kind); !slices.Equal(got, want) {
		events, _, _ := core.ReadAudit(context.Background(), h.store, core.AuditFilter{})
		for _, e := range events {
			if strings.HasPrefix(e.Action, "alert_") {
				t.Logf("%s %s %s", e.Time.Format("15:04:05"), e.Action, e.Reason)
			}
		}
		t.Fatalf("%s transitions = %q, want %q", kind, got, want)
	}
}

// wantOpen checks that kind's alert of scope is open with severity and
// exactly the subjects given, and returns it.
func wantOpen(t *testing.T, h *harness, kind core.AlertKind, scope string, sev core.Severity, subjects ...string) core.Alert {
	t.Helper()
	a := h.alert(t, kind, scope)
	subjects = slices.Sorted(slices.Values(subjects))
	if a.Status != core.AlertOpen || a.Severity != sev || !slices.Equal(a.Subjects, subjects) {
		t.Fatalf("%s alert: status %s severity %s subjects %q; want open %s %q\n%+v", kind, a.Status, a.Severity, a.Subjects, sev, subjects, a)
	}
	return a
}

// noAlert checks that kind has never had an alert.
func noAlert(t *testing.T, h *harness, kind core.AlertKind) {
	t.Helper()
	if got := h.alertTrail(t, kind); len(got) != 0 {
		t.Fatalf("%s alerts: %q, want none", kind, got)
	}
}
