package storetest

import (
	"reflect"
	"testing"
	"time"

	"github.com/elevate-pim/elevate/core"
)

func mustAlerts(t *testing.T, s core.Store) []core.Alert {
	t.Helper()
	as, err := s.Alerts(t.Context())
	if err != nil {
		t.Fatalf("Alerts: %v", err)
	}
	return as
}

func newAlert(kind core.AlertKind, scope string) *core.Alert {
	now := ms(time.Now().UTC())
	return &core.Alert{
		ID: core.AlertID(kind, scope), Kind: kind, Scope: scope, Severity: core.SeverityLow, Summary: "s",
		Subjects: []string{"alice/db"}, Report: []core.AlertRow{{Subject: "alice/db", Principal: "alice", Role: "db", Detail: "4 activations", Action: "Remove", Command: "unassign alice db"}},
		Status: core.AlertOpen, FirstSeen: now, LastSeen: now,
	}
}

// testAlerts checks alert writes: created once (Expect 0), updated by
// compare-and-set on the version, written atomically with the rest of a
// Change, and listed sorted by id with every field intact.
func testAlerts(t *testing.T, s core.Store) {
	a := newAlert(core.AlertActivatedTooOften, "")
	b := newAlert(core.AlertTooManyHolders, "db")
	mustApply(t, s, core.Change{Alerts: []core.AlertWrite{{Alert: a}, {Alert: b}}, Audit: []core.AuditEvent{newEvent("system", "alert_open", "")}})
	got := mustAlerts(t, s)
	if len(got) != 2 || got[0].ID > got[1].ID {
		t.Fatalf("Alerts = %+v, want two sorted by id", got)
	}
	for _, g := range got {
		want := a
		if g.ID == b.ID {
			want = b
		}
		w := *want.Clone()
		w.Version = 1
		if !reflect.DeepEqual(g, w) {
			t.Fatalf("stored alert\n%+v\nwant\n%+v", g, w)
		}
	}
	// A second creation of the same id conflicts; so does a stale version.
	mustFailApply(t, s, core.Change{Alerts: []core.AlertWrite{{Alert: a}}}, core.ECONFLICT)
	upd := a.Clone()
	upd.Status, upd.Closed = core.AlertResolved, ms(time.Now().UTC())
	mustApply(t, s, core.Change{Alerts: []core.AlertWrite{{Alert: upd, Expect: 1}}})
	mustFailApply(t, s, core.Change{Alerts: []core.AlertWrite{{Alert: upd, Expect: 1}}}, core.ECONFLICT)
	// Atomic: a failing expectation elsewhere writes no alert.
	c := newAlert(core.AlertStandingAccess, "")
	mustFailApply(t, s, core.Change{Alerts: []core.AlertWrite{{Alert: c}}, Requests: []core.RequestWrite{{Request: newRequest("r-1", "alice", "db"), Expect: 5}}}, core.ECONFLICT)
	got = mustAlerts(t, s)
	if len(got) != 2 {
		t.Fatalf("a failed change wrote an alert: %+v", got)
	}
	for _, g := range got {
		if g.ID == a.ID && (g.Status != core.AlertResolved || g.Version != 2) {
			t.Fatalf("updated alert = %+v, want resolved at version 2", g)
		}
	}
	mustFailApply(t, s, core.Change{Alerts: []core.AlertWrite{{Alert: &core.Alert{}}}}, core.EINVALID)
	mustFailApply(t, s, core.Change{Alerts: []core.AlertWrite{{Alert: c}, {Alert: c}}}, core.EINVALID)
}
