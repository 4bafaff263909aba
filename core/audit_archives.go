package core

import (
	"context"
	"fmt"
)

// Archives keeps several audit archives (a directory of segment files and a
// PostgreSQL table, say) as one: every event goes to each, and the store is
// trimmed only behind the events all of them hold. Reads come from the
// first.
type Archives []AuditArchive

var _ AuditArchive = Archives(nil)

// AuditHead returns the lowest of the archives' heads: the events every
// archive holds.
func (as Archives) AuditHead(ctx context.Context) (AuditHead, error) {
	heads, err := as.heads(ctx)
	if err != nil {
		return AuditHead{}, err
	}
	return lowest(heads), nil
}

func lowest(heads []AuditHead) AuditHead {
	low := heads[0]
	for _, h := range heads[1:] {
		if h.Seq < low.Seq {
			low = h
		}
	}
	return low
}

func (as Archives) heads(ctx context.Context) ([]AuditHead, error) {
	heads := make([]AuditHead, len(as))
	for i, a := range as {
		h, err := a.AuditHead(ctx)
		if err != nil {
			return nil, err
		}
		heads[i] = h
	}
	return heads, nil
}

// AuditRange reads the first archive, up to the events every archive holds.
func (as Archives) AuditRange(ctx context.Context, after int64, limit int) ([]AuditEvent, error) {
	if err := ValidateAuditRange(after, limit); err != nil {
		return nil, err
	}
	head, err := as.AuditHead(ctx)
	if err != nil {
		return nil, err
	}
	if after >= head.Seq {
		return nil, nil
	}
	return as[0].AuditRange(ctx, after, int(min(int64(limit), head.Seq-after)))
}

// Archive appends events, which must continue the lowest head
// (ECONFLICT otherwise), to each archive.
// An archive that is further on (a run that stopped between two archives)
// gets only the events after its own head, once the last event it holds
// of these matches its head's hash.
func (as Archives) Archive(ctx context.Context, events []AuditEvent) error {
	if len(events) == 0 {
		return nil
	}
	heads, err := as.heads(ctx)
	if err != nil {
		return err
	}
	if err := ContinuesArchive(lowest(heads), events); err != nil {
		return err
	}
	for i, a := range as {
		h := heads[i]
		held := h.Seq - events[0].Seq + 1 // how many of events a holds
		if held > int64(len(events)) {
			continue
		}
		if held > 0 && events[held-1].Hash != h.Hash {
			return Errorf(ECONFLICT, "The audit archives disagree at event %d.", h.Seq)
		}
		if err := a.Archive(ctx, events[held:]); err != nil {
			return err
		}
	}
	return nil
}

// CatchUp copies to each archive that lags behind the one furthest on the
// events it lacks (an archive configured after the store was trimmed has
// none of them), in chunks, and returns how many it copied.
func (as Archives) CatchUp(ctx context.Context) (int, error) {
	heads, err := as.heads(ctx)
	if err != nil {
		return 0, err
	}
	lead := 0
	for i, h := range heads {
		if h.Seq > heads[lead].Seq {
			lead = i
		}
	}
	n := 0
	for i, a := range as {
		for heads[i].Seq < heads[lead].Seq {
			events, err := as[lead].AuditRange(ctx, heads[i].Seq, int(min(AuditChunk, heads[lead].Seq-heads[i].Seq)))
			if err != nil {
				return n, err
			}
			if len(events) == 0 {
				return n, fmt.Errorf("audit archive: events after %d are missing from the archive that holds up to %d", heads[i].Seq, heads[lead].Seq)
			}
			if err := a.Archive(ctx, events); err != nil {
				return n, err
			}
			n += len(events)
			last := events[len(events)-1]
			heads[i] = AuditHead{Seq: last.Seq, Hash: last.Hash}
		}
	}
	return n, nil
}
