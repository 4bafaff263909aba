package core

import (
	"context"
	"fmt"
	"time"
)

// AuditArchive is the cold tier of the audit trail: events moved out of the
// store once older than the hot period, with their chain intact. Its
// AuditHead is the newest archived event.
type AuditArchive interface {
	AuditReader
	// Archive appends events durably; they must continue the archive
	// (ContinuesArchive), so that a second archiver cannot fork it.
	Archive(ctx context.Context, events []AuditEvent) error
}

// ContinuesArchive checks that events follow head without a gap, in order:
// the first one's sequence number is head's plus one and its previous hash
// is head's hash, and so on. Archives call it before they append.
func ContinuesArchive(head AuditHead, events []AuditEvent) error {
	prev := head
	for _, e := range events {
		if e.Seq != prev.Seq+1 || e.PrevHash != prev.Hash {
			return Errorf(ECONFLICT, "Audit event %d does not continue the archive, which ends at event %d.", e.Seq, prev.Seq)
		}
		prev = AuditHead{Seq: e.Seq, Hash: e.Hash}
	}
	return nil
}

// TieredAudit reads the archive and the store's hot trail as one trail:
// events up to the archive's head from the archive, the rest from the
// store. Its head is the store's. Pass it wherever an AuditReader is read
// (export, verify, the API), so that they walk both tiers.
type TieredAudit struct {
	Cold AuditReader // the archive
	Hot  AuditReader // the store
}

// AuditRange returns up to limit events after the cursor, from the tier that holds them.
func (t TieredAudit) AuditRange(ctx context.Context, after int64, limit int) ([]AuditEvent, error) {
	cold, err := t.Cold.AuditHead(ctx)
	if err != nil {
		return nil, fmt.Errorf("audit archive: %w", err)
	}
	if after < cold.Seq {
		return t.Cold.AuditRange(ctx, after, int(min(int64(limit), cold.Seq-after)))
	}
	return t.Hot.AuditRange(ctx, after, limit)
}

// AuditHead returns the store's head, the head of the whole trail.
func (t TieredAudit) AuditHead(ctx context.Context) (AuditHead, error) {
	return t.Hot.AuditHead(ctx)
}

// JobArchive moves audit events older than the hot period to the archive
// and trims them from the store, hourly, on one replica.
const JobArchive JobKind = "archive"

const archiveRef = "audit"

// archiveEvery is how often the archive job runs.
const archiveEvery = time.Hour

// ScheduleArchive makes sure the archive job is scheduled, when an archive
// is configured: serve calls it at start.
func (s *Service) ScheduleArchive(ctx context.Context) error {
	if s.archive == nil {
		return nil
	}
	return s.store.Apply(ctx, Change{Schedule: []Job{{Kind: JobArchive, Ref: archiveRef, Due: s.clock.Now()}}})
}

// ArchiveAudit moves every event older than the hot period (by the
// service's clock) from the store to the archive, then trims the store up
// to the archive's head, leaving that head as the store's checkpoint so
// that its chain continues. It returns how many events it archived.
// Events are trimmed only once archived: a crash between the two leaves
// them in both tiers, and the next run trims them.
func (s *Service) ArchiveAudit(ctx context.Context) (int, error) {
	if s.archive == nil {
		return 0, nil
	}
	cutoff := s.clock.Now().Add(-s.auditHot)
	if as, ok := s.archive.(Archives); ok {
		if _, err := as.CatchUp(ctx); err != nil {
			return 0, fmt.Errorf("audit archive: %w", err)
		}
	}
	cold, err := s.archive.AuditHead(ctx)
	if err != nil {
		return 0, fmt.Errorf("audit archive: %w", err)
	}
	cp, err := s.store.AuditCheckpoint(ctx)
	if err != nil {
		return 0, err
	}
	if cold.Seq < cp.Seq {
		return 0, fmt.Errorf("audit archive ends at event %d but the store was trimmed up to %d: archived events are missing", cold.Seq, cp.Seq)
	}
	n := 0
	for {
		events, err := s.store.AuditRange(ctx, cold.Seq, AuditChunk)
		if err != nil {
			return n, err
		}
		old := 0
		for old < len(events) && events[old].Time.Before(cutoff) {
			old++
		}
		if old > 0 {
			if err := s.archive.Archive(ctx, events[:old]); err != nil {
				return n, fmt.Errorf("audit archive: %w", err)
			}
			n += old
			cold = AuditHead{Seq: events[old-1].Seq, Hash: events[old-1].Hash}
		}
		if old < len(events) || len(events) < AuditChunk {
			break
		}
	}
	if cold.Seq > cp.Seq {
		if err := s.store.TrimAudit(ctx, cold); err != nil {
			return n, err
		}
	}
	return n, nil
}

// archiveJob archives and schedules the next run.
func (s *Service) archiveJob(ctx context.Context) error {
	if _, err := s.ArchiveAudit(ctx); err != nil {
		return err
	}
	return s.store.Apply(ctx, Change{Schedule: []Job{{Kind: JobArchive, Ref: archiveRef, Due: s.clock.Now().Add(archiveEvery)}}})
}

// AuditTrail returns the whole audit trail to read: the archive and the
// store as one, or the store alone when there is no archive.
func (s *Service) AuditTrail() AuditReader {
	if s.archive == nil {
		return s.store
	}
	return TieredAudit{Cold: s.archive, Hot: s.store}
}
