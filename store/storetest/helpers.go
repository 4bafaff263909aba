package storetest

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/elevate-pim/elevate/core"
)

// mustApply applies c and fails the test on any error.
func mustApply(t *testing.T, s core.Store, c core.Change) {
	t.Helper()
	if err := s.Apply(t.Context(), c); err != nil {
		t.Fatalf("Apply: %v", err)
	}
}

// mustFailApply applies c and fails the test unless it fails with code.
func mustFailApply(t *testing.T, s core.Store, c core.Change, code string) {
	t.Helper()
	wantCode(t, s.Apply(t.Context(), c), code)
}

// wantCode fails the test unless err carries code.
func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := core.ErrorCode(err); got != code {
		t.Fatalf("error code = %q (err %v), want %q", got, err, code)
	}
}

// mustCreate stores new requests (Expect 0) and returns them as stored.
func mustCreate(t *testing.T, s core.Store, rs ...*core.Request) []*core.Request {
	t.Helper()
	c := core.Change{}
	for _, r := range rs {
		c.Requests = append(c.Requests, core.RequestWrite{Request: r, Expect: 0})
	}
	mustApply(t, s, c)
	out := make([]*core.Request, len(rs))
	for i, r := range rs {
		out[i] = mustRequest(t, s, r.ID)
	}
	return out
}

// mustUpdate writes r over its stored version r.Version and returns it as stored.
func mustUpdate(t *testing.T, s core.Store, r *core.Request) *core.Request {
	t.Helper()
	mustApply(t, s, core.Change{Requests: []core.RequestWrite{{Request: r, Expect: r.Version}}})
	return mustRequest(t, s, r.ID)
}

// mustRequest reads a request that must exist.
func mustRequest(t *testing.T, s core.Store, id string) *core.Request {
	t.Helper()
	r, err := s.Request(t.Context(), id)
	if err != nil {
		t.Fatalf("Request(%q): %v", id, err)
	}
	return r
}

// The principals and roles the suite's tests use: since a store lists
// requests and assignments only by principal or role, "everything" is
// everything of these.
var (
	suitePrincipals = []string{"alice", "bob", "carol"}
	suiteRoles      = []string{"prod-db", "billing"}
)

// mustOpenRequestIDs returns the ids of the suite principals' open
// requests, oldest first (by CreatedAt, then ID).
func mustOpenRequestIDs(t *testing.T, s core.Store) []string {
	t.Helper()
	var all []*core.Request
	for _, p := range suitePrincipals {
		rs, err := s.OpenRequestsOf(t.Context(), p)
		if err != nil {
			t.Fatalf("OpenRequestsOf(%q): %v", p, err)
		}
		for i, r := range rs {
			if r.Principal != p {
				t.Fatalf("OpenRequestsOf(%q) returned %s of %s", p, r.ID, r.Principal)
			}
			if i > 0 && olderRequest(r, rs[i-1]) {
				t.Fatalf("OpenRequestsOf(%q) is not oldest first: %s before %s", p, rs[i-1].ID, r.ID)
			}
		}
		all = append(all, rs...)
	}
	slices.SortFunc(all, func(a, b *core.Request) int {
		if olderRequest(a, b) {
			return -1
		}
		return 1
	})
	ids := []string{}
	for _, r := range all {
		ids = append(ids, r.ID)
	}
	return ids
}

// olderRequest orders requests by CreatedAt, then ID.
func olderRequest(a, b *core.Request) bool {
	if !a.CreatedAt.Equal(b.CreatedAt) {
		return a.CreatedAt.Before(b.CreatedAt)
	}
	return a.ID < b.ID
}

// mustWindow reads a window that must be live.
func mustWindow(t *testing.T, s core.Store, principal, role string) *core.Window {
	t.Helper()
	w, err := s.Window(t.Context(), principal, role)
	if err != nil {
		t.Fatalf("Window(%q, %q): %v", principal, role, err)
	}
	return w
}

// mustNoWindow fails the test unless the window is gone (ENOTFOUND).
func mustNoWindow(t *testing.T, s core.Store, principal, role string) {
	t.Helper()
	w, err := s.Window(t.Context(), principal, role)
	if core.ErrorCode(err) != core.ENOTFOUND {
		t.Fatalf("Window(%q, %q) = %+v, %v; want ENOTFOUND", principal, role, w, err)
	}
}

// mustWindowPrincipals returns the principals of role's live windows, in the store's order.
func mustWindowPrincipals(t *testing.T, s core.Store, role string) []string {
	t.Helper()
	ws, err := s.Windows(t.Context(), role)
	if err != nil {
		t.Fatalf("Windows(%q): %v", role, err)
	}
	ps := []string{}
	for _, w := range ws {
		if w.Role != role {
			t.Fatalf("Windows(%q) returned a window of %q", role, w.Role)
		}
		ps = append(ps, w.Principal)
	}
	return ps
}

