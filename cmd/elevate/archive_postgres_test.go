package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/rs/zerolog"

	"github.com/elevate-pim/elevate/core"
	"github.com/elevate-pim/elevate/core/clocktest"
	"github.com/elevate-pim/elevate/store/postgres"
	"github.com/elevate-pim/elevate/store/postgres/pgtest"
)

// TestAuditArchivePostgres: with a fake clock, 40 days of activations on
// Redis; the archive job moves the events older than 30 days (audit.hot)
// into a PostgreSQL table and trims them from Redis, leaving the table's
// head as the checkpoint. A run that stopped between archiving and
// trimming is finished by the next without doubling or losing an event.
// `audit verify` walks both tiers and names a single event altered in
// either (an UPDATE in PostgreSQL, a rewrite in Redis); `audit export`
// reads both.
func TestAuditArchivePostgres(t *testing.T) {
	dsn := pgtest.DSN(t)
	dsnFile := filepath.Join(t.TempDir(), "archive-dsn")
	if err := os.WriteFile(dsnFile, []byte(dsn+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	rcv := newReceiver(t)
	cfg := redisConfig(t, rcv.URL, 0)
	appendConfig(t, cfg, "audit: {hot: 30d, archive_postgres_file: "+dsnFile+"}\n")
	clock := clocktest.New(time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC))
	m, err := NewMain(context.Background(), cfg, zerolog.Nop(), Options{Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	ctx := context.Background()
	mustLiveDays(t, m, clock, 40)

	// A run that stopped after archiving, before trimming: the oldest
	// events are in PostgreSQL and still in Redis.
	early, err := m.Store.AuditRange(ctx, 0, 5)
	if err != nil || len(early) != 5 {
		t.Fatalf("read the oldest events: %d, %v", len(early), err)
	}
	if err := m.archive.(*postgres.Archive).Archive(ctx, early); err != nil {
		t.Fatal(err)
	}
	if err := m.Service.ScheduleArchive(ctx); err != nil {
		t.Fatal(err)
	}
	mustRunDue(t, m)

	cutoff := clock.Now().Add(-30 * 24 * time.Hour)
	head, _ := m.Store.AuditHead(ctx)
	cp, err := m.Store.AuditCheckpoint(ctx)
	if err != nil || cp.Seq == 0 {
		t.Fatalf("no checkpoint after archiving: %+v %v", cp, err)
	}
	if cold, _ := m.archive.AuditHead(ctx); cold != cp {
		t.Fatalf("archive head %+v, store checkpoint %+v: want equal", cold, cp)
	}
	if rows, first, last := tableSpan(t, dsn); rows != cp.Seq || first != 1 || last != cp.Seq {
		t.Fatalf("the table holds %d rows, events %d to %d; want each of 1 to %d once", rows, first, last, cp.Seq)
	}
	archived, hot := readAll(t, m.archive), readAll(t, m.Store)
	if int64(len(archived)) != cp.Seq || len(hot) == 0 || hot[0].Seq != cp.Seq+1 || hot[len(hot)-1].Seq != head.Seq {
		t.Fatalf("archive holds %d events, Redis %d; checkpoint %d, head %d", len(archived), len(hot), cp.Seq, head.Seq)
	}
	days := map[string]bool{}
	for _, e := range archived {
		if !e.Time.Before(cutoff) {
			t.Fatalf("archived #%d of %v is inside the hot period (after %v)", e.Seq, e.Time, cutoff)
		}
		days[e.Time.Format(time.DateOnly)] = true
	}
	for _, e := range hot {
		if e.Time.Before(cutoff) {
			t.Fatalf("Redis still holds #%d of %v, older than the hot period", e.Seq, e.Time)
		}
	}
	if len(days) != 10 {
		t.Fatalf("the archive holds events of %d days, want the older 10", len(days))
	}

	if code, out, errOut := run(t, "", "audit", "verify", "--config", cfg); code != 0 || !strings.Contains(out, fmt.Sprintf("ok, %d events", head.Seq)) {
		t.Fatalf("verify both tiers: %d %s %s", code, out, errOut)
	}
	if code, out, _ := run(t, "", "audit", "export", "--config", cfg, "--format", "json"); code != 0 || strings.Count(out, `"seq":`) != int(head.Seq) {
		t.Fatalf("export of both tiers: %d, %d events, want %d", code, strings.Count(out, `"seq":`), head.Seq)
	}

	// One event altered in PostgreSQL, then put back byte for byte, then
	// one altered in Redis: verify names the altered one each time.
	pgtest.Exec(t, dsn, `UPDATE `+postgres.Table+` SET event = replace(event::text, '"actor":"', '"actor":"mallory-')::json WHERE seq = 3`)
	if code, _, errOut := run(t, "", "audit", "verify", "--config", cfg); code != 1 || !strings.Contains(errOut, "audit event 3: content does not match") {
		t.Fatalf("verify with archived event 3 altered: %d %s", code, errOut)
	}
	pgtest.Exec(t, dsn, `UPDATE `+postgres.Table+` SET event = replace(event::text, '"actor":"mallory-', '"actor":"')::json WHERE seq = 3`)
	if code, _, errOut := run(t, "", "audit", "verify", "--config", cfg); code != 0 {
		t.Fatalf("verify with archived event 3 restored: %d %s", code, errOut)
	}
	altered := hot[2].Seq
	alterStreamEvent(t, altered)
	if code, _, errOut := run(t, "", "audit", "verify", "--config", cfg); code != 1 || !strings.Contains(errOut, fmt.Sprintf("audit event %d: content does not match", altered)) {
		t.Fatalf("verify with Redis event %d altered: %d %s", altered, code, errOut)
	}
}

// tableSpan counts the archive table's rows and returns its lowest and
// highest sequence numbers.
func tableSpan(t *testing.T, dsn string) (rows, first, last int64) {
	t.Helper()
	ctx := context.Background()
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	if err := c.QueryRow(ctx, `SELECT count(*), coalesce(min(seq), 0), coalesce(max(seq), 0) FROM `+postgres.Table).Scan(&rows, &first, &last); err != nil {
		t.Fatal(err)
	}
	return rows, first, last
}

// TestAuditArchiveDirAndPostgres: with both archives configured, the
// archive job writes every aged event to the table and to the segment
// files; `audit verify` reads the table with Redis and checks the files'
// copy too, naming an event altered in either.
func TestAuditArchiveDirAndPostgres(t *testing.T) {
	dsn := pgtest.DSN(t)
	t.Setenv("ELEVATE_TEST_ARCHIVE_DSN", dsn)
	dir := filepath.Join(t.TempDir(), "archive")
	rcv := newReceiver(t)
	cfg := redisConfig(t, rcv.URL, 0)
	appendConfig(t, cfg, "audit: {hot: 30d, archive_dir: "+dir+", archive_postgres: \"${ELEVATE_TEST_ARCHIVE_DSN}\"}\n")
	clock := clocktest.New(time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC))
	m, err := NewMain(context.Background(), cfg, zerolog.Nop(), Options{Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	ctx := context.Background()
	mustLiveDays(t, m, clock, 40)
	if err := m.Service.ScheduleArchive(ctx); err != nil {
		t.Fatal(err)
	}
	mustRunDue(t, m)

	cp, _ := m.Store.AuditCheckpoint(ctx)
	as := m.archive.(core.Archives)
	for _, a := range as {
		if h, err := a.AuditHead(ctx); err != nil || h != cp || cp.Seq == 0 {
			t.Fatalf("%v: head %+v, %v; checkpoint %+v", a, h, err, cp)
		}
	}
	if rows, _, _ := tableSpan(t, dsn); rows != cp.Seq {
		t.Fatalf("the table holds %d rows, want %d", rows, cp.Seq)
	}
	head, _ := m.Store.AuditHead(ctx)
	if code, out, errOut := run(t, "", "audit", "verify", "--config", cfg); code != 0 || !strings.Contains(out, fmt.Sprintf("ok, %d events", head.Seq)) {
		t.Fatalf("verify: %d %s %s", code, out, errOut)
	}
	rewriteSegment(t, mustGlob(t, filepath.Join(dir, "audit-*.jsonl.gz")), 4)
	if code, _, errOut := run(t, "", "audit", "verify", "--config", cfg); code != 1 || !strings.Contains(errOut, dir+": audit event 4: content does not match") {
		t.Fatalf("verify with event 4 altered in the segment files: %d %s", code, errOut)
	}
	pgtest.Exec(t, dsn, `UPDATE `+postgres.Table+` SET event = replace(event::text, '"actor":"', '"actor":"mallory-')::json WHERE seq = 2`)
	if code, _, errOut := run(t, "", "audit", "verify", "--config", cfg); code != 1 || !strings.Contains(errOut, "audit event 2: content does not match") {
		t.Fatalf("verify with event 2 altered in PostgreSQL: %d %s", code, errOut)
	}
}

// TestAuditArchivePostgresDown: a PostgreSQL that does not answer does not
// stop elevate from starting (the archive job retries); `audit verify`
// says it cannot read the archive, without the DSN's password.
func TestAuditArchivePostgresDown(t *testing.T) {
	t.Setenv("ELEVATE_TEST_ARCHIVE_DSN", "postgres://elevate:s3cret@127.0.0.1:1/elevate?connect_timeout=2")
	rcv := newReceiver(t)
	cfg := redisConfig(t, rcv.URL, 0)
	appendConfig(t, cfg, "audit: {hot: 30d, archive_postgres: \"${ELEVATE_TEST_ARCHIVE_DSN}\"}\n")
	m, err := NewMain(context.Background(), cfg, zerolog.Nop(), Options{})
	if err != nil {
		t.Fatalf("start with PostgreSQL down: %v", err)
	}
	m.Close()
	code, _, errOut := run(t, "", "audit", "verify", "--config", cfg)
	if code == 0 || !strings.Contains(errOut, "audit verify: FAILED: audit archive: postgres: create table elevate_audit: failed to connect") || strings.Contains(errOut, "will retry") || strings.Contains(errOut, "s3cret") {
		t.Fatalf("verify with PostgreSQL down: %d %s", code, errOut)
	}
}
