package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/elevate-pim/elevate/adapters/siem"
	"github.com/elevate-pim/elevate/core"
	"github.com/elevate-pim/elevate/store/archive"
	"github.com/elevate-pim/elevate/store/postgres"
)

// openArchive opens the audit archive: the segment directory
// (audit.archive_dir), the PostgreSQL table (audit.archive_postgres), or
// both kept as one, the table read first. serve creates the table at
// once (eager) when PostgreSQL answers.
func (m *Main) openArchive(eager bool) error {
	a := m.Config.Audit
	if a.ArchiveDir == "" && !a.ArchivePostgres.IsSet() {
		return nil
	}
	if !m.persistent {
		return fmt.Errorf("audit.archive_dir and audit.archive_postgres need a persistent store (store.redis_url): the memory store keeps nothing to archive")
	}
	var archives core.Archives
	if a.ArchivePostgres.IsSet() {
		dsn, err := a.ArchivePostgres.Resolve()
		if err != nil {
			return fmt.Errorf("audit.archive_postgres: %w", err)
		}
		pg, err := postgres.Open(dsn)
		if err != nil {
			return err
		}
		m.closers = append(m.closers, pg.Close)
		// Otherwise the table is created by the first call that needs
		// it: serving does not wait for PostgreSQL, and the archive job retries.
		if eager {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := pg.Migrate(ctx); err != nil {
				m.Log.Warn().Err(err).Msg("audit archive: PostgreSQL not ready; the archive job will retry")
			}
		}
		archives = append(archives, pg)
	}
	if a.ArchiveDir != "" {
		d, err := archive.OpenDir(a.ArchiveDir)
		if err != nil {
			return err
		}
		m.closers = append(m.closers, d.Close)
		archives = append(archives, d)
	}
	if len(archives) == 1 {
		m.archive = archives[0]
	} else {
		m.archive = archives
	}
	return nil
}

// auditTrail is the whole audit trail: the archive and the store as one.
func (m *Main) auditTrail() core.AuditReader {
	if m.archive == nil {
		return m.Store
	}
	return core.TieredAudit{Cold: m.archive, Hot: m.Store}
}

// verifyArchiveCopies verifies the chain of each archive of a trail that
// keeps several (the trail is read from the first): a copy altered on its
// own is named too.
func verifyArchiveCopies(ctx context.Context, trail core.AuditReader) error {
	t, ok := trail.(core.TieredAudit)
	if !ok {
		return nil
	}
	as, ok := t.Cold.(core.Archives)
	if !ok {
		return nil
	}
	for _, a := range as[1:] {
		if _, err := core.VerifyStoredAudit(ctx, a); err != nil {
			return fmt.Errorf("%v: %w", a, err)
		}
	}
	return nil
}

// startSIEM starts a forwarder for each configured SIEM sink; they stop
// when ctx ends. Forwarding needs the store's cursors and leases.
func (m *Main) startSIEM(ctx context.Context) error {
	var sinks []siem.Sink
	if u := m.Config.Audit.SyslogURL; u != "" {
		s, err := siem.NewSyslog(u, nil)
		if err != nil {
			return err
		}
		sinks = append(sinks, s)
	}
	if u := m.Config.Audit.HTTPURL; u != "" {
		s, err := siem.NewHTTP(u, nil)
		if err != nil {
			return err
		}
		sinks = append(sinks, s)
	}
	if len(sinks) == 0 {
		return nil
	}
	cursors, ok1 := m.backing.(siem.Cursors)
	leases, ok2 := m.backing.(siem.Leaser)
	if !ok1 || !ok2 {
		return fmt.Errorf("audit.siem: the store keeps no cursors")
	}
	ttl, err := envDuration("ELEVATE_SIEM_LEASE_TTL")
	if err != nil {
		return err
	}
	for _, s := range sinks {
		f := &siem.Forwarder{Sink: s, Source: m.auditTrail(), Cursors: cursors, Lease: leases, LeaseTTL: ttl,
			Log: m.Log.With().Str("component", "siem").Logger()}
		m.closers = append(m.closers, s.Close)
		go f.Run(ctx)
		m.Log.Info().Str("sink", s.Name()).Msg("streaming the audit trail")
	}
	return nil
}

// openAuditForCLI opens the configured store, with the archive when there
// is one, for `audit export` and `audit verify`.
func openAuditForCLI(ctx context.Context, cfgPath string, stderr io.Writer) (core.AuditReader, func(), error) {
	m, err := openMainForCLI(ctx, cfgPath, stderr)
	if err != nil {
		return nil, nil, err
	}
	if err := m.openArchive(false); err != nil {
		m.Close()
		return nil, nil, err
	}
	return m.auditTrail(), func() { m.Close() }, nil
}
