package core_test

import (
	"context"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/elevate-pim/elevate/core"
	"github.com/elevate-pim/elevate/core/clocktest"
	"github.com/elevate-pim/elevate/core/totp"
	"github.com/elevate-pim/elevate/store/memory"
)

// t0 is the fixed start of every test's clock.
var t0 = time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)

// harness is a service on the memory store and a manual clock, with the
// events it published recorded.
type harness struct {
	svc   *core.Service
	store core.Store
	clock *clocktest.Clock
	dir   *core.Directory

	mu     sync.Mutex
	events []core.Event
}

// testDirectory is a small team: alice requests; bob and carol approve
// prod-db (quorum 1) and both are needed for vault (quorum 2); dana is admin.
func testDirectory() *core.Directory {
	p := func(id string) *core.Principal {
		return &core.Principal{ID: id, Name: id, IDs: map[string]string{"console": id}}
	}
	return &core.Directory{
		Principals: map[string]*core.Principal{"alice": p("alice"), "bob": p("bob"), "carol": p("carol"), "dana": p("dana"), "erin": p("erin"), "mallory": p("mallory")},
		Groups:     map[string]*core.Group{"dba": {Name: "dba", Members: []string{"bob", "carol", "alice"}}},
		Roles: map[string]*core.Role{
			"prod-db": {Name: "prod-db", Policy: core.Policy{Eligibility: core.ExpiryRule{AllowPermanent: true},
				MaxDuration: 4 * time.Hour, DefaultDuration: time.Hour, MaxLeadTime: 24 * time.Hour,
				RequireJustification: true, JustificationMinLen: 10,
				RequireTicket: true, TicketPattern: regexp.MustCompile(`^INC-[0-9]+$`),
				Approval: core.ApprovalRule{Required: true, ApproverGroups: []string{"dba"}, MinApprovals: 1, Timeout: 2 * time.Hour,
					Escalation: core.Escalation{After: time.Hour, Approvers: []string{"dana"}}},
				Extension: core.ExtensionRule{Allowed: true, MaxTotal: time.Hour},
			}},
			"vault": {Name: "vault", Policy: core.Policy{Eligibility: core.ExpiryRule{AllowPermanent: true}, MaxDuration: time.Hour, DefaultDuration: 30 * time.Minute,
				Approval: core.ApprovalRule{Required: true, Approvers: []string{"bob", "carol"}, MinApprovals: 2}}},
			"staging": {Name: "staging", Policy: core.Policy{Eligibility: core.ExpiryRule{AllowPermanent: true}, MaxDuration: 8 * time.Hour, DefaultDuration: 2 * time.Hour, MaxLeadTime: 24 * time.Hour}},
			"billing": {Name: "billing", Policy: core.Policy{Eligibility: core.ExpiryRule{AllowPermanent: true}, MaxDuration: time.Hour, DefaultDuration: time.Hour, RequireMFA: true}},
			"admin": {Name: "admin", Policy: core.Policy{MaxDuration: time.Hour, DefaultDuration: time.Hour,
				Assignment: core.ExpiryRule{AllowPermanent: true}, Eligibility: core.ExpiryRule{AllowPermanent: true}}},
			"reader": {Name: "reader", Policy: core.Policy{MaxDuration: time.Hour, DefaultDuration: time.Hour, Assignment: core.ExpiryRule{AllowPermanent: true}}},
		},
		AdminRole:  "admin",
		ReaderRole: "reader",
	}
}

// newHarness builds the service; targets, when given, are the roles' targets.
func newHarness(t *testing.T, targets ...core.Targets) *harness {
	t.Helper()
	return newHarnessWith(t, func(cfg *core.Config) {
		if len(targets) > 0 {
			cfg.Targets = targets[0]
		}
	})
}

// newHarnessWith builds the service on the memory store, after adjust
// has changed its config (and, through cfg.Directory, the directory).
func newHarnessWith(t *testing.T, adjust func(cfg *core.Config)) *harness {
	t.Helper()
	clock := clocktest.New(t0)
	return newHarnessOn(t, clock, memory.New(memory.WithClock(clock)), adjust)
}

