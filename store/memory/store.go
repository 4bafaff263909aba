package memory

import (
	"context"
	"sort"
	"sync"
	"time"

	"github.com/elevate-pim/elevate/core"
)

var _ core.Store = (*Store)(nil)

// Store is an in-memory core.Store. It is safe for concurrent use; every
// value it returns is a copy that the caller may change freely.
type Store struct {
	clock core.Clock

	// mu guards everything below. One lock keeps Apply trivially atomic:
	// a Change is checked and written while no reader can look.
	mu          sync.Mutex
	requests    map[string]*core.Request
	openOf      index                        // principal → ids of their requests whose state is not final
	reqOf       index                        // principal → ids of all their requests, final ones included
	awaiting    index                        // role → ids of its requests pending approval
	slots       map[slotKey]string           // (principal, role) → request id holding the slot
	windows     map[string]map[string]window // role → principal → window
	assignments map[string]core.Assignment   // by Assignment.Key
	asgOf       index                        // principal → assignment keys
	asgFor      index                        // role → assignment keys
	holdersRev  int64
	mfa         map[string]*core.MFARecord             // by principal
	jobs        map[string]*job                        // by Job.ID
	copies      map[string]map[string]core.MessageCopy // request id → copy key → copy
	alerts      map[string]*core.Alert                 // by id
	audit       []core.AuditEvent
	head        core.AuditHead
	checkpoint  core.AuditHead       // the last event trimmed; audit holds the ones after it
	seen        map[string]time.Time // Once keys → when they may be seen again
	seenSweep   int                  // len(seen) at which expired keys are next swept
	leases      map[string]lease     // held leases by name
	leaseTokens map[string]int64     // the last fencing token given per lease name
	cursors     map[string]int64     // durable cursors by name
	rv          reviews
}

// slotKey names the open-request slot of a principal for a role.
type slotKey struct{ principal, role string }

// window is a stored window and the moment its TTL runs out, which is
// independent of Window.End: the window's key lives for the TTL it was
// opened with, whatever times the window itself carries.
type window struct {
	core.Window
	expires time.Time
}

// Option configures a Store.
type Option func(*Store)

// WithClock makes the store tell time by c: window TTLs and Once keys expire
// by it. The default is core.SystemClock.
func WithClock(c core.Clock) Option {
	return func(s *Store) { s.clock = c }
}

// New returns an empty store.
func New(opts ...Option) *Store {
	s := &Store{
		clock:       core.SystemClock{},
		requests:    make(map[string]*core.Request),
		openOf:      make(index),
		reqOf:       make(index),
		awaiting:    make(index),
		slots:       make(map[slotKey]string),
		windows:     make(map[string]map[string]window),
		assignments: make(map[string]core.Assignment),
		asgOf:       make(index),
		asgFor:      make(index),
		mfa:         make(map[string]*core.MFARecord),
		jobs:        make(map[string]*job),
		copies:      make(map[string]map[string]core.MessageCopy),
		seen:        make(map[string]time.Time),
		leases:      make(map[string]lease),
		leaseTokens: make(map[string]int64),
		cursors:     make(map[string]int64),
		rv:          newReviews(),
		alerts:      make(map[string]*core.Alert),
	}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Request returns a copy of the request with the given id, or ENOTFOUND.
func (s *Store) Request(ctx context.Context, id string) (*core.Request, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.requests[id]
	if !ok {
		return nil, core.Errorf(core.ENOTFOUND, "No request %q.", id)
	}
	return r.Clone(), nil
}

// Requests returns copies of the requests with the given ids, nil for
// each that is not stored.
func (s *Store) Requests(ctx context.Context, ids []string) ([]*core.Request, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*core.Request, len(ids))
	for i, id := range ids {
		if r, ok := s.requests[id]; ok {
			out[i] = r.Clone()
		}
	}
	return out, nil
}

// OpenRequestsOf returns copies of principal's requests whose state is not
// final, oldest first (by CreatedAt, then ID).
func (s *Store) OpenRequestsOf(ctx context.Context, principal string) ([]*core.Request, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requestsOf(s.openOf, principal), nil
}

// RequestsOf returns copies of up to limit of principal's requests, final
// ones included, in the order of their positions, after from.
func (s *Store) RequestsOf(ctx context.Context, principal string, from core.RequestPos, limit int) ([]*core.Request, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []*core.Request{}
	for id := range s.reqOf[principal] {
		if r := s.requests[id]; core.PosOf(r).After(from) {
			out = append(out, r)
		}
	}
	sort.Slice(out, func(i, j int) bool { return core.PosOf(out[j]).After(core.PosOf(out[i])) })
	out = out[:min(limit, len(out))]
	for i, r := range out {
		out[i] = r.Clone()
	}
	return out, nil
}

// IndexRequests adds each of reqs that is still stored to its principal's history.
func (s *Store) IndexRequests(ctx context.Context, reqs []*core.Request) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range reqs {
		if stored, ok := s.requests[r.ID]; ok {
			s.reqOf.add(stored.Principal, stored.ID)
		}
	}
	return nil
}

// AwaitingApproval returns copies of the requests of roles pending
// approval, oldest first.
func (s *Store) AwaitingApproval(ctx context.Context, roles ...string) ([]*core.Request, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requestsOf(s.awaiting, roles...), nil
}

