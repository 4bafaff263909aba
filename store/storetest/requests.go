package storetest

import (
	"testing"
	"time"

	"github.com/elevate-pim/elevate/core"
)

// testRequestCompareAndSet checks that requests are written only over the
// version the writer read, and that the store numbers versions.
func testRequestCompareAndSet(t *testing.T, s core.Store) {
	_, err := s.Request(t.Context(), "r-1")
	wantCode(t, err, core.ENOTFOUND)

	r := newRequest("r-1", "alice", "prod-db")
	r.Version = 42 // the store sets versions, whatever the writer says
	mustApply(t, s, core.Change{Requests: []core.RequestWrite{{Request: r, Expect: 0}}})
	got := mustRequest(t, s, "r-1")
	want := r.Clone()
	want.Version = 1
	wantRequest(t, got, want)

	mustFailApply(t, s, core.Change{Requests: []core.RequestWrite{{Request: newRequest("r-1", "mallory", "prod-db"), Expect: 0}}}, core.ECONFLICT)
	wantRequest(t, mustRequest(t, s, "r-1"), want)

	update := got.Clone()
	update.State = core.StateActive
	for _, stale := range []int64{0, 2, 7} {
		mustFailApply(t, s, core.Change{Requests: []core.RequestWrite{{Request: update, Expect: stale}}}, core.ECONFLICT)
		wantRequest(t, mustRequest(t, s, "r-1"), want)
	}

	mustApply(t, s, core.Change{Requests: []core.RequestWrite{{Request: update, Expect: 1}}})
	want = update.Clone()
	want.Version = 2
	wantRequest(t, mustRequest(t, s, "r-1"), want)

	// The version just replaced is now stale.
	mustFailApply(t, s, core.Change{Requests: []core.RequestWrite{{Request: update, Expect: 1}}}, core.ECONFLICT)
	wantRequest(t, mustRequest(t, s, "r-1"), want)

	_, err = s.Request(t.Context(), "r-2")
	wantCode(t, err, core.ENOTFOUND)
}

// testOpenRequests checks that OpenRequests lists exactly the requests that
// are not final, oldest first, and drops one when it reaches a final state.
func testOpenRequests(t *testing.T, s core.Store) {
	wantStrings(t, "open requests of an empty store", mustOpenRequestIDs(t, s), []string{})

	base := time.Now().Add(-time.Hour)
	mk := func(id string, state core.State, age time.Duration) *core.Request {
		r := newRequest(id, "alice", "prod-db")
		r.State = state
		r.CreatedAt = base.Add(age)
		return r
	}
	rs := mustCreate(t, s,
		mk("mfa", core.PendingMFA, 3*time.Second),
		mk("approval", core.PendingApproval, 1*time.Second),
		mk("scheduled", core.Scheduled, 2*time.Second),
		mk("active-b", core.StateActive, 4*time.Second),
		mk("active-a", core.StateActive, 4*time.Second), // same age: ordered by id
		mk("denied", core.Denied, 0),
	)
	wantStrings(t, "open requests", mustOpenRequestIDs(t, s),
		[]string{"approval", "scheduled", "mfa", "active-a", "active-b"})

	active := rs[3].Clone()
	active.State = core.Expired
	mustUpdate(t, s, active)
	pending := rs[1].Clone()
	pending.State = core.Canceled
	mustUpdate(t, s, pending)
	wantStrings(t, "open requests after expiry and cancel", mustOpenRequestIDs(t, s),
		[]string{"scheduled", "mfa", "active-a"})

	// A request moving between open states stays listed.
	mfa := rs[0].Clone()
	mfa.State = core.PendingApproval
	mustUpdate(t, s, mfa)
	wantStrings(t, "open requests after an open transition", mustOpenRequestIDs(t, s),
		[]string{"scheduled", "mfa", "active-a"})

	// The final requests are still readable.
	if got := mustRequest(t, s, "active-b"); got.State != core.Expired {
		t.Fatalf("expired request state = %s", got.State)
	}
	if got := mustRequest(t, s, "denied"); got.State != core.Denied {
		t.Fatalf("denied request state = %s", got.State)
	}
}

