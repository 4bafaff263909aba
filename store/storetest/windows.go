package storetest

import (
	"testing"
	"time"

	"github.com/elevate-pim/elevate/core"
)

// window is the length of the short windows the suite opens, and slack the
// margin it sleeps past them, enough for a loaded machine under -race.
const (
	window = 300 * time.Millisecond
	slack  = 100 * time.Millisecond
)

// testWindowTTL checks that a window is live for its TTL and gone after it.
func testWindowTTL(t *testing.T, s core.Store) {
	mustNoWindow(t, s, "alice", "prod-db")
	wantStrings(t, "windows of an empty store", mustWindowPrincipals(t, s, "prod-db"), []string{})

	short := newWindow("carol", "prod-db", "r-1", window)
	long := newWindow("alice", "prod-db", "r-2", time.Minute)
	other := newWindow("carol", "staging-db", "r-3", time.Minute)
	mustApply(t, s, core.Change{OpenWindows: []core.WindowWrite{short, long, other}})

	wantWindow(t, *mustWindow(t, s, "carol", "prod-db"), short.Window)
	wantWindow(t, *mustWindow(t, s, "alice", "prod-db"), long.Window)
	wantWindow(t, *mustWindow(t, s, "carol", "staging-db"), other.Window)
	mustNoWindow(t, s, "bob", "prod-db")
	wantStrings(t, "windows of prod-db", mustWindowPrincipals(t, s, "prod-db"), []string{"alice", "carol"})
	ws, err := s.Windows(t.Context(), "prod-db")
	if err != nil {
		t.Fatalf("Windows: %v", err)
	}
	wantWindow(t, ws[0], long.Window)
	wantWindow(t, ws[1], short.Window)

	time.Sleep(window + slack)
	mustNoWindow(t, s, "carol", "prod-db")
	wantStrings(t, "windows of prod-db after the short one ended", mustWindowPrincipals(t, s, "prod-db"), []string{"alice"})
	wantWindow(t, *mustWindow(t, s, "carol", "staging-db"), other.Window)
}

// testWindowExtendAndClose checks that replacing a window with a longer TTL
// keeps it past its first end, and that closing it ends it at once.
func testWindowExtendAndClose(t *testing.T, s core.Store) {
	first := newWindow("alice", "prod-db", "r-1", window)
	mustApply(t, s, core.Change{OpenWindows: []core.WindowWrite{first}})

	time.Sleep(window / 2)
	extended := first
	extended.TTL = window + 5*time.Second
	extended.Window.End = time.Now().Add(extended.TTL)
	mustApply(t, s, core.Change{OpenWindows: []core.WindowWrite{extended}})

	time.Sleep(window/2 + slack) // past the first window's end
	wantWindow(t, *mustWindow(t, s, "alice", "prod-db"), extended.Window)
	wantStrings(t, "windows after extension", mustWindowPrincipals(t, s, "prod-db"), []string{"alice"})

	mustApply(t, s, core.Change{CloseWindows: []core.WindowKey{{Principal: "alice", Role: "prod-db"}}})
	mustNoWindow(t, s, "alice", "prod-db")
	wantStrings(t, "windows after close", mustWindowPrincipals(t, s, "prod-db"), []string{})

	// Closing a window that is not there is harmless.
	mustApply(t, s, core.Change{CloseWindows: []core.WindowKey{{Principal: "alice", Role: "prod-db"}}})
}

