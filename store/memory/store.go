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
	open        map[string]struct{}          // ids of requests whose state is not final
	slots       map[slotKey]string           // (principal, role) → request id holding the slot
	windows     map[string]map[string]window // role → principal → window
	assignments map[string]core.Assignment   // by Assignment.Key
	holdersRev  int64
	mfa         map[string]*core.MFARecord             // by principal
	jobs        map[string]*job                        // by Job.ID
	copies      map[string]map[string]core.MessageCopy // request id → copy key → copy
	alerts      map[string]*core.Alert                 // by id
	audit       []core.AuditEvent
	head        core.AuditHead
	seen        map[string]time.Time // Once keys → when they may be seen again
	seenSweep   int                  // len(seen) at which expired keys are next swept
	leases      map[string]lease     // held leases by name
	leaseTokens map[string]int64     // the last fencing token given per lease name
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
		open:        make(map[string]struct{}),
		slots:       make(map[slotKey]string),
		windows:     make(map[string]map[string]window),
		assignments: make(map[string]core.Assignment),
		mfa:         make(map[string]*core.MFARecord),
		jobs:        make(map[string]*job),
		copies:      make(map[string]map[string]core.MessageCopy),
		seen:        make(map[string]time.Time),
		leases:      make(map[string]lease),
		leaseTokens: make(map[string]int64),
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

// OpenRequests returns copies of every request whose state is not final,
// oldest first (by CreatedAt, then ID).
func (s *Store) OpenRequests(ctx context.Context) ([]*core.Request, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*core.Request, 0, len(s.open))
	for id := range s.open {
		out = append(out, s.requests[id].Clone())
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].CreatedAt.Equal(out[j].CreatedAt) {
			return out[i].CreatedAt.Before(out[j].CreatedAt)
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
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

// Assignments returns every assignment, sorted by key, and the holders revision.
func (s *Store) Assignments(ctx context.Context) ([]core.Assignment, int64, error) {
	if err := ctx.Err(); err != nil {
		return nil, 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]core.Assignment, 0, len(s.assignments))
	for _, a := range s.assignments {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key() < out[j].Key() })
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

// Audit returns every audit event in append order, and the head
// (the zero AuditHead when the log is empty).
func (s *Store) Audit(ctx context.Context) ([]core.AuditEvent, core.AuditHead, error) {
	if err := ctx.Err(); err != nil {
		return nil, core.AuditHead{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]core.AuditEvent(nil), s.audit...), s.head, nil
}

// cloneMFA returns a deep copy of r.
func cloneMFA(r *core.MFARecord) *core.MFARecord {
	c := *r
	c.Sealed = append([]byte(nil), r.Sealed...)
	return &c
}
