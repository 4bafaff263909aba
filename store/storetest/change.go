package storetest

import (
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/elevate-pim/elevate/core"
)

// testInvalidChange checks that a malformed Change is EINVALID and applies nothing.
func testInvalidChange(t *testing.T, s core.Store) {
	valid := core.RequestWrite{Request: newRequest("r-valid", "alice", "prod-db"), Expect: 0}
	noID := newRequest("", "alice", "prod-db")
	tests := []struct {
		name string
		c    core.Change
	}{
		{"nil request", core.Change{Requests: []core.RequestWrite{valid, {Request: nil}}}},
		{"request without id", core.Change{Requests: []core.RequestWrite{valid, {Request: noID}}}},
		{"window with zero TTL", core.Change{
			Requests:    []core.RequestWrite{valid},
			OpenWindows: []core.WindowWrite{{Window: core.Window{Principal: "alice", Role: "prod-db", RequestID: "r-valid"}, TTL: 0}},
		}},
		{"window with negative TTL", core.Change{
			Requests:    []core.RequestWrite{valid},
			OpenWindows: []core.WindowWrite{{Window: core.Window{Principal: "alice", Role: "prod-db", RequestID: "r-valid"}, TTL: -time.Second}},
		}},
		{"MFA write without record", core.Change{Requests: []core.RequestWrite{valid}, MFA: &core.MFAWrite{}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mustFailApply(t, s, tt.c, core.EINVALID)
			_, err := s.Request(t.Context(), "r-valid")
			wantCode(t, err, core.ENOTFOUND)
			mustNoWindow(t, s, "alice", "prod-db")
		})
	}
}

// snapshot is everything a test can read back from a store.
type snapshot struct {
	Open        []string
	Requests    map[string]*core.Request
	Windows     []core.Window
	Assignments []core.Assignment
	HoldersRev  int64
	MFA         *core.MFARecord
	Jobs        []core.Job
	Audit       []core.AuditEvent
	Head        core.AuditHead
}

// mustSnapshot reads the store's state: the named requests, the windows of
// role, the MFA record of principal, and everything that can be listed.
func mustSnapshot(t *testing.T, s core.Store, role, principal string, requestIDs ...string) snapshot {
	t.Helper()
	snap := snapshot{Open: mustOpenRequestIDs(t, s), Requests: map[string]*core.Request{}}
	for _, id := range requestIDs {
		r, err := s.Request(t.Context(), id)
		if err == nil {
			snap.Requests[id] = r
		} else if core.ErrorCode(err) != core.ENOTFOUND {
			t.Fatalf("Request(%q): %v", id, err)
		}
	}
	var err error
	if snap.Windows, err = s.Windows(t.Context(), role); err != nil {
		t.Fatalf("Windows: %v", err)
	}
	snap.Assignments, snap.HoldersRev = mustAssignments(t, s)
	if snap.MFA, err = s.MFA(t.Context(), principal); err != nil && core.ErrorCode(err) != core.ENOTFOUND {
		t.Fatalf("MFA: %v", err)
	}
	snap.Jobs = mustJobs(t, s)
	snap.Audit, snap.Head = mustAudit(t, s)
	return snap
}

