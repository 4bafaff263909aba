package api_test

import (
	"context"
	"strings"
	"testing"

	"github.com/elevate-pim/elevate/core"
)

// TestReadsAreAudited: listings and exports made with a token are written
// to the audit trail as "read" events with the token's name and the query;
// refused reads, single-record reads and the hot /check are not.
func TestReadsAreAudited(t *testing.T) {
	e := newEnv(t, nil)
	id := e.mustRequest()
	e.want("check", e.call("GET", "/check"+q("principal", "alice", "role", "prod-db"), "gateway-token", nil), 200)
	e.want("get one", e.call("GET", "/requests/"+id, "alice-token", nil), 200)
	e.want("refused list", e.call("GET", "/requests"+q("principal", "alice"), "mallory-token", nil), 403)
	e.want("refused export", e.call("GET", "/audit", "alice-token", nil), 403)
	if reads := e.reads(); len(reads) != 0 {
		t.Fatalf("read events before any listing: %+v", reads)
	}
	e.want("list", e.call("GET", "/requests"+q("principal", "alice", "state", "PendingApproval"), "erin-token", nil), 200)
	e.want("export", e.call("GET", "/audit"+q("format", "csv"), "siem-token", nil), 200)
	e.want("holders", e.call("GET", "/assignments"+q("role", "staging"), "dana-token", nil), 200)
	reads := e.reads()
	if len(reads) != 3 {
		t.Fatalf("read events = %+v, want 3", reads)
	}
	list, export, holders := reads[0], reads[1], reads[2]
	if list.Actor != "erin" || list.Source != "api:erin-ci" || list.Principal != "alice" || !strings.Contains(list.Reason, "GET /api/v1/requests?") || !strings.Contains(list.Reason, "state=PendingApproval") {
		t.Fatalf("listing audited as %+v", list)
	}
	if export.Actor != "api:siem" || export.Source != "api:siem" || export.Reason != "GET /api/v1/audit?format=csv" {
		t.Fatalf("export audited as %+v", export)
	}
	if holders.Actor != "dana" || holders.Role != "staging" {
		t.Fatalf("holders listing audited as %+v", holders)
	}
}

// reads returns the "read" events of the audit trail.
func (e *env) reads() []core.AuditEvent {
	e.t.Helper()
	events, _, err := core.ReadAudit(context.Background(), e.store, core.AuditFilter{})
	if err != nil {
		e.t.Fatal(err)
	}
	var out []core.AuditEvent
	for _, ev := range events {
		if ev.Action == "read" {
			out = append(out, ev)
		}
	}
	return out
}
