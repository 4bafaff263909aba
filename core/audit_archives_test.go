package core_test

import (
	"context"
	"testing"
	"time"

	"github.com/elevate-pim/elevate/core"
	"github.com/elevate-pim/elevate/core/clocktest"
	"github.com/elevate-pim/elevate/store/archive"
	"github.com/elevate-pim/elevate/store/memory"
)

// TestArchivesKeepEachComplete: with two archives (a directory of segments
// and, say, a table), every archived event is in both and the store is
// trimmed only behind them. An archive added once the store was trimmed is
// caught up from the other by the next run, as is one a run left behind
// (it stopped between the two), and nothing is archived twice.
func TestArchivesKeepEachComplete(t *testing.T) {
	ctx := context.Background()
	clock := clocktest.New(t0)
	st := memory.New(memory.WithClock(clock))
	a, b := mustOpenDir(t), mustOpenDir(t)
	service := func(archives ...core.AuditArchive) *core.Service {
		return newHarnessOn(t, clock, st, func(cfg *core.Config) {
			cfg.AuditArchive, cfg.AuditHot = core.Archives(archives), 30*24*time.Hour
		}).svc
	}
	day := func(n int) {
		for range n {
			clock.Advance(24 * time.Hour)
			if err := st.Apply(ctx, core.Change{Audit: []core.AuditEvent{{Time: clock.Now(), Actor: "alice", Action: "activate"}}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	heads := func() (core.AuditHead, core.AuditHead, core.AuditHead) {
		ha, _ := a.AuditHead(ctx)
		hb, _ := b.AuditHead(ctx)
		cp, _ := st.AuditCheckpoint(ctx)
		return ha, hb, cp
	}
	verify := func(what string, r core.AuditReader) {
		t.Helper()
		head, _ := st.AuditHead(ctx)
		if n, err := core.VerifyStoredAudit(ctx, core.TieredAudit{Cold: r, Hot: st}); err != nil || n != head.Seq {
			t.Fatalf("%s and the store: %d events, %v; want %d intact", what, n, err, head.Seq)
		}
	}

	day(40)
	if _, err := service(a).ArchiveAudit(ctx); err != nil {
		t.Fatal(err)
	}
	ha, _, cp := heads()
	if ha.Seq == 0 || ha != cp {
		t.Fatalf("one archive: head %+v, checkpoint %+v", ha, cp)
	}

	// b is added: the next run copies to it what a holds, then archives
	// the day that aged since to both.
	day(1)
	svc := service(b, a)
	n, err := svc.ArchiveAudit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ha2, hb, cp := heads()
	if n != 1 || ha2.Seq != ha.Seq+1 || hb != ha2 || cp != ha2 {
		t.Fatalf("archived %d; heads a %+v, b %+v, checkpoint %+v; want both one on from %d", n, ha2, hb, cp, ha.Seq)
	}
	verify("a", a)
	verify("b", b)
	verify("both", svc.AuditTrail().(core.TieredAudit).Cold)

	// A run that stopped after writing to a, before b: the next gives b
	// what it lacks, and a nothing twice (a directory refuses a repeat).
	day(1)
	aged, _ := st.AuditRange(ctx, cp.Seq, 1)
	if err := a.Archive(ctx, aged); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.ArchiveAudit(ctx); err != nil {
		t.Fatal(err)
	}
	ha, hb, cp = heads()
	if ha.Seq != aged[0].Seq || hb != ha || cp != ha {
		t.Fatalf("after a stopped run: heads a %+v, b %+v, checkpoint %+v; want all at %d", ha, hb, cp, aged[0].Seq)
	}
	verify("a", a)
	verify("b", b)

	// Archiving to both when a holds the first of the events already:
	// a gets the rest, b all of them.
	day(2)
	aged, _ = st.AuditRange(ctx, cp.Seq, 2)
	if err := a.Archive(ctx, aged[:1]); err != nil {
		t.Fatal(err)
	}
	if err := (core.Archives{b, a}).Archive(ctx, aged); err != nil {
		t.Fatal(err)
	}
	if ha, hb, _ = heads(); ha.Seq != aged[1].Seq || hb != ha {
		t.Fatalf("heads a %+v, b %+v; want both at %d", ha, hb, aged[1].Seq)
	}
	if err := (core.Archives{b, a}).Archive(ctx, aged); core.ErrorCode(err) != core.ECONFLICT {
		t.Fatalf("archiving what both hold: %v; want ECONFLICT", err)
	}
}

func mustOpenDir(t *testing.T) *archive.Dir {
	t.Helper()
	d, err := archive.OpenDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}