// testChangeIsAtomic checks that a Change with one failing expectation,
// wherever it is, applies none of its writes, and that the same Change
// with every expectation right applies all of them.
func testChangeIsAtomic(t *testing.T, s core.Store) {
	// Alice holds prod-db through request "seed"; bob has nothing yet;
	// carol's request "other" holds her slot.
	seed := newRequest("seed", "alice", "prod-db")
	seed.State = core.StateActive
	other := newRequest("other", "carol", "prod-db")
	eligible := newAssignment(core.Eligible, "alice", "prod-db")
	mustApply(t, s, core.Change{
		Requests: []core.RequestWrite{{Request: seed, Expect: 0}, {Request: other, Expect: 0}},
		Slots: []core.SlotWrite{
			{Principal: "alice", Role: "prod-db", Set: "seed"},
			{Principal: "carol", Role: "prod-db", Set: "other"},
		},
		OpenWindows:    []core.WindowWrite{newWindow("alice", "prod-db", "seed", time.Minute)},
		PutAssignments: []core.Assignment{eligible},
		MFA:            &core.MFAWrite{Record: &core.MFARecord{Principal: "alice", Sealed: []byte("sealed")}},
		Schedule:       []core.Job{{Kind: core.JobExpire, Ref: "seed", Due: time.Now().Add(time.Minute)}},
		Audit:          []core.AuditEvent{newEvent("alice", "activate", "seed")},
	})
	rev := mustHoldersRev(t, s)

	// change returns a Change that ends alice's activation, opens one for bob
	// and touches every other kind of state; break makes one expectation fail.
	change := func(breakIt func(c *core.Change)) core.Change {
		expired := seed.Clone()
		expired.State = core.Expired
		created := newRequest("r-new", "bob", "prod-db")
		created.State = core.StateActive
		holders := rev
		c := core.Change{
			Requests: []core.RequestWrite{{Request: expired, Expect: 1}, {Request: created, Expect: 0}},
			Slots: []core.SlotWrite{
				{Principal: "alice", Role: "prod-db", Expect: "seed", Set: ""},
				{Principal: "bob", Role: "prod-db", Expect: "", Set: "r-new"},
			},
			OpenWindows:       []core.WindowWrite{newWindow("bob", "prod-db", "r-new", time.Minute)},
			CloseWindows:      []core.WindowKey{{Principal: "alice", Role: "prod-db"}},
			PutAssignments:    []core.Assignment{newAssignment(core.Active, "bob", "prod-db")},
			DeleteAssignments: []string{eligible.Key()},
			HoldersRev:        &holders,
			MFA:               &core.MFAWrite{Record: &core.MFARecord{Principal: "alice", Sealed: []byte("resealed"), Failures: 1}, Expect: 1},
			Schedule:          []core.Job{{Kind: core.JobExpire, Ref: "r-new", Due: time.Now().Add(time.Minute)}},
			Unschedule:        []string{core.JobID(core.JobExpire, "seed")},
			Audit:             []core.AuditEvent{newEvent("system", "expire", "seed"), newEvent("bob", "activate", "r-new")},
		}
		if breakIt != nil {
			breakIt(&c)
		}
		return c
	}
	tests := []struct {
		name    string
		breakIt func(c *core.Change)
	}{
		{"stale request version", func(c *core.Change) { c.Requests[0].Expect = 2 }},
		{"request already exists", func(c *core.Change) {
			c.Requests[1].Request.ID, c.Requests[1].Request.Principal = "other", "carol"
		}},
		{"slot held by another request", func(c *core.Change) { c.Slots[0].Expect = "r-elsewhere" }},
		{"slot not free", func(c *core.Change) { c.Slots[1].Principal = "carol" }},
		{"stale holders revision", func(c *core.Change) { stale := rev - 1; c.HoldersRev = &stale }},
		{"future holders revision", func(c *core.Change) { future := rev + 1; c.HoldersRev = &future }},
		{"stale MFA version", func(c *core.Change) { c.MFA.Expect = 2 }},
		{"MFA record already exists", func(c *core.Change) { c.MFA.Expect = 0 }},
	}
	ids := []string{"seed", "other", "r-new"}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := mustSnapshot(t, s, "prod-db", "alice", ids...)
			mustFailApply(t, s, change(tt.breakIt), core.ECONFLICT)
			after := mustSnapshot(t, s, "prod-db", "alice", ids...)
			if !reflect.DeepEqual(after, before) {
				t.Fatalf("a failed change altered the store:\nbefore %+v\n after %+v", before, after)
			}
			// Slots cannot be read, only tested: alice's is still "seed"'s, bob's still free.
			mustApply(t, s, core.Change{Slots: []core.SlotWrite{
				{Principal: "alice", Role: "prod-db", Expect: "seed", Set: "seed"},
				{Principal: "bob", Role: "prod-db", Expect: "", Set: ""},
			}})
		})
	}

	// Unbroken, the same change applies in full: the failures above were
	// the broken expectation's doing alone.
	mustApply(t, s, change(nil))
	after := mustSnapshot(t, s, "prod-db", "alice", ids...)
	wantStrings(t, "open requests", after.Open, []string{"other", "r-new"})
	if r := after.Requests["seed"]; r.State != core.Expired || r.Version != 2 {
		t.Fatalf("seed = %s v%d, want Expired v2", r.State, r.Version)
	}
	if r := after.Requests["r-new"]; r == nil || r.Version != 1 {
		t.Fatalf("r-new = %+v, want version 1", r)
	}
	if len(after.Windows) != 1 || after.Windows[0].Principal != "bob" {
		t.Fatalf("windows = %+v, want bob's only", after.Windows)
	}
	if len(after.Assignments) != 1 || after.Assignments[0].Principal != "bob" || after.HoldersRev != rev+1 {
		t.Fatalf("assignments = %+v rev %d, want bob's only at rev %d", after.Assignments, after.HoldersRev, rev+1)
	}
	if after.MFA.Version != 2 || string(after.MFA.Sealed) != "resealed" {
		t.Fatalf("MFA = %+v, want version 2, resealed", after.MFA)
	}
	wantStrings(t, "jobs", jobIDs(after.Jobs), []string{core.JobID(core.JobExpire, "r-new")})
	if len(after.Audit) != 3 {
		t.Fatalf("audit has %d events, want 3", len(after.Audit))
	}
	mustApply(t, s, core.Change{Slots: []core.SlotWrite{
		{Principal: "alice", Role: "prod-db", Expect: "", Set: ""},
		{Principal: "bob", Role: "prod-db", Expect: "r-new", Set: "r-new"},
	}})
}

