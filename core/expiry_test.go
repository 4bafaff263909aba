package core_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/elevate-pim/elevate/core"
	"github.com/elevate-pim/elevate/core/clocktest"
	"github.com/elevate-pim/elevate/store/memory"
)

// completionStore is a core.Store that counts CompleteJob calls by job kind.
type completionStore struct {
	core.Store
	mu        sync.Mutex
	completed map[core.JobKind]int
}

func (s *completionStore) CompleteJob(ctx context.Context, j core.Job) error {
	s.mu.Lock()
	s.completed[j.Kind]++
	s.mu.Unlock()
	return s.Store.CompleteJob(ctx, j)
}

// TestExpiryCompletesItsJobInItsChange: the Change that expires a window
// unschedules its expire job, so the scheduler makes no separate call to
// complete it (one round trip less for each of thousands of expiries),
// and the job is gone from the schedule.
func TestExpiryCompletesItsJobInItsChange(t *testing.T) {
	clock := clocktest.New(t0)
	st := &completionStore{Store: memory.New(memory.WithClock(clock)), completed: map[core.JobKind]int{}}
	h := newHarnessOn(t, clock, st, nil)
	r := h.mustRequest(t, as("bob"), core.ActivationInput{Role: "staging", Duration: time.Hour})
	if r.State != core.StateActive {
		t.Fatalf("state = %s, want Active", r.State)
	}
	h.advance(t, time.Hour+time.Second)
	if got := h.mustGet(t, r.ID).State; got != core.Expired {
		t.Fatalf("state after the end = %s, want Expired", got)
	}
	if n := st.completed[core.JobExpire]; n != 0 {
		t.Errorf("CompleteJob called %d times for the expire job, want 0", n)
	}
	jobs, err := st.Jobs(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, j := range jobs {
		if j.Kind == core.JobExpire && j.Ref == r.ID {
			t.Fatalf("expire job %s still scheduled: %+v", j.ID(), j)
		}
	}
}

// groupStore counts the Applies that close windows, and can hand out one
// request a version behind, as if another writer had changed it between
// the read and the write.
type groupStore struct {
	core.Store
	mu         sync.Mutex
	closing    []int // windows closed by each Apply that closed any
	stale      string
	completing int // CompleteJobs calls
	completed  int // CompleteJob calls
}

func (s *groupStore) CompleteJob(ctx context.Context, j core.Job) error {
	s.mu.Lock()
	s.completed++
	s.mu.Unlock()
	return s.Store.CompleteJob(ctx, j)
}

func (s *groupStore) CompleteJobs(ctx context.Context, jobs []core.Job) error {
	s.mu.Lock()
	s.completing++
	s.mu.Unlock()
	return s.Store.CompleteJobs(ctx, jobs)
}

func (s *groupStore) Apply(ctx context.Context, c core.Change) error {
	err := s.Store.Apply(ctx, c)
	if err == nil && len(c.CloseWindows) > 0 {
		s.mu.Lock()
		s.closing = append(s.closing, len(c.CloseWindows))
		s.mu.Unlock()
	}
	return err
}

func (s *groupStore) Requests(ctx context.Context, ids []string) ([]*core.Request, error) {
	reqs, err := s.Store.Requests(ctx, ids)
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range reqs {
		if r != nil && r.ID == s.stale {
			r.Version--
			s.stale = ""
		}
	}
	return reqs, err
}

// TestWindowsEndingTogetherExpireInGroups: 200 windows ending at once are
// ended by a few Changes of up to 64 windows each, not 200, and each is
// revoked once and audited as expired once. When one request of a group
// changed between the read and the write, the group's Change is refused
// and its windows are expired one by one, still exactly once.
func TestWindowsEndingTogetherExpireInGroups(t *testing.T) {
	for _, stale := range []bool{false, true} {
		t.Run(map[bool]string{false: "together", true: "one changed meanwhile"}[stale], func(t *testing.T) {
			const n = 200
			clock := clocktest.New(t0)
			st := &groupStore{Store: memory.New(memory.WithClock(clock))}
			ft := &fakeTarget{}
			h, ids := windowsEndingTogether(t, clock, st, ft, n)
			if stale {
				st.stale = ids[n/2]
			}
			h.advance(t, time.Hour+time.Second)

			for _, id := range ids {
				if got := h.mustGet(t, id).State; got != core.Expired {
					t.Fatalf("%s is %s after its end, want Expired", id, got)
				}
			}
			revoked := map[string]int{}
			for _, id := range ft.revokes {
				revoked[id]++
			}
			expired := map[string]int{}
			if _, err := core.ScanAudit(context.Background(), st, 0, func(e *core.AuditEvent) error {
				if e.Action == "expire" {
					expired[e.RequestID]++
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			for _, id := range ids {
				if revoked[id] != 1 || expired[id] != 1 {
					t.Errorf("%s revoked %d times, audited as expired %d times; want once each", id, revoked[id], expired[id])
				}
			}
			for _, c := range st.closing {
				if c > 64 {
					t.Errorf("one Change closed %d windows, more than a group", c)
				}
			}
			if want := (n + 63) / 64; !stale && len(st.closing) > want {
				t.Errorf("%d Changes closed the windows (%v), want at most %d", len(st.closing), st.closing, want)
			}
			if stale && len(st.closing) < (n+63)/64+63 {
				t.Errorf("%d Changes closed the windows (%v): the group with the changed request was not expired one by one", len(st.closing), st.closing)
			}
		})
	}
}

// windowsEndingTogether opens n staging windows of an hour, for n
// principals of their own, on a service whose staging target is target.
func windowsEndingTogether(t *testing.T, clock *clocktest.Clock, st core.Store, target core.Target, n int) (*harness, []string) {
	t.Helper()
	h := newHarnessOn(t, clock, st, func(cfg *core.Config) {
		cfg.Targets = targetMap{"staging": {target}}
		for i := range n {
			id := fmt.Sprintf("p%d", i)
			cfg.Directory.Principals[id] = &core.Principal{ID: id, Name: id}
		}
	})
	var seed []core.Assignment
	for i := range n {
		seed = append(seed, core.Assignment{Kind: core.Eligible, Principal: fmt.Sprintf("p%d", i), Role: "staging", Permanent: true})
	}
	if err := h.svc.SeedAssignments(context.Background(), seed); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for i := range n {
		ids = append(ids, h.mustRequest(t, as(fmt.Sprintf("p%d", i)), core.ActivationInput{Role: "staging", Duration: time.Hour}).ID)
	}
	return h, ids
}

// gateTarget holds every revoke until released, counting how many are in
// flight at once.
type gateTarget struct {
	fakeTarget
	release  chan struct{}
	inflight atomic.Int32
	most     atomic.Int32
}

func (g *gateTarget) Revoke(ctx context.Context, gr core.Grant) error {
	n := g.inflight.Add(1)
	defer g.inflight.Add(-1)
	for {
		m := g.most.Load()
		if n <= m || g.most.CompareAndSwap(m, n) {
			break
		}
	}
	<-g.release
	return g.fakeTarget.Revoke(ctx, gr)
}

// TestTargetCallsAreBounded: 100 windows ending together are revoked
// concurrently, but one target never gets more than 16 calls at once from
// a replica, however many scheduler workers are free.
func TestTargetCallsAreBounded(t *testing.T) {
	clock := clocktest.New(t0)
	g := &gateTarget{release: make(chan struct{})}
	h, ids := windowsEndingTogether(t, clock, memory.New(memory.WithClock(clock)), g, 100)
	clock.Advance(time.Hour + time.Second)
	done := make(chan error, 1)
	go func() {
		_, err := h.svc.RunDue(context.Background())
		done <- err
	}()
	deadline := time.Now().Add(10 * time.Second)
	for g.inflight.Load() < 16 {
		if time.Now().After(deadline) {
			t.Fatalf("only %d revokes in flight at once", g.inflight.Load())
		}
		time.Sleep(time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond) // room for any call beyond the bound to arrive
	if m := g.most.Load(); m != 16 {
		t.Errorf("at most %d revokes were in flight at once, want 16", m)
	}
	close(g.release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if len(g.revokes) != len(ids) {
		t.Fatalf("%d revokes for %d windows", len(g.revokes), len(ids))
	}
}

// TestRunJobsAreCompletedInBatches: the jobs the scheduler runs when 200
// windows end together (their revokes and notices, and the warnings that
// came due with them) are completed by a few store calls, not one each;
// and none is left scheduled.
func TestRunJobsAreCompletedInBatches(t *testing.T) {
	const n = 200
	clock := clocktest.New(t0)
	st := &groupStore{Store: memory.New(memory.WithClock(clock))}
	ft := &fakeTarget{}
	h, ids := windowsEndingTogether(t, clock, st, ft, n)
	st.mu.Lock()
	st.completing, st.completed = 0, 0 // the activations' own
	st.mu.Unlock()
	h.advance(t, time.Hour+time.Second)
	if len(ft.revokes) != n {
		t.Fatalf("%d revokes for %d windows", len(ft.revokes), n)
	}
	jobs, err := st.Jobs(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, j := range jobs {
		if j.Kind == core.JobRevoke || j.Kind == core.JobNotify || (j.Kind != core.JobPurge && slices.Contains(ids, j.Ref)) {
			t.Errorf("job %s still scheduled after it ran", j.ID())
		}
	}
	if st.completed > 10 || st.completing == 0 || st.completing > 40 {
		t.Errorf("%d CompleteJob and %d CompleteJobs calls for %d windows' jobs; want a few CompleteJobs", st.completed, st.completing, n)
	}
}
