package core_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/elevate-pim/elevate/core"
	"github.com/elevate-pim/elevate/store/memory"
)

// chunkCounter wraps a store's audit reads, recording the largest chunk a
// reader held and letting a test tamper with what the store returns.
type chunkCounter struct {
	core.AuditReader
	maxChunk, calls int
	tamper          func([]core.AuditEvent) []core.AuditEvent
}

func (c *chunkCounter) AuditRange(ctx context.Context, after int64, limit int) ([]core.AuditEvent, error) {
	es, err := c.AuditReader.AuditRange(ctx, after, limit)
	c.calls++
	c.maxChunk = max(c.maxChunk, len(es))
	if c.tamper != nil {
		es = c.tamper(es)
	}
	return es, err
}

// mustFillAudit appends n events to a fresh memory store.
func mustFillAudit(t *testing.T, n int) *memory.Store {
	t.Helper()
	s := memory.New()
	for done := 0; done < n; {
		var c core.Change
		for ; done < n && len(c.Audit) < 1000; done++ {
			c.Audit = append(c.Audit, core.AuditEvent{Time: t0, Actor: "alice", Action: fmt.Sprintf("a-%d", done), Principal: "alice", Role: "prod-db"})
		}
		if err := s.Apply(context.Background(), c); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// TestScanAuditStreamsInChunks: verification and export read the trail a
// bounded chunk at a time, never whole, and see every event once, in order.
func TestScanAuditStreamsInChunks(t *testing.T) {
	const n = 3*core.AuditChunk + 5
	s := mustFillAudit(t, n)
	r := &chunkCounter{AuditReader: s}
	checked, err := core.VerifyStoredAudit(context.Background(), r)
	if err != nil || checked != n {
		t.Fatalf("VerifyStoredAudit = %d, %v; want %d events intact", checked, err, n)
	}
	if r.maxChunk > core.AuditChunk || r.calls < 4 {
		t.Fatalf("read %d chunks of at most %d events; want ≥ 4 chunks of ≤ %d", r.calls, r.maxChunk, core.AuditChunk)
	}

	var out bytes.Buffer
	aw, err := core.NewAuditWriter(&out, "csv")
	if err != nil {
		t.Fatal(err)
	}
	r.maxChunk = 0
	head, err := core.ScanAudit(context.Background(), r, 10, aw.Write)
	if err != nil || aw.Close() != nil || head.Seq != n {
		t.Fatalf("ScanAudit from 10 = head %+v, %v", head, err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 1+n-10 || !strings.HasPrefix(lines[1], "11,") || !strings.HasPrefix(lines[len(lines)-1], fmt.Sprint(n, ",")) {
		t.Fatalf("export from cursor 10 has %d lines (%q … %q), want events 11..%d", len(lines), lines[1], lines[len(lines)-1], n)
	}
	if r.maxChunk > core.AuditChunk {
		t.Fatalf("export held %d events at once", r.maxChunk)
	}
}

// TestScanAuditStopsAtItsHead: events appended while a scan runs are left
// for the next scan, so the events seen agree with the head returned.
func TestScanAuditStopsAtItsHead(t *testing.T) {
	s := mustFillAudit(t, 10)
	seen := 0
	head, err := core.ScanAudit(context.Background(), s, 0, func(e *core.AuditEvent) error {
		if seen++; seen == 1 {
			return s.Apply(context.Background(), core.Change{Audit: []core.AuditEvent{{Time: t0, Actor: "bob", Action: "late"}}})
		}
		return nil
	})
	if err != nil || seen != 10 || head.Seq != 10 {
		t.Fatalf("scan saw %d events up to head %d (%v); want 10 and 10", seen, head.Seq, err)
	}
}

// TestVerifyStoredAuditFindsTampering: a streamed verification names the
// altered or removed event, also across chunk boundaries.
func TestVerifyStoredAuditFindsTampering(t *testing.T) {
	const n = core.AuditChunk + 100
	s := mustFillAudit(t, n)
	at := func(seq int64, f func(es []core.AuditEvent, i int) []core.AuditEvent) func([]core.AuditEvent) []core.AuditEvent {
		return func(es []core.AuditEvent) []core.AuditEvent {
			for i := range es {
				if es[i].Seq == seq {
					return f(es, i)
				}
			}
			return es
		}
	}
	for _, c := range []struct {
		name   string
		tamper func([]core.AuditEvent) []core.AuditEvent
		want   string
	}{
		{"altered", at(core.AuditChunk+1, func(es []core.AuditEvent, i int) []core.AuditEvent { es[i].Actor = "mallory"; return es }),
			fmt.Sprintf("audit event %d: content does not match", core.AuditChunk+1)},
		{"removed", at(50, func(es []core.AuditEvent, i int) []core.AuditEvent { return append(es[:i], es[i+1:]...) }),
			"audit event 51: expected sequence 50"},
		{"newest removed", at(n, func(es []core.AuditEvent, i int) []core.AuditEvent { return es[:i] }),
			"events were removed from the end"},
	} {
		_, err := core.VerifyStoredAudit(context.Background(), &chunkCounter{AuditReader: s, tamper: c.tamper})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
}

// TestAuditExportStreamsJSON: a JSON export read back event by event
// verifies, and an empty export is an empty array.
func TestAuditExportStreamsJSON(t *testing.T) {
	var empty bytes.Buffer
	if err := core.WriteAudit(&empty, "json", nil); err != nil || empty.String() != "[]\n" {
		t.Fatalf("empty export = %q, %v", empty.String(), err)
	}
	s := mustFillAudit(t, 25)
	var out bytes.Buffer
	aw, _ := core.NewAuditWriter(&out, "json")
	head, err := core.ScanAudit(context.Background(), s, 0, aw.Write)
	if err != nil || aw.Close() != nil {
		t.Fatal(err)
	}
	// The stream is byte for byte the indented array of earlier exports.
	events, _, _ := core.ReadAudit(context.Background(), s, core.AuditFilter{})
	var whole bytes.Buffer
	enc := json.NewEncoder(&whole)
	enc.SetIndent("", "  ")
	if err := enc.Encode(events); err != nil || whole.String() != out.String() {
		t.Fatalf("streamed JSON differs from the indented array:\n%.300s\nwant\n%.300s", out.String(), whole.String())
	}
	var v core.AuditVerifier
	if err := core.ScanAuditJSON(&out, v.Add); err != nil || v.End(head) != nil || v.Count() != 25 {
		t.Fatalf("read back %d events: %v / %v", v.Count(), err, v.End(head))
	}
}