// mustAssignments returns the assignments of the suite's roles, sorted by
// key, and the holders revision. It checks that the principal and key
// indexes agree with the role index.
func mustAssignments(t *testing.T, s core.Store) ([]core.Assignment, int64) {
	t.Helper()
	var all []core.Assignment
	var rev int64
	for _, role := range suiteRoles {
		as, r, err := s.AssignmentsByRole(t.Context(), role)
		if err != nil {
			t.Fatalf("AssignmentsByRole(%q): %v", role, err)
		}
		for _, a := range as {
			if a.Role != role {
				t.Fatalf("AssignmentsByRole(%q) returned %s", role, a.Key())
			}
		}
		all, rev = append(all, as...), r
	}
	slices.SortFunc(all, func(a, b core.Assignment) int { return strings.Compare(a.Key(), b.Key()) })
	var byPrincipal, byKey []core.Assignment
	for _, p := range suitePrincipals {
		as, err := s.AssignmentsByPrincipal(t.Context(), p)
		if err != nil {
			t.Fatalf("AssignmentsByPrincipal(%q): %v", p, err)
		}
		byPrincipal = append(byPrincipal, as...)
	}
	keys := make([]string, len(all))
	for i, a := range all {
		keys[i] = a.Key()
	}
	byKey, keyRev, err := s.AssignmentsByKey(t.Context(), keys...)
	if err != nil {
		t.Fatalf("AssignmentsByKey: %v", err)
	}
	slices.SortFunc(byPrincipal, func(a, b core.Assignment) int { return strings.Compare(a.Key(), b.Key()) })
	if !reflect.DeepEqual(keysOf(byPrincipal), keys) || !reflect.DeepEqual(keysOf(byKey), keys) || keyRev != rev {
		t.Fatalf("indexes disagree: by role %q (rev %d), by principal %q, by key %q (rev %d)", keys, rev, keysOf(byPrincipal), keysOf(byKey), keyRev)
	}
	return all, rev
}

// keysOf returns the keys of as.
func keysOf(as []core.Assignment) []string {
	out := []string{}
	for _, a := range as {
		out = append(out, a.Key())
	}
	return out
}

// mustHoldersRev returns the holders revision.
func mustHoldersRev(t *testing.T, s core.Store) int64 {
	t.Helper()
	_, rev := mustAssignments(t, s)
	return rev
}

// mustMFA reads an MFA record that must exist.
func mustMFA(t *testing.T, s core.Store, principal string) *core.MFARecord {
	t.Helper()
	r, err := s.MFA(t.Context(), principal)
	if err != nil {
		t.Fatalf("MFA(%q): %v", principal, err)
	}
	return r
}

// mustClaim claims jobs due now, by the wall clock.
func mustClaim(t *testing.T, s core.Store, lease time.Duration, limit int) []core.Job {
	t.Helper()
	js, err := s.ClaimJobs(t.Context(), time.Now(), lease, limit)
	if err != nil {
		t.Fatalf("ClaimJobs: %v", err)
	}
	return js
}

// mustComplete completes a job.
func mustComplete(t *testing.T, s core.Store, j core.Job) {
	t.Helper()
	if err := s.CompleteJob(t.Context(), j); err != nil {
		t.Fatalf("CompleteJob(%s): %v", j.ID(), err)
	}
}

// mustJobs returns every scheduled job.
func mustJobs(t *testing.T, s core.Store) []core.Job {
	t.Helper()
	js, err := s.Jobs(t.Context())
	if err != nil {
		t.Fatalf("Jobs: %v", err)
	}
	return js
}

// mustAudit returns the audit log and head, read two events at a time so
// that paging by cursor is exercised, and fails the test unless the chain
// verifies.
func mustAudit(t *testing.T, s core.Store) ([]core.AuditEvent, core.AuditHead) {
	t.Helper()
	head, err := s.AuditHead(t.Context())
	if err != nil {
		t.Fatalf("AuditHead: %v", err)
	}
	var es []core.AuditEvent
	for {
		chunk, err := s.AuditRange(t.Context(), int64(len(es)), 2)
		if err != nil {
			t.Fatalf("AuditRange(%d, 2): %v", len(es), err)
		}
		es = append(es, chunk...)
		if len(chunk) < 2 {
			break
		}
	}
	if err := core.VerifyAudit(es, head); err != nil {
		t.Fatalf("VerifyAudit: %v", err)
	}
	return es, head
}

// mustOnce calls Once and returns its answer.
func mustOnce(t *testing.T, s core.Store, key string, ttl time.Duration) bool {
	t.Helper()
	first, err := s.Once(t.Context(), key, ttl)
	if err != nil {
		t.Fatalf("Once(%q): %v", key, err)
	}
	return first
}

