package storetest

import (
	"context"
	"testing"

	"github.com/elevate-pim/elevate/core"
)

// testPurgeRequest checks that a request is deleted only at the expected
// version, that it is then gone for reads, and that audit events stay.
func testPurgeRequest(t *testing.T, s core.Store) {
	ctx := context.Background()
	r := &core.Request{ID: "r-1", Principal: "alice", Role: "prod-db", State: core.Expired}
	mustApply(t, s, core.Change{Requests: []core.RequestWrite{{Request: r}}, Audit: []core.AuditEvent{{Action: "expire", RequestID: "r-1"}}})
	open := &core.Request{ID: "r-2", Principal: "bob", Role: "prod-db", State: core.PendingApproval}
	mustApply(t, s, core.Change{Requests: []core.RequestWrite{{Request: open}}})

	if err := s.PurgeRequest(ctx, "r-1", 2); core.ErrorCode(err) != core.ECONFLICT {
		t.Fatalf("purge at a wrong version: %v, want ECONFLICT", err)
	}
	if _, err := s.Request(ctx, "r-1"); err != nil {
		t.Fatalf("a refused purge deleted the request: %v", err)
	}
	if err := s.PurgeRequest(ctx, "r-1", 1); err != nil {
		t.Fatalf("purge: %v", err)
	}
	if _, err := s.Request(ctx, "r-1"); core.ErrorCode(err) != core.ENOTFOUND {
		t.Fatalf("a purged request is still read: %v", err)
	}
	if err := s.PurgeRequest(ctx, "r-1", 1); core.ErrorCode(err) != core.ENOTFOUND {
		t.Fatalf("purging twice: %v, want ENOTFOUND", err)
	}
	if err := s.PurgeRequest(ctx, "r-2", 1); err != nil {
		t.Fatal(err)
	}
	if reqs, err := s.OpenRequestsOf(ctx, "bob"); err != nil || len(reqs) != 0 {
		t.Fatalf("open requests after purging the open one: %v %v", reqs, err)
	}
	if reqs, err := s.AwaitingApproval(ctx, "prod-db"); err != nil || len(reqs) != 0 {
		t.Fatalf("requests awaiting approval after purging the one: %v %v", reqs, err)
	}
	events, head, err := core.ReadAudit(ctx, s, core.AuditFilter{})
	if err != nil || len(events) != 1 || core.VerifyAudit(events, head) != nil {
		t.Fatalf("audit after purges: %v %v", events, err)
	}
}