// testAssignments checks that assignments are stored by key: put creates or
// replaces, delete removes, and Assignments lists them in key order.
func testAssignments(t *testing.T, s core.Store) {
	if as, _ := mustAssignments(t, s); len(as) != 0 {
		t.Fatalf("assignments of an empty store = %+v", as)
	}
	eligible := newAssignment(core.Eligible, "alice", "prod-db")
	active := newAssignment(core.Active, "bob", "prod-db")
	active.Permanent, active.End = true, time.Time{}
	other := newAssignment(core.Eligible, "alice", "billing")
	mustApply(t, s, core.Change{PutAssignments: []core.Assignment{eligible, active, other}})

	as, _ := mustAssignments(t, s)
	if len(as) != 3 {
		t.Fatalf("got %d assignments, want 3: %+v", len(as), as)
	}
	// Keys: "active/bob/prod-db" < "eligible/alice/billing" < "eligible/alice/prod-db".
	wantAssignment(t, as[0], active)
	wantAssignment(t, as[1], other)
	wantAssignment(t, as[2], eligible)

	// Putting the same key replaces.
	eligible.End = eligible.End.Add(24 * time.Hour)
	eligible.CreatedBy = "carol"
	mustApply(t, s, core.Change{PutAssignments: []core.Assignment{eligible}})
	as, _ = mustAssignments(t, s)
	if len(as) != 3 {
		t.Fatalf("got %d assignments after replacing one, want 3: %+v", len(as), as)
	}
	wantAssignment(t, as[2], eligible)

	mustApply(t, s, core.Change{DeleteAssignments: []string{active.Key(), other.Key()}})
	as, _ = mustAssignments(t, s)
	if len(as) != 1 {
		t.Fatalf("got %d assignments after deleting two, want 1: %+v", len(as), as)
	}
	wantAssignment(t, as[0], eligible)

	// Deleting what is not there is harmless.
	mustApply(t, s, core.Change{DeleteAssignments: []string{active.Key()}})
}

// testHoldersRevision checks that the holders revision moves by one with
// every Change to windows or assignments, and guards Changes that expect it.
func testHoldersRevision(t *testing.T, s core.Store) {
	rev := mustHoldersRev(t, s)
	step := func(what string, c core.Change, delta int64) {
		t.Helper()
		mustApply(t, s, c)
		got := mustHoldersRev(t, s)
		if got != rev+delta {
			t.Fatalf("holders revision after %s = %d, want %d", what, got, rev+delta)
		}
		rev = got
	}
	r := newRequest("r-1", "alice", "prod-db")
	step("a request-only change", core.Change{Requests: []core.RequestWrite{{Request: r, Expect: 0}}}, 0)
	step("a slot, job and audit change", core.Change{
		Slots:    []core.SlotWrite{{Principal: "alice", Role: "prod-db", Set: "r-1"}},
		Schedule: []core.Job{{Kind: core.JobTimeout, Ref: "r-1", Due: time.Now().Add(time.Hour)}},
		Audit:    []core.AuditEvent{newEvent("alice", "request", "r-1")},
	}, 0)
	step("opening a window", core.Change{OpenWindows: []core.WindowWrite{newWindow("alice", "prod-db", "r-1", time.Minute)}}, 1)
	step("closing a window", core.Change{CloseWindows: []core.WindowKey{{Principal: "alice", Role: "prod-db"}}}, 1)
	a := newAssignment(core.Active, "bob", "prod-db")
	step("putting an assignment", core.Change{PutAssignments: []core.Assignment{a}}, 1)
	step("deleting an assignment", core.Change{DeleteAssignments: []string{a.Key()}}, 1)
	step("several holder changes in one Apply", core.Change{
		OpenWindows:    []core.WindowWrite{newWindow("alice", "prod-db", "r-1", time.Minute), newWindow("bob", "prod-db", "r-2", time.Minute)},
		PutAssignments: []core.Assignment{a},
	}, 1)

	// A Change that expects the current revision applies, and moves it.
	current := rev
	step("a guarded change", core.Change{HoldersRev: &current, DeleteAssignments: []string{a.Key()}}, 1)

	// One that expects an older revision changes nothing.
	stale := current
	mustFailApply(t, s, core.Change{
		HoldersRev:     &stale,
		PutAssignments: []core.Assignment{a},
		Requests:       []core.RequestWrite{{Request: newRequest("r-2", "bob", "prod-db"), Expect: 0}},
	}, core.ECONFLICT)
	if got := mustHoldersRev(t, s); got != rev {
		t.Fatalf("holders revision after a failed change = %d, want %d", got, rev)
	}
	if as, _ := mustAssignments(t, s); len(as) != 0 {
		t.Fatalf("a failed change put assignments: %+v", as)
	}
	_, err := s.Request(t.Context(), "r-2")
	wantCode(t, err, core.ENOTFOUND)

	// A guard alone, with the current revision, passes and moves nothing.
	current = rev
	step("a guard without holder changes", core.Change{HoldersRev: &current}, 0)
}
