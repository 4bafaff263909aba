package core_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/elevate-pim/elevate/core"
	"github.com/elevate-pim/elevate/core/clocktest"
	"github.com/elevate-pim/elevate/core/totp"
	"github.com/elevate-pim/elevate/store/memory"
)

// countingStore is a core.Store that counts what its reads return: one
// per call plus one per record, the keys a Redis store would touch.
type countingStore struct {
	core.Store
	mu   sync.Mutex
	read int
}

func (s *countingStore) count(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.read += 1 + n
}

func (s *countingStore) reads() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.read
}

func (s *countingStore) Request(ctx context.Context, id string) (*core.Request, error) {
	s.count(1)
	return s.Store.Request(ctx, id)
}

func (s *countingStore) OpenRequestsOf(ctx context.Context, p string) ([]*core.Request, error) {
	rs, err := s.Store.OpenRequestsOf(ctx, p)
	s.count(len(rs))
	return rs, err
}

func (s *countingStore) AwaitingApproval(ctx context.Context, roles ...string) ([]*core.Request, error) {
	rs, err := s.Store.AwaitingApproval(ctx, roles...)
	s.count(len(roles) + len(rs))
	return rs, err
}

func (s *countingStore) Window(ctx context.Context, p, r string) (*core.Window, error) {
	s.count(1)
	return s.Store.Window(ctx, p, r)
}

func (s *countingStore) Holding(ctx context.Context, p, r string) (*core.Window, *core.Assignment, error) {
	s.count(2)
	return s.Store.Holding(ctx, p, r)
}

func (s *countingStore) Windows(ctx context.Context, r string) ([]core.Window, error) {
	ws, err := s.Store.Windows(ctx, r)
	s.count(len(ws))
	return ws, err
}

func (s *countingStore) AssignmentsByPrincipal(ctx context.Context, p string) ([]core.Assignment, error) {
	as, err := s.Store.AssignmentsByPrincipal(ctx, p)
	s.count(len(as))
	return as, err
}

func (s *countingStore) AssignmentsByRole(ctx context.Context, r string) ([]core.Assignment, int64, error) {
	as, rev, err := s.Store.AssignmentsByRole(ctx, r)
	s.count(len(as))
	return as, rev, err
}

func (s *countingStore) AssignmentsByKey(ctx context.Context, keys ...string) ([]core.Assignment, int64, error) {
	as, rev, err := s.Store.AssignmentsByKey(ctx, keys...)
	s.count(len(keys))
	return as, rev, err
}

func (s *countingStore) AssignmentsOf(ctx context.Context, p, r string) ([]core.Assignment, error) {
	as, err := s.Store.AssignmentsOf(ctx, p, r)
	s.count(2)
	return as, err
}