// newHarnessOn builds the service on st, which tells time by clock.
func newHarnessOn(t *testing.T, clock *clocktest.Clock, st core.Store, adjust func(cfg *core.Config)) *harness {
	t.Helper()
	h := &harness{clock: clock, dir: testDirectory(), store: st}
	cfg := core.Config{
		Store: h.store, Directory: h.dir, Clock: h.clock, OTP: totp.TOTP{}, MFAKey: make([]byte, 32),
		Events: core.EventSinkFunc(func(_ context.Context, e core.Event) {
			h.mu.Lock()
			defer h.mu.Unlock()
			h.events = append(h.events, e)
		}),
	}
	if adjust != nil {
		adjust(&cfg)
	}
	svc, err := core.NewService(cfg)
	if err != nil {
		t.Fatal(err)
	}
	h.svc = svc
	if err := svc.Alerts().Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	eligible := func(p, r string) core.Assignment {
		return core.Assignment{Kind: core.Eligible, Principal: p, Role: r, Permanent: true}
	}
	err = svc.SeedAssignments(context.Background(), []core.Assignment{
		eligible("alice", "prod-db"), eligible("alice", "vault"), eligible("alice", "staging"), eligible("alice", "billing"),
		eligible("bob", "staging"),
		{Kind: core.Active, Principal: "dana", Role: "admin", Permanent: true},
		{Kind: core.Active, Principal: "erin", Role: "reader", Permanent: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func as(p string) core.Caller { return core.Caller{Principal: p, Source: "test"} }

// prodDB is a complete prod-db request.
func prodDB() core.ActivationInput {
	return core.ActivationInput{Role: "prod-db", Duration: 2 * time.Hour, Justification: "fixing replication lag", Ticket: "INC-4411"}
}

func (h *harness) mustRequest(t *testing.T, c core.Caller, in core.ActivationInput) *core.Request {
	t.Helper()
	r, err := h.svc.RequestActivation(context.Background(), c, in)
	if err != nil {
		t.Fatalf("request %s: %v", in.Role, err)
	}
	return r
}

func (h *harness) mustGet(t *testing.T, id string) *core.Request {
	t.Helper()
	r, err := h.store.Request(context.Background(), id)
	if err != nil {
		t.Fatalf("get %s: %v", id, err)
	}
	return r
}

// advance moves the clock and runs the jobs that came due.
func (h *harness) advance(t *testing.T, d time.Duration) {
	t.Helper()
	h.clock.Advance(d)
	if _, err := h.svc.RunDue(context.Background()); err != nil {
		t.Fatalf("run due: %v", err)
	}
}

// kinds returns the kinds of events published for request id.
func (h *harness) kinds(id string) []core.EventKind {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []core.EventKind
	for _, e := range h.events {
		if e.Request != nil && e.Request.ID == id {
			out = append(out, e.Kind)
		}
	}
	return out
}

// actions returns the audit actions recorded for request id.
func (h *harness) actions(t *testing.T, id string) []string {
	t.Helper()
	events, head, err := core.ReadAudit(context.Background(), h.store, core.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if err := core.VerifyAudit(events, head); err != nil {
		t.Fatalf("audit chain: %v", err)
	}
	var out []string
	for _, e := range events {
		if e.RequestID == id {
			out = append(out, e.Action)
		}
	}
	return out
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := core.ErrorCode(err); got != code {
		t.Fatalf("error code = %q (%v), want %q", got, err, code)
	}
}

func holds(t *testing.T, h *harness, p, r string) bool {
	t.Helper()
	ok, _, err := h.svc.Holds(context.Background(), p, r)
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

// alert returns the stored alert of kind and scope, failing when there is none.
func (h *harness) alert(t *testing.T, kind core.AlertKind, scope string) core.Alert {
	t.Helper()
	all, err := h.store.Alerts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range all {
		if a.ID == core.AlertID(kind, scope) {
			return a
		}
	}
	t.Fatalf("no %s alert for %q among %d", kind, scope, len(all))
	return core.Alert{}
}
