package core

import (
	"context"
	"time"
)

// DefaultRequestRetention is how long a final request is kept before the
// scheduler deletes it, when Config.RequestRetention is zero.
const DefaultRequestRetention = 90 * 24 * time.Hour

// JobPurge deletes a final request once its retention has passed (Ref: the
// request id). Its audit events stay: they are the lasting record.
const JobPurge JobKind = "purge"

// schedulePurge adds to ch the job that deletes req, which the transition
// in ch makes final, after the retention period.
func (s *Service) schedulePurge(req *Request, now time.Time, ch *Change) {
	ch.Schedule = append(ch.Schedule, Job{Kind: JobPurge, Ref: req.ID, Due: now.Add(s.retention)})
}

// purge deletes a final request whose retention has passed. A request that
// is not final, or was changed since its purge was scheduled, is kept (and
// its newer purge job, if any, deletes it later).
func (s *Service) purge(ctx context.Context, id string) error {
	req, err := s.store.Request(ctx, id)
	if err != nil {
		return err
	}
	if !req.State.Final() || s.clock.Now().Before(finalAt(req).Add(s.retention)) {
		return errNothingToDo
	}
	return s.store.PurgeRequest(ctx, id, req.Version)
}

// finalAt is when req became final: its decision time, or its window's end
// for an Expired request recorded without one.
func finalAt(req *Request) time.Time {
	if !req.DecidedAt.IsZero() {
		return req.DecidedAt
	}
	return req.EndsAt
}

// DefaultAuditHot is how long audit events stay in the store before they
// move to the archive, when Config.AuditHot is zero.
const DefaultAuditHot = 30 * 24 * time.Hour
