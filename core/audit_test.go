package core_test

import (
	"bytes"
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/elevate-pim/elevate/core"
)

func TestAuditRecordsTheStory(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	r := h.mustRequest(t, as("alice"), prodDB())
	if _, err := h.svc.Deny(ctx, as("bob"), r.ID, "use the replica"); err != nil {
		t.Fatal(err)
	}
	events, err := h.svc.AuditLog(ctx, as("dana"), core.AuditFilter{Role: "prod-db"})
	if err != nil {
		t.Fatal(err)
	}
	last := events[len(events)-1]
	if last.Action != "deny" || last.Actor != "bob" || last.Reason != "use the replica" || last.Decision != "deny" ||
		last.Principal != "alice" || last.Ticket != "INC-4411" || last.Justification != "fixing replication lag" ||
		last.Duration != 2*time.Hour || last.Source != "test" || last.RequestID != r.ID {
		t.Fatalf("deny event = %+v", last)
	}
}

func TestAuditVerifyNamesTheAlteredEvent(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	r := h.mustRequest(t, as("alice"), prodDB())
	if _, err := h.svc.Approve(ctx, as("bob"), r.ID); err != nil {
		t.Fatal(err)
	}
	events, head, err := core.ReadAudit(ctx, h.store, core.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if err := core.VerifyAudit(events, head); err != nil {
		t.Fatalf("intact chain: %v", err)
	}
	for i := range events {
		altered := append([]core.AuditEvent(nil), events...)
		altered[i].Actor = "mallory"
		err := core.VerifyAudit(altered, head)
		if err == nil || !strings.Contains(err.Error(), "audit event "+itoa(altered[i].Seq)+":") {
			t.Fatalf("altering event %d: %v", altered[i].Seq, err)
		}
	}
	removed := append(append([]core.AuditEvent(nil), events[:2]...), events[3:]...)
	if err := core.VerifyAudit(removed, head); err == nil || !strings.Contains(err.Error(), "removed") {
		t.Fatalf("removing an event: %v", err)
	}
	if err := core.VerifyAudit(events[:len(events)-1], head); err == nil {
		t.Fatal("dropping the newest event went unnoticed")
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestAuditExportRoundTrip(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	r := h.mustRequest(t, as("alice"), prodDB())
	if _, err := h.svc.Deny(ctx, as("bob"), r.ID, "=HYPERLINK(\"http://evil\")"); err != nil {
		t.Fatal(err)
	}
	events, head, _ := core.ReadAudit(ctx, h.store, core.AuditFilter{})
	var js bytes.Buffer
	if err := core.WriteAudit(&js, "json", events); err != nil {
		t.Fatal(err)
	}
	back, err := core.ReadAuditJSON(&js)
	if err != nil {
		t.Fatal(err)
	}
	if err := core.VerifyAudit(back, head); err != nil {
		t.Fatalf("exported JSON does not verify: %v", err)
	}
	var csv bytes.Buffer
	if err := core.WriteAudit(&csv, "csv", events); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(csv.String(), "seq,time,actor,action") || !strings.Contains(csv.String(), `'=HYPERLINK`) {
		t.Fatalf("csv export:\n%s", csv.String())
	}
	if err := core.WriteAudit(&csv, "xml", events); core.ErrorCode(err) != core.EINVALID {
		t.Fatalf("unknown format: %v", err)
	}
}

func TestAuditFilter(t *testing.T) {
	e := core.AuditEvent{Time: t0, Principal: "alice", Role: "prod-db"}
	tests := []struct {
		f    core.AuditFilter
		want bool
	}{
		{core.AuditFilter{}, true},
		{core.AuditFilter{Since: t0}, true},
		{core.AuditFilter{Since: t0.Add(time.Second)}, false},
		{core.AuditFilter{Until: t0}, false},
		{core.AuditFilter{Until: t0.Add(time.Second)}, true},
		{core.AuditFilter{Principal: "bob"}, false},
		{core.AuditFilter{Role: "prod-db", Principal: "alice"}, true},
	}
	for _, tt := range tests {
		if got := tt.f.Match(e); got != tt.want {
			t.Errorf("%+v.Match = %v, want %v", tt.f, got, tt.want)
		}
	}
}
