package storetest

import (
	"context"
	"testing"

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