// testReturnedValuesAreCopies checks that neither changing what a store
// returned nor changing what was written afterwards alters stored state.
func testReturnedValuesAreCopies(t *testing.T, s core.Store) {
	r := newRequest("r-1", "alice", "prod-db")
	mustApply(t, s, core.Change{Requests: []core.RequestWrite{{Request: r, Expect: 0}}})
	want := r.Clone()
	want.Version = 1

	// The caller's request after Apply.
	r.State = core.Revoked
	r.Approvals[0].Approver = "mallory"
	r.Approvals = append(r.Approvals, core.Vote{Approver: "eve"})
	wantRequest(t, mustRequest(t, s, "r-1"), want)

	// A request returned by Request.
	got := mustRequest(t, s, "r-1")
	got.State = core.Revoked
	got.Reason = "tampered"
	got.Approvals[0].Approver = "mallory"
	got.Approvals = append(got.Approvals, core.Vote{Approver: "eve"})
	wantRequest(t, mustRequest(t, s, "r-1"), want)

	// A request returned by OpenRequestsOf.
	open, err := s.OpenRequestsOf(t.Context(), "alice")
	if err != nil {
		t.Fatalf("OpenRequestsOf: %v", err)
	}
	if len(open) != 1 {
		t.Fatalf("OpenRequestsOf returned %d requests, want 1", len(open))
	}
	open[0].State = core.Denied
	open[0].Approvals[0].Approver = "mallory"
	wantRequest(t, mustRequest(t, s, "r-1"), want)
	wantStrings(t, "open requests", mustOpenRequestIDs(t, s), []string{"r-1"})
}

// testSlots checks that a principal holds at most one open-request slot per
// role, reserved and released by compare-and-set.
func testSlots(t *testing.T, s core.Store) {
	slot := func(principal, role, expect, set string) core.Change {
		return core.Change{Slots: []core.SlotWrite{{Principal: principal, Role: role, Expect: expect, Set: set}}}
	}
	mustApply(t, s, slot("alice", "prod-db", "", "r-1"))
	mustFailApply(t, s, slot("alice", "prod-db", "", "r-2"), core.ECONFLICT)

	// Other roles and other principals have their own slots.
	mustApply(t, s, slot("alice", "staging-db", "", "r-3"))
	mustApply(t, s, slot("bob", "prod-db", "", "r-4"))

	// Only the holder can release it.
	mustFailApply(t, s, slot("alice", "prod-db", "r-2", ""), core.ECONFLICT)
	mustApply(t, s, slot("alice", "prod-db", "r-1", ""))
	// Released: the old holder no longer matches, a new reservation does.
	mustFailApply(t, s, slot("alice", "prod-db", "r-1", ""), core.ECONFLICT)
	mustApply(t, s, slot("alice", "prod-db", "", "r-2"))
	// A slot can pass from one request to another directly.
	mustApply(t, s, slot("alice", "prod-db", "r-2", "r-5"))
	mustFailApply(t, s, slot("alice", "prod-db", "r-2", ""), core.ECONFLICT)
	mustApply(t, s, slot("alice", "prod-db", "r-5", ""))

	// The other slots were not touched.
	mustFailApply(t, s, slot("alice", "staging-db", "", "r-9"), core.ECONFLICT)
	mustFailApply(t, s, slot("bob", "prod-db", "", "r-9"), core.ECONFLICT)
}

// testRequestsByID checks the batch read: the stored requests in the order
// asked, nil for the missing, copies that the caller may change.
func testRequestsByID(t *testing.T, s core.Store) {
	got, err := s.Requests(t.Context(), nil)
	if err != nil || len(got) != 0 {
		t.Fatalf("Requests(nil) = %v, %v", got, err)
	}
	r1 := newRequest("r-1", "alice", "prod-db")
	mustApply(t, s, core.Change{Requests: []core.RequestWrite{{Request: r1}, {Request: newRequest("r-2", "bob", "prod-db")}}})
	r1.Version = 1
	got, err = s.Requests(t.Context(), []string{"r-2", "r-9", "r-1"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0] == nil || got[0].Principal != "bob" || got[1] != nil || got[2] == nil || got[2].Principal != "alice" || got[2].Version != 1 {
		t.Fatalf("Requests(r-2, r-9, r-1) = %+v", got)
	}
	got[2].Principal = "mallory"
	wantRequest(t, mustRequest(t, s, "r-1"), r1)
}
