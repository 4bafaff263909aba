package postgres_test

import (
	"context"
	"testing"

	"github.com/elevate-pim/elevate/core"
	"github.com/elevate-pim/elevate/store/postgres/pgtest"
)

// BenchmarkArchive appends a chunk of events (one transaction, COPY), the
// unit of an archive run; ns/op divided by core.AuditChunk is per event.
func BenchmarkArchive(b *testing.B) {
	a := mustOpen(b, pgtest.DSN(b))
	ctx := context.Background()
	head := core.AuditHead{}
	for b.Loop() {
		b.StopTimer()
		events := chain(head, core.AuditChunk)
		head = headOf(events)
		b.StartTimer()
		if err := a.Archive(ctx, events); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerify reads and verifies 100 000 archived events by keyset
// pages, as `audit verify` does; ns/op is for all of them.
func BenchmarkVerify(b *testing.B) {
	const n = 100_000
	a := mustOpen(b, pgtest.DSN(b))
	ctx := context.Background()
	head := core.AuditHead{}
	for done := 0; done < n; done += core.AuditChunk {
		events := chain(head, min(core.AuditChunk, n-done))
		if err := a.Archive(ctx, events); err != nil {
			b.Fatal(err)
		}
		head = headOf(events)
	}
	for b.Loop() {
		if got, err := core.VerifyStoredAudit(ctx, a); err != nil || got != n {
			b.Fatalf("verified %d, %v", got, err)
		}
	}
}
