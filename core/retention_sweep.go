package core

import (
	"context"
	"fmt"
)

// JobRetentionSweep gives every final request stored without a purge job
// one (Ref: retentionSweepRef): requests that became final before an
// elevate that deletes them after the retention period.
const JobRetentionSweep JobKind = "retention-sweep"

const (
	retentionSweepRef = "requests"
	// retentionLayout names the store cursor that is 1 once the sweep has
	// run to its end: from then on, every final request has a purge job.
	retentionLayout = "retention-layout"
	// sweepBatch is how many requests one step of the sweep reads.
	sweepBatch = 256
)

// RequestScanner is the part of a Store that the retention sweep needs:
// every stored request, read in batches, and a durable cursor to remember
// that the sweep is done.
type RequestScanner interface {
	// ScanRequests returns up to about limit stored requests after the
	// scan position after ("" to begin) and the position to go on from,
	// "" when the scan is complete. A request stored during the whole scan
	// is returned at least once.
	ScanRequests(ctx context.Context, after string, limit int) ([]*Request, string, error)
	// Cursor returns the named cursor's position, 0 when never set.
	Cursor(ctx context.Context, name string) (int64, error)
	// AdvanceCursor moves the cursor from from to to; false when it is not at from.
	AdvanceCursor(ctx context.Context, name string, from, to int64) (bool, error)
}

// ScheduleRetentionSweep schedules the retention sweep unless it has run
// to its end before. Serve calls it at
// start; the sweep is idempotent, so replicas starting together at most
// repeat some of its work.
func (s *Service) ScheduleRetentionSweep(ctx context.Context) error {
	done, err := s.store.Cursor(ctx, retentionLayout)
	if err != nil || done > 0 {
		return err
	}
	return s.store.Apply(ctx, Change{Schedule: []Job{{Kind: JobRetentionSweep, Ref: retentionSweepRef, Due: s.clock.Now()}}})
}

// sweepRetention schedules the purge of every final request, batch by
// batch, saving its scan position as the job's progress so that a replica
// taking the job over goes on from there; then marks the sweep done. A
// purge job scheduled again is the same job (same id and due time), so a
// request that has one is not purged twice.
func (s *Service) sweepRetention(ctx context.Context, h *Held) error {
	after := string(h.Job().Payload)
	for {
		reqs, next, err := s.store.ScanRequests(ctx, after, sweepBatch)
		if err != nil {
			return fmt.Errorf("retention sweep: %w", err)
		}
		var ch Change
		for _, r := range reqs {
			if r.State.Final() {
				ch.Schedule = append(ch.Schedule, Job{Kind: JobPurge, Ref: r.ID, Due: finalAt(r).Add(s.retention)})
			}
		}
		if len(ch.Schedule) > 0 {
			if err := s.store.Apply(ctx, ch); err != nil {
				return fmt.Errorf("retention sweep: %w", err)
			}
		}
		if next == "" {
			break
		}
		if err := h.Save(ctx, []byte(next)); err != nil {
			return err
		}
		after = next
	}
	_, err := s.store.AdvanceCursor(ctx, retentionLayout, 0, 1)
	return err
}