// testConcurrentTransition checks that of many writers racing to move one
// request from the same version, exactly one wins and its change alone lands.
func testConcurrentTransition(t *testing.T, s core.Store) {
	const writers = 50
	r := newRequest("r-1", "alice", "prod-db")
	r.State = core.StateActive
	mustApply(t, s, core.Change{
		Requests:    []core.RequestWrite{{Request: r, Expect: 0}},
		Slots:       []core.SlotWrite{{Principal: "alice", Role: "prod-db", Set: "r-1"}},
		OpenWindows: []core.WindowWrite{newWindow("alice", "prod-db", "r-1", time.Minute)},
	})
	read := mustRequest(t, s, "r-1")
	finals := []core.State{core.Expired, core.Revoked, core.Denied, core.Canceled, core.TimedOut, core.Failed}

	var (
		wg      sync.WaitGroup
		start   = make(chan struct{})
		errs    = make([]error, writers)
		changes = make([]*core.Request, writers)
	)
	for i := range writers {
		next := read.Clone()
		next.State = finals[i%len(finals)]
		next.DecidedBy = fmt.Sprintf("actor-%d", i)
		next.Reason = fmt.Sprintf("writer %d", i)
		changes[i] = next
		wg.Go(func() {
			<-start
			errs[i] = s.Apply(t.Context(), core.Change{
				Requests:     []core.RequestWrite{{Request: next, Expect: read.Version}},
				Slots:        []core.SlotWrite{{Principal: "alice", Role: "prod-db", Expect: "r-1", Set: ""}},
				CloseWindows: []core.WindowKey{{Principal: "alice", Role: "prod-db"}},
				Audit:        []core.AuditEvent{newEvent(next.DecidedBy, string(next.State), "r-1")},
			})
		})
	}
	close(start)
	wg.Wait()

	winner := -1
	for i, err := range errs {
		switch core.ErrorCode(err) {
		case "":
			if winner >= 0 {
				t.Fatalf("writers %d and %d both succeeded", winner, i)
			}
			winner = i
		case core.ECONFLICT:
		default:
			t.Fatalf("writer %d: %v, want success or ECONFLICT", i, err)
		}
	}
	if winner < 0 {
		t.Fatal("no writer succeeded")
	}

	want := changes[winner].Clone()
	want.Version = read.Version + 1
	wantRequest(t, mustRequest(t, s, "r-1"), want)
	wantStrings(t, "open requests", mustOpenRequestIDs(t, s), []string{})
	mustNoWindow(t, s, "alice", "prod-db")
	events, _ := mustAudit(t, s)
	if len(events) != 1 {
		t.Fatalf("audit has %d events, want the winner's one", len(events))
	}
	if events[0].Actor != want.DecidedBy || events[0].Action != string(want.State) {
		t.Fatalf("audit event by %s (%s), want the winner %s (%s)", events[0].Actor, events[0].Action, want.DecidedBy, want.State)
	}
	// The slot was released exactly once: it is free now.
	mustApply(t, s, core.Change{Slots: []core.SlotWrite{{Principal: "alice", Role: "prod-db", Expect: "", Set: "r-2"}}})
}