// jobIDs returns the ids of jobs, in order.
func jobIDs(js []core.Job) []string {
	ids := []string{}
	for _, j := range js {
		ids = append(ids, j.ID())
	}
	return ids
}

// wantStrings fails the test unless got equals want, in order.
func wantStrings(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Fatalf("%s = %q, want %q", what, got, want)
	}
}

// sameTime reports whether a and b are the same instant at millisecond
// precision, the precision every store keeps.
func sameTime(a, b time.Time) bool { return a.UnixMilli() == b.UnixMilli() }

// ms returns t at millisecond precision in UTC, or zero for zero, so that
// values read back from a store compare with what was written.
func ms(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return time.UnixMilli(t.UnixMilli()).UTC()
}

// wantRequest fails the test unless got equals want, times at millisecond precision.
func wantRequest(t *testing.T, got, want *core.Request) {
	t.Helper()
	norm := func(r *core.Request) core.Request {
		c := *r.Clone()
		c.Start, c.CreatedAt, c.DeadlineAt = ms(c.Start), ms(c.CreatedAt), ms(c.DeadlineAt)
		c.DecidedAt, c.ActivatedAt, c.EndsAt = ms(c.DecidedAt), ms(c.ActivatedAt), ms(c.EndsAt)
		c.Approvals = nil
		for _, v := range r.Approvals {
			c.Approvals = append(c.Approvals, core.Vote{Approver: v.Approver, At: ms(v.At)})
		}
		return c
	}
	if g, w := norm(got), norm(want); !reflect.DeepEqual(g, w) {
		t.Fatalf("request %s:\n got %+v\nwant %+v", want.ID, g, w)
	}
}

// wantWindow fails the test unless got equals want, times at millisecond precision.
func wantWindow(t *testing.T, got, want core.Window) {
	t.Helper()
	if got.Principal != want.Principal || got.Role != want.Role || got.RequestID != want.RequestID ||
		!sameTime(got.Start, want.Start) || !sameTime(got.End, want.End) {
		t.Fatalf("window:\n got %+v\nwant %+v", got, want)
	}
}

// newRequest returns a pending request with every field set, so that a
// round trip through the store checks them all.
func newRequest(id, principal, role string) *core.Request {
	now := time.Now()
	return &core.Request{
		ID:            id,
		Principal:     principal,
		Role:          role,
		State:         core.PendingApproval,
		Duration:      2 * time.Hour,
		Start:         now.Add(time.Hour),
		Justification: "fixing replication lag",
		Ticket:        "INC-4411",
		Source:        "console",
		CreatedAt:     now,
		DeadlineAt:    now.Add(24 * time.Hour),
		Approvals:     []core.Vote{{Approver: "bob", At: now.Add(time.Minute)}},
		Escalated:     true,
		DecidedBy:     "bob",
		DecidedAt:     now.Add(2 * time.Minute),
		Reason:        "looks fine",
		ActivatedAt:   now.Add(3 * time.Minute),
		EndsAt:        now.Add(2*time.Hour + 3*time.Minute),
		Extended:      30 * time.Minute,
		Warned:        true,
	}
}

// newWindow returns a window of principal for role that starts now and
// lasts ttl, and the write that opens it.
func newWindow(principal, role, requestID string, ttl time.Duration) core.WindowWrite {
	now := time.Now()
	return core.WindowWrite{
		Window: core.Window{Principal: principal, Role: role, RequestID: requestID, Start: now, End: now.Add(ttl)},
		TTL:    ttl,
	}
}

// newAssignment returns an assignment with every field set.
func newAssignment(kind core.AssignmentKind, principal, role string) core.Assignment {
	now := time.Now()
	return core.Assignment{
		Kind:      kind,
		Principal: principal,
		Role:      role,
		Start:     now,
		End:       now.Add(30 * 24 * time.Hour),
		Source:    "config",
		CreatedBy: "admin",
		CreatedAt: now,
	}
}

// wantAssignment fails the test unless got equals want, times at millisecond precision.
func wantAssignment(t *testing.T, got, want core.Assignment) {
	t.Helper()
	norm := func(a core.Assignment) core.Assignment {
		a.Start, a.End, a.CreatedAt = ms(a.Start), ms(a.End), ms(a.CreatedAt)
		return a
	}
	if g, w := norm(got), norm(want); g != w {
		t.Fatalf("assignment:\n got %+v\nwant %+v", g, w)
	}
}

// newEvent returns an audit event about a request.
func newEvent(actor, action, requestID string) core.AuditEvent {
	return core.AuditEvent{
		Time:      time.Now(),
		Actor:     actor,
		Action:    action,
		Principal: "alice",
		Role:      "prod-db",
		RequestID: requestID,
		Duration:  time.Hour,
		Reason:    "because",
		Source:    "console",
	}
}
