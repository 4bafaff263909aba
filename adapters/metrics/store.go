package metrics

import (
	"context"
	"errors"
	"time"

	"github.com/elevate-pim/elevate/core"
)

// Store wraps s so that every round trip is timed and its failures
// counted by operation. Not-found and version conflicts are answers, not
// failures. Methods that core.Store gains later pass through untimed
// until they are added here.
func (m *Metrics) Store(s core.Store) core.Store { return &store{Store: s, m: m} }

type store struct {
	core.Store
	m *Metrics
}

// timed runs one store operation, timing it and counting its failure.
func timed[T any](s *store, op string, f func() (T, error)) (T, error) {
	start := time.Now()
	v, err := f()
	s.m.storeTime.WithLabelValues(op).Observe(seconds(time.Since(start)))
	if failed(err) {
		s.m.storeErrors.WithLabelValues(op).Inc()
	}
	return v, err
}

// failed tells a store failure from an answer (not found, a lost
// compare-and-set) and from the caller giving up.
func failed(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	code := core.ErrorCode(err)
	return code != core.ENOTFOUND && code != core.ECONFLICT
}

type none struct{}

func (s *store) Apply(ctx context.Context, c core.Change) error {
	_, err := timed(s, "apply", func() (none, error) { return none{}, s.Store.Apply(ctx, c) })
	return err
}

func (s *store) Request(ctx context.Context, id string) (*core.Request, error) {
	return timed(s, "request", func() (*core.Request, error) { return s.Store.Request(ctx, id) })
}

func (s *store) Requests(ctx context.Context, ids []string) ([]*core.Request, error) {
	return timed(s, "requests", func() ([]*core.Request, error) { return s.Store.Requests(ctx, ids) })
}

func (s *store) OpenRequestsOf(ctx context.Context, principal string) ([]*core.Request, error) {
	return timed(s, "open_requests_of", func() ([]*core.Request, error) { return s.Store.OpenRequestsOf(ctx, principal) })
}

func (s *store) AwaitingApproval(ctx context.Context, roles ...string) ([]*core.Request, error) {
	return timed(s, "awaiting_approval", func() ([]*core.Request, error) { return s.Store.AwaitingApproval(ctx, roles...) })
}

func (s *store) Window(ctx context.Context, principal, role string) (*core.Window, error) {
	return timed(s, "window", func() (*core.Window, error) { return s.Store.Window(ctx, principal, role) })
}

func (s *store) Windows(ctx context.Context, role string) ([]core.Window, error) {
	return timed(s, "windows", func() ([]core.Window, error) { return s.Store.Windows(ctx, role) })
}

func (s *store) AssignmentsByPrincipal(ctx context.Context, principal string) ([]core.Assignment, error) {
	return timed(s, "assignments_by_principal", func() ([]core.Assignment, error) { return s.Store.AssignmentsByPrincipal(ctx, principal) })
}

func (s *store) AssignmentsByRole(ctx context.Context, role string) ([]core.Assignment, int64, error) {
	var rev int64
	as, err := timed(s, "assignments_by_role", func() ([]core.Assignment, error) {
		as, r, err := s.Store.AssignmentsByRole(ctx, role)
		rev = r
		return as, err
	})
	return as, rev, err
}

func (s *store) AssignmentsByKey(ctx context.Context, keys ...string) ([]core.Assignment, int64, error) {
	var rev int64
	as, err := timed(s, "assignments_by_key", func() ([]core.Assignment, error) {
		as, r, err := s.Store.AssignmentsByKey(ctx, keys...)
		rev = r
		return as, err
	})
	return as, rev, err
}

func (s *store) AssignmentsOf(ctx context.Context, principal, role string) ([]core.Assignment, error) {
	return timed(s, "assignments_of", func() ([]core.Assignment, error) { return s.Store.AssignmentsOf(ctx, principal, role) })
}

func (s *store) MFA(ctx context.Context, principal string) (*core.MFARecord, error) {
	return timed(s, "mfa", func() (*core.MFARecord, error) { return s.Store.MFA(ctx, principal) })
}

func (s *store) ClaimJobs(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]core.Job, error) {
	return timed(s, "claim_jobs", func() ([]core.Job, error) { return s.Store.ClaimJobs(ctx, now, lease, limit) })
}

func (s *store) CompleteJobs(ctx context.Context, jobs []core.Job) error {
	_, err := timed(s, "complete_jobs", func() (none, error) { return none{}, s.Store.CompleteJobs(ctx, jobs) })
	return err
}

func (s *store) CompleteJob(ctx context.Context, j core.Job) error {
	_, err := timed(s, "complete_job", func() (none, error) { return none{}, s.Store.CompleteJob(ctx, j) })
	return err
}

func (s *store) Jobs(ctx context.Context) ([]core.Job, error) {
	return timed(s, "jobs", func() ([]core.Job, error) { return s.Store.Jobs(ctx) })
}

func (s *store) AuditRange(ctx context.Context, after int64, limit int) ([]core.AuditEvent, error) {
	return timed(s, "audit_range", func() ([]core.AuditEvent, error) { return s.Store.AuditRange(ctx, after, limit) })
}

func (s *store) AuditHead(ctx context.Context) (core.AuditHead, error) {
	return timed(s, "audit_head", func() (core.AuditHead, error) { return s.Store.AuditHead(ctx) })
}

func (s *store) Once(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	return timed(s, "once", func() (bool, error) { return s.Store.Once(ctx, key, ttl) })
}

func (s *store) Alerts(ctx context.Context) ([]core.Alert, error) {
	return timed(s, "alerts", func() ([]core.Alert, error) { return s.Store.Alerts(ctx) })
}