// requestsOf returns copies of the requests idx lists under names, oldest first.
func (s *Store) requestsOf(idx index, names ...string) []*core.Request {
	out := []*core.Request{}
	for _, n := range names {
		for id := range idx[n] {
			out = append(out, s.requests[id].Clone())
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].CreatedAt.Equal(out[j].CreatedAt) {
			return out[i].CreatedAt.Before(out[j].CreatedAt)
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// Window returns the principal's live window for role, or ENOTFOUND when
// there is none or its TTL has run out.
func (s *Store) Window(ctx context.Context, principal, role string) (*core.Window, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.Now()
	s.purgeWindows(role, now)
	w, ok := s.windows[role][principal]
	if !ok {
		return nil, core.Errorf(core.ENOTFOUND, "%s does not hold %s.", principal, role)
	}
	out := w.Window
	return &out, nil
}

// Windows returns every live window of role, sorted by principal.
func (s *Store) Windows(ctx context.Context, role string) ([]core.Window, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.purgeWindows(role, s.clock.Now())
	out := make([]core.Window, 0, len(s.windows[role]))
	for _, w := range s.windows[role] {
		out = append(out, w.Window)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Principal < out[j].Principal })
	return out, nil
}

// purgeWindows drops the windows of role whose TTL ran out by now. Expiry is
// lazy, as with Redis keys: a window is gone once it is past its TTL,
// whether or not it has been purged yet.
func (s *Store) purgeWindows(role string, now time.Time) {
	for p, w := range s.windows[role] {
		if !now.Before(w.expires) {
			delete(s.windows[role], p)
		}
	}
	if len(s.windows[role]) == 0 {
		delete(s.windows, role)
	}
}

// AssignmentsByPrincipal returns principal's assignments, sorted by key.
func (s *Store) AssignmentsByPrincipal(ctx context.Context, principal string) ([]core.Assignment, error) {
	as, _, err := s.assignmentsIn(ctx, s.asgOf, principal)
	return as, err
}

// AssignmentsByRole returns role's assignments, sorted by key, and the holders revision.
func (s *Store) AssignmentsByRole(ctx context.Context, role string) ([]core.Assignment, int64, error) {
	return s.assignmentsIn(ctx, s.asgFor, role)
}

// assignmentsIn returns the assignments idx lists under name, sorted by
// key, and the holders revision.
func (s *Store) assignmentsIn(ctx context.Context, idx index, name string) ([]core.Assignment, int64, error) {
	if err := ctx.Err(); err != nil {
		return nil, 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]core.Assignment, 0, len(idx[name]))
	for k := range idx[name] {
		out = append(out, s.assignments[k])
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key() < out[j].Key() })
	return out, s.holdersRev, nil
}

// AssignmentsByKey returns the stored assignments among keys, in the order
// of keys, and the holders revision.
func (s *Store) AssignmentsByKey(ctx context.Context, keys ...string) ([]core.Assignment, int64, error) {
	if err := ctx.Err(); err != nil {
		return nil, 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []core.Assignment{}
	for _, k := range keys {
		if a, ok := s.assignments[k]; ok {
			out = append(out, a)
		}
	}
	return out, s.holdersRev, nil
}

// MFA returns a copy of the principal's MFA record, or ENOTFOUND.
func (s *Store) MFA(ctx context.Context, principal string) (*core.MFARecord, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.mfa[principal]
	if !ok {
		return nil, core.Errorf(core.ENOTFOUND, "%s has not enrolled in MFA.", principal)
	}
	return cloneMFA(r), nil
}

// AuditRange returns copies of up to limit events after the sequence
// number after. Events are numbered from 1 without gaps, so event n is at
// index n-1-trimmed (the events up to the checkpoint were trimmed).
func (s *Store) AuditRange(ctx context.Context, after int64, limit int) ([]core.AuditEvent, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := core.ValidateAuditRange(after, limit); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	from := max(after-s.checkpoint.Seq, 0)
	if from >= int64(len(s.audit)) {
		return nil, nil
	}
	end := min(int64(len(s.audit)), from+int64(limit))
	return append([]core.AuditEvent(nil), s.audit[from:end]...), nil
}

// AuditHead returns the head, the zero AuditHead when the log is empty.
func (s *Store) AuditHead(ctx context.Context) (core.AuditHead, error) {
	if err := ctx.Err(); err != nil {
		return core.AuditHead{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.head, nil
}

// cloneMFA returns a deep copy of r.
func cloneMFA(r *core.MFARecord) *core.MFARecord {
	c := *r
	c.Sealed = append([]byte(nil), r.Sealed...)
	return &c
}

// index lists, under a name (a principal or a role), the ids of the things
// that belong to it, so that reads about one name never visit the others.
type index map[string]map[string]struct{}

func (x index) add(name, id string) {
	ids := x[name]
	if ids == nil {
		ids = make(map[string]struct{})
		x[name] = ids
	}
	ids[id] = struct{}{}
}

func (x index) remove(name, id string) {
	delete(x[name], id)
	if len(x[name]) == 0 {
		delete(x, name)
	}
}
