package archive_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/elevate-pim/elevate/core"
	"github.com/elevate-pim/elevate/store/archive"
)

// chain returns events first..last chained after prev.
func chain(prev core.AuditHead, n int) []core.AuditEvent {
	out := make([]core.AuditEvent, n)
	for i := range out {
		e := core.Chain(prev, core.AuditEvent{Time: time.Unix(int64(prev.Seq), 0), Actor: "alice", Action: fmt.Sprintf("a%d", prev.Seq+1)})
		out[i] = e
		prev = core.AuditHead{Seq: e.Seq, Hash: e.Hash}
	}
	return out
}

func TestDirKeepsTheChain(t *testing.T) {
	archive.SegmentEvents = 500
	ctx := context.Background()
	path := t.TempDir()
	d, err := archive.OpenDir(path)
	if err != nil {
		t.Fatal(err)
	}
	first := chain(core.AuditHead{}, archive.SegmentEvents+10) // two segments
	if err := d.Archive(ctx, first); err != nil {
		t.Fatal(err)
	}
	head := core.AuditHead{Seq: first[len(first)-1].Seq, Hash: first[len(first)-1].Hash}
	second := chain(head, 5)
	if err := d.Archive(ctx, second); err != nil {
		t.Fatal(err)
	}
	if err := d.Archive(ctx, second); core.ErrorCode(err) != core.ECONFLICT {
		t.Fatalf("archiving the same events twice: %v, want ECONFLICT", err)
	}
	if err := d.Archive(ctx, chain(core.AuditHead{Seq: 99, Hash: head.Hash}, 1)); core.ErrorCode(err) != core.ECONFLICT {
		t.Fatalf("archiving after a gap: %v, want ECONFLICT", err)
	}
	d.Close()

	// A reopened archive knows its head and reads the whole chain back, in
	// chunks that cross segment boundaries.
	d, err = archive.OpenDir(path)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	want := append(first, second...)
	if got, err := d.AuditHead(ctx); err != nil || got.Seq != want[len(want)-1].Seq || got.Hash != want[len(want)-1].Hash {
		t.Fatalf("head = %+v, %v", got, err)
	}
	n, err := core.VerifyStoredAudit(ctx, d)
	if err != nil || n != int64(len(want)) {
		t.Fatalf("verify the archive: %d events, %v; want %d", n, err, len(want))
	}
	for _, after := range []int64{0, 7, int64(archive.SegmentEvents) - 1, int64(archive.SegmentEvents) + 12, int64(len(want))} {
		es, err := d.AuditRange(ctx, after, 5)
		if err != nil {
			t.Fatal(err)
		}
		for i, e := range es {
			if e != want[after+int64(i)] {
				t.Fatalf("AuditRange(%d)[%d] = #%d, want #%d", after, i, e.Seq, want[after+int64(i)].Seq)
			}
		}
		if wantN := min(5, int64(len(want))-after); int64(len(es)) != wantN {
			t.Fatalf("AuditRange(%d, 5) = %d events, want %d", after, len(es), wantN)
		}
	}
	// A segment file removed from the middle is a gap the verifier names.
	segs, _ := filepath.Glob(filepath.Join(path, "audit-*.jsonl.gz"))
	if len(segs) != 3 {
		t.Fatalf("segments = %v, want 3", segs)
	}
	if err := os.Remove(segs[1]); err != nil {
		t.Fatal(err)
	}
	d.Close()
	if _, err := core.VerifyStoredAudit(ctx, d); err == nil {
		t.Fatal("an archive missing a segment verified")
	}
}
