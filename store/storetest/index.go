package storetest

import (
	"testing"
	"time"

	"github.com/elevate-pim/elevate/core"
)

// testAssignmentIndexes checks that assignments are listed by principal and
// by role exactly, and that puts, replacements and deletes keep both lists
// in step with the assignments themselves.
func testAssignmentIndexes(t *testing.T, s core.Store) {
	put := []core.Assignment{
		newAssignment(core.Eligible, "alice", "prod-db"),
		newAssignment(core.Active, "alice", "billing"),
		newAssignment(core.Eligible, "bob", "prod-db"),
		newAssignment(core.Active, "bob", "prod-db"),
		newAssignment(core.Eligible, "carol", "billing"),
	}
	mustApply(t, s, core.Change{PutAssignments: put})
	byPrincipal := func(p string) []string {
		t.Helper()
		as, err := s.AssignmentsByPrincipal(t.Context(), p)
		if err != nil {
			t.Fatalf("AssignmentsByPrincipal(%q): %v", p, err)
		}
		return keysOf(as)
	}
	byRole := func(r string) []string {
		t.Helper()
		as, _, err := s.AssignmentsByRole(t.Context(), r)
		if err != nil {
			t.Fatalf("AssignmentsByRole(%q): %v", r, err)
		}
		return keysOf(as)
	}
	wantStrings(t, "alice's", byPrincipal("alice"), []string{"active/alice/billing", "eligible/alice/prod-db"})
	wantStrings(t, "bob's", byPrincipal("bob"), []string{"active/bob/prod-db", "eligible/bob/prod-db"})
	wantStrings(t, "dave's", byPrincipal("dave"), []string{})
	wantStrings(t, "prod-db's", byRole("prod-db"), []string{"active/bob/prod-db", "eligible/alice/prod-db", "eligible/bob/prod-db"})
	wantStrings(t, "billing's", byRole("billing"), []string{"active/alice/billing", "eligible/carol/billing"})
	wantStrings(t, "unknown role's", byRole("nope"), []string{})

	// A replacement is listed once, with its new content.
	again := put[0]
	again.End = again.End.Add(time.Hour)
	mustApply(t, s, core.Change{PutAssignments: []core.Assignment{again}})
	got, _ := mustAssignments(t, s)
	wantAssignment(t, got[2], again)
	wantStrings(t, "alice's after a replacement", byPrincipal("alice"), []string{"active/alice/billing", "eligible/alice/prod-db"})

	// A delete leaves both lists; deleting what is not there is harmless.
	mustApply(t, s, core.Change{DeleteAssignments: []string{put[3].Key(), put[4].Key(), "eligible/nobody/nothing"}})
	wantStrings(t, "bob's after a delete", byPrincipal("bob"), []string{"eligible/bob/prod-db"})
	wantStrings(t, "carol's after a delete", byPrincipal("carol"), []string{})
	wantStrings(t, "prod-db's after a delete", byRole("prod-db"), []string{"eligible/alice/prod-db", "eligible/bob/prod-db"})
	wantStrings(t, "billing's after a delete", byRole("billing"), []string{"active/alice/billing"})

	// By key: in the order asked, missing keys skipped.
	as, rev, err := s.AssignmentsByKey(t.Context(), put[2].Key(), "active/nobody/nothing", put[0].Key())
	if err != nil {
		t.Fatalf("AssignmentsByKey: %v", err)
	}
	wantStrings(t, "by key", keysOf(as), []string{put[2].Key(), put[0].Key()})
	if rev != mustHoldersRev(t, s) {
		t.Fatalf("AssignmentsByKey revision %d, want %d", rev, mustHoldersRev(t, s))
	}
	if as, _, err := s.AssignmentsByKey(t.Context()); err != nil || len(as) != 0 {
		t.Fatalf("AssignmentsByKey() = %+v, %v; want none", as, err)
	}
}

// testRequestIndexes checks that open requests are listed by principal and
// requests pending approval by role, and that every transition moves them
// in or out of those lists.
func testRequestIndexes(t *testing.T, s core.Store) {
	base := time.Now().Add(-time.Hour)
	mk := func(id, principal, role string, state core.State, age time.Duration) *core.Request {
		r := newRequest(id, principal, role)
		r.State, r.CreatedAt = state, base.Add(age)
		return r
	}
	rs := mustCreate(t, s,
		mk("a1", "alice", "prod-db", core.PendingApproval, 2*time.Second),
		mk("a2", "alice", "vault", core.StateActive, 1*time.Second),
		mk("b1", "bob", "prod-db", core.PendingApproval, 3*time.Second),
		mk("b2", "bob", "vault", core.PendingApproval, 0),
		mk("c1", "carol", "prod-db", core.Denied, 0),
		mk("c2", "carol", "billing", core.PendingMFA, 0),
	)
	ids := func(rs []*core.Request, err error) []string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		out := []string{}
		for _, r := range rs {
			out = append(out, r.ID)
		}
		return out
	}
	wantStrings(t, "alice's open", ids(s.OpenRequestsOf(t.Context(), "alice")), []string{"a2", "a1"})
	wantStrings(t, "carol's open", ids(s.OpenRequestsOf(t.Context(), "carol")), []string{"c2"})
	wantStrings(t, "dave's open", ids(s.OpenRequestsOf(t.Context(), "dave")), []string{})
	wantStrings(t, "awaiting prod-db", ids(s.AwaitingApproval(t.Context(), "prod-db")), []string{"a1", "b1"})
	wantStrings(t, "awaiting prod-db or vault", ids(s.AwaitingApproval(t.Context(), "vault", "prod-db")), []string{"b2", "a1", "b1"})
	wantStrings(t, "awaiting billing", ids(s.AwaitingApproval(t.Context(), "billing")), []string{})
	wantStrings(t, "awaiting no role", ids(s.AwaitingApproval(t.Context())), []string{})

	// Approval moves a request out of its role's list but keeps it open;
	// a final state takes it out of its principal's list too.
	approved := rs[0].Clone()
	approved.State = core.StateActive
	mustUpdate(t, s, approved)
	denied := rs[2].Clone()
	denied.State = core.Denied
	mustUpdate(t, s, denied)
	mfa := rs[5].Clone()
	mfa.State = core.PendingApproval
	mustUpdate(t, s, mfa)
	wantStrings(t, "awaiting after transitions", ids(s.AwaitingApproval(t.Context(), "prod-db", "vault", "billing")), []string{"b2", "c2"})
	wantStrings(t, "alice's open after approval", ids(s.OpenRequestsOf(t.Context(), "alice")), []string{"a2", "a1"})
	wantStrings(t, "bob's open after denial", ids(s.OpenRequestsOf(t.Context(), "bob")), []string{"b2"})
}
