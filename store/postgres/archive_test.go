package postgres_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/elevate-pim/elevate/core"
	"github.com/elevate-pim/elevate/store/postgres"
	"github.com/elevate-pim/elevate/store/postgres/pgtest"
)

// chain returns n events chained after prev.
func chain(prev core.AuditHead, n int) []core.AuditEvent {
	out := make([]core.AuditEvent, n)
	for i := range out {
		e := core.Chain(prev, core.AuditEvent{Time: time.Unix(1_700_000_000+prev.Seq, 0), Actor: "alice", Action: fmt.Sprintf("a%d", prev.Seq+1),
			Justification: `quotes " and <tags> & unicode ☃`})
		out[i] = e
		prev = core.AuditHead{Seq: e.Seq, Hash: e.Hash}
	}
	return out
}

func headOf(events []core.AuditEvent) core.AuditHead {
	e := events[len(events)-1]
	return core.AuditHead{Seq: e.Seq, Hash: e.Hash}
}

func mustOpen(t testing.TB, dsn string) *postgres.Archive {
	t.Helper()
	a, err := postgres.Open(dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

func TestArchiveKeepsTheChain(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.DSN(t)
	a := mustOpen(t, dsn)
	if h, err := a.AuditHead(ctx); err != nil || h != (core.AuditHead{}) {
		t.Fatalf("empty archive head = %+v, %v", h, err)
	}
	first := chain(core.AuditHead{}, core.AuditChunk+10) // reads cross a chunk
	if err := a.Archive(ctx, first); err != nil {
		t.Fatal(err)
	}
	second := chain(headOf(first), 5)
	if err := a.Archive(ctx, second); err != nil {
		t.Fatal(err)
	}
	if err := a.Archive(ctx, second); core.ErrorCode(err) != core.ECONFLICT {
		t.Fatalf("archiving the same events twice: %v, want ECONFLICT", err)
	}
	if err := a.Archive(ctx, chain(core.AuditHead{Seq: 9999, Hash: headOf(second).Hash}, 1)); core.ErrorCode(err) != core.ECONFLICT {
		t.Fatalf("archiving after a gap: %v, want ECONFLICT", err)
	}
	// A batch that breaks the chain halfway is refused whole.
	bad := chain(headOf(second), 4)
	bad[2].PrevHash = "00"
	if err := a.Archive(ctx, bad); core.ErrorCode(err) != core.ECONFLICT {
		t.Fatalf("archiving a broken batch: %v, want ECONFLICT", err)
	}

	// Another connection (a replica, a CLI) reads the same archive back.
	b := mustOpen(t, dsn)
	want := append(first, second...)
	if got, err := b.AuditHead(ctx); err != nil || got != headOf(want) {
		t.Fatalf("head = %+v, %v; want %+v", got, err, headOf(want))
	}
	n, err := core.VerifyStoredAudit(ctx, b)
	if err != nil || n != int64(len(want)) {
		t.Fatalf("verify the archive: %d events, %v; want %d", n, err, len(want))
	}
	for _, after := range []int64{0, 7, int64(len(want)) - 3, int64(len(want))} {
		es, err := b.AuditRange(ctx, after, 5)
		if err != nil {
			t.Fatal(err)
		}
		if wantN := min(5, int64(len(want))-after); int64(len(es)) != wantN {
			t.Fatalf("AuditRange(%d, 5) = %d events, want %d", after, len(es), wantN)
		}
		for i, e := range es {
			if w := want[after+int64(i)]; !e.Time.Equal(w.Time) || e.Seq != w.Seq || e.Hash != w.Hash || e.Justification != w.Justification {
				t.Fatalf("AuditRange(%d)[%d] = %+v, want %+v", after, i, e, w)
			}
		}
	}
	if _, err := b.AuditRange(ctx, -1, 5); core.ErrorCode(err) != core.EINVALID {
		t.Fatalf("negative cursor: %v, want EINVALID", err)
	}

	// One row altered by SQL: verify names that event, and only it.
	pgtest.Exec(t, dsn, `UPDATE `+postgres.Table+` SET event = replace(event::text, '"actor":"alice"', '"actor":"mallory"')::json WHERE seq = 4100`)
	if _, err := core.VerifyStoredAudit(ctx, b); err == nil || !strings.Contains(err.Error(), "audit event 4100: content does not match") {
		t.Fatalf("verify with row 4100 altered: %v", err)
	}
	// A row that holds another event is named too.
	pgtest.Exec(t, dsn, `UPDATE `+postgres.Table+` SET event = (SELECT event FROM `+postgres.Table+` WHERE seq = 18) WHERE seq = 17`)
	if _, err := core.VerifyStoredAudit(ctx, b); err == nil || !strings.Contains(err.Error(), "audit event 17: the archived row holds event 18") {
		t.Fatalf("verify with row 17 replaced: %v", err)
	}
}

// TestMigrateAtOnce: replicas starting together each create the table
// unless it exists, without failing on each other.
func TestMigrateAtOnce(t *testing.T) {
	dsn := pgtest.DSN(t)
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Go(func() {
			a, err := postgres.Open(dsn)
			if err != nil {
				errs[i] = err
				return
			}
			defer a.Close()
			errs[i] = a.Migrate(context.Background())
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("replica %d: %v", i, err)
		}
	}
}

// TestArchiversAtOnce: two archivers appending the same events at once
// leave each event once: one wins, the other gets ECONFLICT.
func TestArchiversAtOnce(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.DSN(t)
	a, b := mustOpen(t, dsn), mustOpen(t, dsn)
	events := chain(core.AuditHead{}, 2000)
	var wg sync.WaitGroup
	var errA, errB error
	wg.Go(func() { errA = a.Archive(ctx, events) })
	wg.Go(func() { errB = b.Archive(ctx, events) })
	wg.Wait()
	if !(errA == nil && core.ErrorCode(errB) == core.ECONFLICT || errB == nil && core.ErrorCode(errA) == core.ECONFLICT) {
		t.Fatalf("two archivers: %v and %v; want one success and one ECONFLICT", errA, errB)
	}
	if n, err := core.VerifyStoredAudit(ctx, a); err != nil || n != 2000 {
		t.Fatalf("verify: %d events, %v", n, err)
	}
}

func TestOpenHidesTheDSN(t *testing.T) {
	_, err := postgres.Open("postgres://elevate:s3cret@[::1/db")
	if err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("bad DSN: %v; want an error without the password", err)
	}
}
