package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/elevate-pim/elevate/core"
)

// testAssignmentsOf: the per-pair lookup finds exactly the pair's
// assignments, eligible first, and nothing of other pairs.
func testAssignmentsOf(t *testing.T, s core.Store) {
	ctx := context.Background()
	put := []core.Assignment{
		{Kind: core.Active, Principal: "alice", Role: "db", Permanent: true},
		{Kind: core.Eligible, Principal: "alice", Role: "db", Permanent: true},
		{Kind: core.Eligible, Principal: "alice", Role: "web", Permanent: true},
		{Kind: core.Eligible, Principal: "bob", Role: "db", Permanent: true},
	}
	if err := s.Apply(ctx, core.Change{PutAssignments: put}); err != nil {
		t.Fatal(err)
	}
	got, err := s.AssignmentsOf(ctx, "alice", "db")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Kind != core.Eligible || got[1].Kind != core.Active || got[0].Principal != "alice" || got[1].Role != "db" {
		t.Fatalf("AssignmentsOf(alice, db) = %+v", got)
	}
	if got, err := s.AssignmentsOf(ctx, "carol", "db"); err != nil || len(got) != 0 {
		t.Fatalf("AssignmentsOf(carol, db) = %+v, %v", got, err)
	}
	if err := s.Apply(ctx, core.Change{DeleteAssignments: []string{put[1].Key()}}); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.AssignmentsOf(ctx, "alice", "db"); len(got) != 1 || got[0].Kind != core.Active {
		t.Fatalf("after delete: %+v", got)
	}
}

// testHolding: one pair's live window and direct active assignment are
// read together; eligibility is not a holding, and a window whose TTL ran
// out is gone.
func testHolding(t *testing.T, s core.Store) {
	ctx := context.Background()
	holding := func(p, r string) (*core.Window, *core.Assignment) {
		t.Helper()
		w, a, err := s.Holding(ctx, p, r)
		if err != nil {
			t.Fatalf("Holding(%s, %s): %v", p, r, err)
		}
		return w, a
	}
	if w, a := holding("alice", "db"); w != nil || a != nil {
		t.Fatalf("empty store: %+v %+v", w, a)
	}
	active := core.Assignment{Kind: core.Active, Principal: "alice", Role: "db", Permanent: true}
	short := newWindow("alice", "db", "r-1", window)
	mustApply(t, s, core.Change{
		PutAssignments: []core.Assignment{active, {Kind: core.Eligible, Principal: "bob", Role: "db", Permanent: true}},
		OpenWindows:    []core.WindowWrite{short, newWindow("alice", "web", "r-2", time.Minute)},
	})
	w, a := holding("alice", "db")
	if w == nil || a == nil || a.Kind != core.Active || a.Principal != "alice" || !a.Permanent {
		t.Fatalf("alice/db = %+v %+v, want the window and the active assignment", w, a)
	}
	wantWindow(t, *w, short.Window)
	if w, a := holding("bob", "db"); w != nil || a != nil {
		t.Fatalf("bob/db (eligible only) = %+v %+v", w, a)
	}
	if w, a := holding("alice", "web"); w == nil || a != nil || w.RequestID != "r-2" {
		t.Fatalf("alice/web = %+v %+v, want the window alone", w, a)
	}
	time.Sleep(window + slack)
	if w, a := holding("alice", "db"); w != nil || a == nil {
		t.Fatalf("alice/db after the window ended = %+v %+v, want the assignment alone", w, a)
	}
}
