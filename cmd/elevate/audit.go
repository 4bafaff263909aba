package main

import (
	"context"
	"fmt"
	"io"

	"github.com/elevate-pim/elevate/adapters/siem"
	"github.com/elevate-pim/elevate/core"
	"github.com/elevate-pim/elevate/store/archive"
)

// openArchive opens the audit archive directory when audit.archive_dir is set.
func (m *Main) openArchive() error {
	if m.Config.Audit.ArchiveDir == "" {
		return nil
	}
	if !m.persistent {
		return fmt.Errorf("audit.archive_dir needs a persistent store (store.redis_url): the memory store keeps nothing to archive")
	}
	d, err := archive.OpenDir(m.Config.Audit.ArchiveDir)
	if err != nil {
		return err
	}
	m.archive = d
	m.closers = append(m.closers, d.Close)
	return nil
}

// auditTrail is the whole audit trail: the archive and the store as one.
func (m *Main) auditTrail() core.AuditReader {
	if m.archive == nil {
		return m.Store
	}
	return core.TieredAudit{Cold: m.archive, Hot: m.Store}
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
	if err := m.openArchive(); err != nil {
		m.Close()
		return nil, nil, err
	}
	return m.auditTrail(), func() { m.Close() }, nil
}
