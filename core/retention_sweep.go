package core

import (
	"context"
)

// JobRetentionSweep gives every final request stored without a purge job
// one: requests that became final before an
// elevate that deletes them after the retention period.
const JobRetentionSweep JobKind = "retention-sweep"

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

// retentionSweep gives every final request a purge job. A purge job
// scheduled again is the same job (same id and due time), so a request
// that has one is not purged twice.
var retentionSweep = requestSweep{kind: JobRetentionSweep, layout: "retention-layout",
	visit: func(ctx context.Context, s *Service, reqs []*Request) error {
		var ch Change
		for _, r := range reqs {
			if r.State.Final() {
				ch.Schedule = append(ch.Schedule, Job{Kind: JobPurge, Ref: r.ID, Due: finalAt(r).Add(s.retention)})
			}
		}
		if len(ch.Schedule) == 0 {
			return nil
		}
		return s.store.Apply(ctx, ch)
	}}

// ScheduleRetentionSweep schedules the retention sweep unless it has run
// to its end before. Serve calls it at start; the sweep is idempotent, so
// replicas starting together at most repeat some of its work.
func (s *Service) ScheduleRetentionSweep(ctx context.Context) error {
	return retentionSweep.schedule(ctx, s)
}
