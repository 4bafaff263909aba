package storetest

import (
	"context"
	"fmt"
	"testing"

	"github.com/elevate-pim/elevate/core"
)

// testScanRequests checks that a scan in small batches returns every
// stored request, open and final, with its content, and nothing else.
func testScanRequests(t *testing.T, s core.Store) {
	sc := s
	ctx := context.Background()
	want := map[string]core.State{}
	var ch core.Change
	for i := range 50 {
		r := &core.Request{ID: fmt.Sprintf("r-%02d", i), Principal: "alice", Role: "prod-db", State: core.Expired}
		if i%5 == 0 {
			r.State = core.PendingApproval
		}
		want[r.ID] = r.State
		ch.Requests = append(ch.Requests, core.RequestWrite{Request: r})
	}
	mustApply(t, s, ch)
	mustApply(t, s, core.Change{Schedule: []core.Job{{Kind: core.JobPurge, Ref: "r-01"}}}) // not a request
	if _, _, err := sc.ScanRequests(ctx, "", 0); core.ErrorCode(err) != core.EINVALID {
		t.Fatalf("scan with limit 0: %v, want EINVALID", err)
	}
	got := map[string]core.State{}
	after, steps := "", 0
	for {
		reqs, next, err := sc.ScanRequests(ctx, after, 7)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range reqs {
			got[r.ID] = r.State
			if r.Principal != "alice" || r.Version != 1 {
				t.Fatalf("scanned %+v", r)
			}
		}
		if steps++; next == "" || steps > 1000 {
			break
		}
		after = next
	}
	if len(got) != len(want) {
		t.Fatalf("scan returned %d requests, want %d", len(got), len(want))
	}
	for id, st := range want {
		if got[id] != st {
			t.Fatalf("scan: %s is %q, want %q", id, got[id], st)
		}
	}
	if steps < 2 {
		t.Fatalf("50 requests scanned 7 at a time in %d step", steps)
	}
}