// crowd is a service whose store holds, besides alice's few assignments and
// requests, those of n other principals: each eligible for 5 of 50 roles and
// holding one of them now, and each waiting for carol's approval of "audit"
// (bob approves only "gated", where alice waits).
func crowd(t *testing.T, n int) (*core.Service, *countingStore) {
	t.Helper()
	clock := clocktest.New(t0)
	dir := &core.Directory{Principals: map[string]*core.Principal{}, Roles: map[string]*core.Role{}, AdminRole: "admin"}
	open := core.Policy{MaxDuration: time.Hour, DefaultDuration: time.Hour, Eligibility: core.ExpiryRule{AllowPermanent: true}, Assignment: core.ExpiryRule{AllowPermanent: true}}
	gated := func(approver string) core.Policy {
		p := open
		p.Approval = core.ApprovalRule{Required: true, Approvers: []string{approver}, MinApprovals: 1, Timeout: time.Hour}
		return p
	}
	dir.Roles["admin"] = &core.Role{Name: "admin", Policy: open}
	dir.Roles["gated"] = &core.Role{Name: "gated", Policy: gated("bob")}
	dir.Roles["audit"] = &core.Role{Name: "audit", Policy: gated("carol")}
	dir.Roles["solo"] = &core.Role{Name: "solo", Policy: open}
	for i := range 50 {
		name := fmt.Sprintf("r%d", i)
		dir.Roles[name] = &core.Role{Name: name, Policy: open}
	}
	var seed []core.Assignment
	eligible := func(p, r string) {
		seed = append(seed, core.Assignment{Kind: core.Eligible, Principal: p, Role: r, Permanent: true})
	}
	for _, p := range []string{"alice", "bob", "carol", "dana"} {
		dir.Principals[p] = &core.Principal{ID: p, Name: p}
	}
	seed = append(seed, core.Assignment{Kind: core.Active, Principal: "dana", Role: "admin", Permanent: true})
	eligible("alice", "r1")
	eligible("alice", "gated")
	eligible("alice", "solo")
	others := make([]string, n)
	for i := range n {
		p := fmt.Sprintf("p%d", i)
		others[i] = p
		dir.Principals[p] = &core.Principal{ID: p, Name: p}
		for k := range 5 {
			eligible(p, fmt.Sprintf("r%d", (i+k)%50))
		}
		eligible(p, "audit")
		eligible(p, "gated")
	}
	counter := &countingStore{Store: memory.New(memory.WithClock(clock))}
	svc, err := core.NewService(core.Config{Store: counter, Directory: dir, Clock: clock, OTP: totp.TOTP{}, MFAKey: make([]byte, 32)})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := svc.SeedAssignments(ctx, seed); err != nil {
		t.Fatal(err)
	}
	for i, p := range others {
		c := core.Caller{Principal: p, Source: "test"}
		if _, err := svc.RequestActivation(ctx, c, core.ActivationInput{Role: fmt.Sprintf("r%d", i%50)}); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.RequestActivation(ctx, c, core.ActivationInput{Role: "audit"}); err != nil {
			t.Fatal(err)
		}
	}
	alice := core.Caller{Principal: "alice", Source: "test"}
	if _, err := svc.RequestActivation(ctx, alice, core.ActivationInput{Role: "r1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.RequestActivation(ctx, alice, core.ActivationInput{Role: "gated"}); err != nil {
		t.Fatal(err)
	}
	return svc, counter
}

// TestReadsDoNotGrowWithOthersData is the proof that status, menus,
// autocomplete, who, eligibility and check read by index: what each of
// them reads from the store is the same whether 10 or 1 000 other
// principals (with 7 assignments and 2 requests each) are stored.
func TestReadsDoNotGrowWithOthersData(t *testing.T) {
	ctx := context.Background()
	alice := core.Caller{Principal: "alice", Source: "test"}
	bob := core.Caller{Principal: "bob", Source: "test"}
	dana := core.Caller{Principal: "dana", Source: "test"}
	reads := []struct {
		name string
		read func(svc *core.Service) error
	}{
		{"status", func(svc *core.Service) error { _, err := svc.StatusOf(ctx, alice); return err }},
		{"status of an approver", func(svc *core.Service) error {
			st, err := svc.StatusOf(ctx, bob)
			if err == nil && len(st.ToApprove) != 1 {
				err = fmt.Errorf("bob may decide %d requests, want alice's one", len(st.ToApprove))
			}
			return err
		}},
		{"role menu", func(svc *core.Service) error { _, err := svc.EligibleRoles(ctx, "alice"); return err }},
		{"open request by role", func(svc *core.Service) error { _, err := svc.FindOpen(ctx, alice, "gated"); return err }},
		{"who", func(svc *core.Service) error { _, err := svc.WhoHas(ctx, dana, "solo"); return err }},
		{"check", func(svc *core.Service) error { _, _, err := svc.Holds(ctx, "alice", "r1"); return err }},
		{"eligibility", func(svc *core.Service) error {
			_, err := svc.RequestActivation(ctx, alice, core.ActivationInput{Role: "solo"})
			return err
		}},
	}
	counts := map[int][]int{}
	for _, n := range []int{10, 1000} {
		svc, counter := crowd(t, n)
		for _, r := range reads {
			before := counter.reads()
			if err := r.read(svc); err != nil {
				t.Fatalf("%s with %d others: %v", r.name, n, err)
			}
			counts[n] = append(counts[n], counter.reads()-before)
		}
	}
	for i, r := range reads {
		small, large := counts[10][i], counts[1000][i]
		if large != small || large > 40 {
			t.Errorf("%s read %d records with 10 others and %d with 1000: it must read only alice's (or the role's) own", r.name, small, large)
		}
	}
}

// TestReplicasSeedingAtOnceWriteEachOnce: two replicas starting together
// seed the same 2 000 assignments; each is written and audited once, and
// seeding again writes nothing.
func TestReplicasSeedingAtOnceWriteEachOnce(t *testing.T) {
	clock := clocktest.New(t0)
	dir := &core.Directory{Principals: map[string]*core.Principal{}, Roles: map[string]*core.Role{
		"db": {Name: "db", Policy: core.Policy{MaxDuration: time.Hour, Eligibility: core.ExpiryRule{AllowPermanent: true}}},
	}}
	var seed []core.Assignment
	for i := range 2000 {
		p := fmt.Sprintf("p%d", i)
		dir.Principals[p] = &core.Principal{ID: p}
		seed = append(seed, core.Assignment{Kind: core.Eligible, Principal: p, Role: "db", Permanent: true})
	}
	st := memory.New(memory.WithClock(clock))
	replica := func() *core.Service {
		svc, err := core.NewService(core.Config{Store: st, Directory: dir, Clock: clock, OTP: totp.TOTP{}, MFAKey: make([]byte, 32)})
		if err != nil {
			t.Fatal(err)
		}
		return svc
	}
	a, b := replica(), replica()
	var wg sync.WaitGroup
	for _, svc := range []*core.Service{a, b} {
		wg.Go(func() {
			if err := svc.SeedAssignments(context.Background(), seed); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	audited := func() int {
		events, _, err := core.ReadAudit(context.Background(), st, core.AuditFilter{})
		if err != nil {
			t.Fatal(err)
		}
		return len(events)
	}
	if n := audited(); n != len(seed) {
		t.Fatalf("%d assign_from_config events for %d assignments seeded by two replicas at once", n, len(seed))
	}
	if as, _, _ := st.AssignmentsByRole(context.Background(), "db"); len(as) != len(seed) {
		t.Fatalf("%d assignments stored, want %d", len(as), len(seed))
	}
	if err := a.SeedAssignments(context.Background(), seed); err != nil {
		t.Fatal(err)
	}
	if n := audited(); n != len(seed) {
		t.Fatalf("seeding again audited %d more", n-len(seed))
	}
}
