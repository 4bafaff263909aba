package memory

import (
	"context"

	"github.com/elevate-pim/elevate/core"
)

// AuditCheckpoint returns the last event trimmed, the zero head when none was.
func (s *Store) AuditCheckpoint(ctx context.Context) (core.AuditHead, error) {
	if err := ctx.Err(); err != nil {
		return core.AuditHead{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.checkpoint, nil
}

// TrimAudit drops the events up to through, which must be in the trail with
// through's hash (ECONFLICT otherwise), and keeps through as the checkpoint.
// Trimming at or before the checkpoint does nothing.
func (s *Store) TrimAudit(ctx context.Context, through core.AuditHead) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if through.Seq <= s.checkpoint.Seq {
		return nil
	}
	i := through.Seq - s.checkpoint.Seq - 1
	if i >= int64(len(s.audit)) || s.audit[i].Hash != through.Hash {
		return core.Errorf(core.ECONFLICT, "Audit event %d is not in the store with hash %s: nothing was trimmed.", through.Seq, through.Hash)
	}
	s.audit = append([]core.AuditEvent(nil), s.audit[i+1:]...)
	s.checkpoint = through
	return nil
}
