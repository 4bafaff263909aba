package core_test

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/elevate-pim/elevate/core"
	"github.com/elevate-pim/elevate/core/clocktest"
	"github.com/elevate-pim/elevate/core/totp"
	"github.com/elevate-pim/elevate/store/memory"
	"github.com/elevate-pim/elevate/store/redis/redistest"
)

// reviewEnv is one replica: a service over a shared store and clock, with
// the events it published.
type reviewEnv struct {
	svc   *core.Service
	store core.Store
	clock *clocktest.Clock

	mu     sync.Mutex
	events []core.Event
}

// reviewDirectory is testDirectory with managers: carol manages alice,
// dana manages bob.
func reviewDirectory() *core.Directory {
	d := testDirectory()
	d.Principals["alice"].Manager = "carol"
	d.Principals["bob"].Manager = "dana"
	return d
}

// reviewSeed is the harness's assignments, as the config file declares them.
func reviewSeed() []core.Assignment {
	eligible := func(p, r string) core.Assignment {
		return core.Assignment{Kind: core.Eligible, Principal: p, Role: r, Permanent: true}
	}
	return []core.Assignment{
		eligible("alice", "prod-db"), eligible("alice", "staging"), eligible("bob", "staging"),
		{Kind: core.Active, Principal: "dana", Role: "admin", Permanent: true},
		{Kind: core.Active, Principal: "erin", Role: "reader", Permanent: true},
	}
}

func newReviewEnv(t *testing.T, st core.Store, clock *clocktest.Clock, plans ...core.ReviewPlan) *reviewEnv {
	t.Helper()
	return newReviewEnvTB(t, st, clock, plans...)
}

func newReviewEnvTB(t testing.TB, st core.Store, clock *clocktest.Clock, plans ...core.ReviewPlan) *reviewEnv {
	t.Helper()
	e := &reviewEnv{store: st, clock: clock}
	svc, err := core.NewService(core.Config{
		Store: st, Directory: reviewDirectory(), Clock: clock, OTP: totp.TOTP{}, MFAKey: make([]byte, 32), Reviews: plans,
		Events: core.EventSinkFunc(func(_ context.Context, ev core.Event) {
			e.mu.Lock()
			defer e.mu.Unlock()
			e.events = append(e.events, ev)
		}),
	})
	if err != nil {
		t.Fatal(err)
	}
	e.svc = svc
	if _, err := svc.SeedFromConfig(context.Background(), reviewSeed()); err != nil {
		t.Fatal(err)
	}
	if err := svc.Reviews().Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	return e
}

// eachStore runs test on the memory store and on Redis.
func eachStore(t *testing.T, test func(t *testing.T, newStore func(*clocktest.Clock) core.Store)) {
	t.Run("memory", func(t *testing.T) {
		test(t, func(c *clocktest.Clock) core.Store { return memory.New(memory.WithClock(c)) })
	})
	t.Run("redis", func(t *testing.T) {
		st := redistest.NewStore(t)
		test(t, func(*clocktest.Clock) core.Store { return st })
	})
}

// to moves the clock to t and runs what came due.
func (e *reviewEnv) to(t *testing.T, at time.Time) {
	t.Helper()
	e.clock.Set(at)
	if _, err := e.svc.RunDue(context.Background()); err != nil {
		t.Fatalf("run due at %v: %v", at, err)
	}
}

// took returns and forgets the events published so far, of the given kinds.
func (e *reviewEnv) took(kinds ...core.EventKind) []core.Event {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []core.Event
	for _, ev := range e.events {
		if slices.Contains(kinds, ev.Kind) {
			out = append(out, ev)
		}
	}
	e.events = nil
	return out
}

// dms renders review DMs as "recipient:review:item principals" lines, sorted.
func dms(events []core.Event) []string {
	var out []string
	for _, ev := range events {
		if ev.Kind != core.EventReviewRequested && ev.Kind != core.EventReviewReminder {
			continue
		}
		var ps []string
		for _, it := range ev.ReviewItems {
			ps = append(ps, it.Principal)
		}
		out = append(out, fmt.Sprintf("%s:%s:%s", strings.Join(ev.Recipients, ","), ev.Review.ID, strings.Join(ps, ",")))
	}
	sort.Strings(out)
	return out
}

func wantLines(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("%s:\ngot  %q\nwant %q", what, got, want)
	}
}

// itemOf returns the item of review id for principal.
func itemOf(t *testing.T, st core.Store, id, principal string) *core.ReviewItem {
	t.Helper()
	_, items, err := core.ReviewReport(context.Background(), st, id)
	if err != nil {
		t.Fatal(err)
	}
	for i := range items {
		if items[i].Principal == principal {
			return &items[i]
		}
	}
	t.Fatalf("review %s has no item of %s", id, principal)
	return nil
}

func hasAssignment(t *testing.T, st core.Store, kind core.AssignmentKind, p, r string) bool {
	t.Helper()
	as, err := st.AssignmentsOf(context.Background(), p, r)
	if err != nil {
		t.Fatal(err)
	}
	return slices.ContainsFunc(as, func(a core.Assignment) bool { return a.Kind == kind })
}

// weekly reviews staging every 7 days for 3, by each holder's manager.
func weekly(ifNoAnswer core.ReviewDecision) core.ReviewPlan {
	return core.ReviewPlan{Name: "staging-weekly", Roles: []string{"staging"}, Kinds: []core.AssignmentKind{core.Eligible},
		Start: t0.Add(time.Hour), Every: core.Period{Fixed: 7 * 24 * time.Hour},
		Stages:    []core.ReviewStage{{Reviewers: []string{core.ReviewersManager}, Duration: 3 * 24 * time.Hour}},
		Reminders: core.DefaultReminders, AutoApply: true, IfNoAnswer: ifNoAnswer, Channel: "security", PostProgress: true}
}

// TestReviewRecurring: a review every 7 days for 3 starts its instances on
// time, DMs each reviewer their items, reminds at the halfway point and a
// day before the end only those with undecided items, and applies at the end.
func TestReviewRecurring(t *testing.T) {
	eachStore(t, func(t *testing.T, newStore func(*clocktest.Clock) core.Store) {
		clock := clocktest.New(t0)
		e := newReviewEnv(t, newStore(clock), clock, weekly(core.DecisionRemove))
		ctx := context.Background()
		start := t0.Add(time.Hour)

		e.to(t, start.Add(-time.Second))
		if got := e.took(core.EventReviewStarted, core.EventReviewRequested); len(got) != 0 {
			t.Fatalf("before the start: %v", got)
		}
		e.to(t, start)
		evs := e.took(core.EventReviewStarted, core.EventReviewRequested)
		wantLines(t, "DMs at the start", dms(evs), "carol:rv-staging-weekly-20261122:alice", "dana:rv-staging-weekly-20261122:bob")
		if evs[0].Kind != core.EventReviewStarted || evs[0].Review.Plan.Channel != "security" {
			t.Fatalf("first event = %+v, want the channel's start post", evs[0])
		}
		// dana decides before the first reminder; carol does not.
		bob := itemOf(t, e.store, "rv-staging-weekly-20261122", "bob")
		if _, err := e.svc.Reviews().Decide(ctx, as("dana"), "rv-staging-weekly-20261122", bob.N, core.DecisionKeep, ""); err != nil {
			t.Fatal(err)
		}
		e.to(t, start.Add(36*time.Hour-time.Second))
		if got := e.took(core.EventReviewReminder); len(got) != 0 {
			t.Fatalf("reminder before halfway: %v", dms(got))
		}
		e.to(t, start.Add(36*time.Hour))
		evs = e.took(core.EventReviewReminder, core.EventReviewProgress)
		wantLines(t, "halfway reminders", dms(evs), "carol:rv-staging-weekly-20261122:alice")
		if evs[0].Kind != core.EventReviewProgress || evs[0].Counts[core.ItemPending] != 1 || evs[0].Counts["keep"] != 1 ||
			!strings.Contains(evs[0].Message, "1 undecided, 1 keep, 0 remove") {
			t.Fatalf("progress post = %+v", evs[0])
		}
		e.to(t, start.Add(48*time.Hour))
		wantLines(t, "reminders a day before the end", dms(e.took(core.EventReviewReminder)), "carol:rv-staging-weekly-20261122:alice")

		e.to(t, start.Add(72*time.Hour-time.Second))
		if !hasAssignment(t, e.store, core.Eligible, "alice", "staging") {
			t.Fatal("alice's eligibility removed before the end")
		}
		e.to(t, start.Add(72*time.Hour))
		ended := e.took(core.EventReviewEnded)
		if len(ended) != 1 || ended[0].Counts["outcome:removed"] != 1 || ended[0].Counts["outcome:kept"] != 1 {
			t.Fatalf("end posts = %+v", ended)
		}
		if hasAssignment(t, e.store, core.Eligible, "alice", "staging") || !hasAssignment(t, e.store, core.Eligible, "bob", "staging") {
			t.Fatal("end did not remove alice's unanswered item and keep bob's")
		}
		if it := itemOf(t, e.store, "rv-staging-weekly-20261122", "alice"); it.Outcome != core.OutcomeRemoved || it.Note != "no answer" {
			t.Fatalf("alice's item = %+v", it)
		}

		// The second instance starts a week after the first, with bob only.
		e.to(t, start.Add(7*24*time.Hour-time.Second))
		if got := e.took(core.EventReviewStarted); len(got) != 0 {
			t.Fatalf("second instance early: %+v", got)
		}
		e.to(t, start.Add(7*24*time.Hour))
		wantLines(t, "DMs of the second instance", dms(e.took(core.EventReviewRequested)), "dana:rv-staging-weekly-20261129:bob")
		rv, err := e.store.Review(ctx, "rv-staging-weekly-20261129")
		if err != nil || !rv.StageEnd.Equal(start.Add(10*24*time.Hour)) {
			t.Fatalf("second instance = %+v, %v", rv, err)
		}
	})
}

// TestReviewIfNoAnswer: unanswered items are removed, kept, or removed only
// when the holder has not activated the role for 30 days.
func TestReviewIfNoAnswer(t *testing.T) {
	for _, tc := range []struct {
		ifNoAnswer core.ReviewDecision
		alice, bob bool // still eligible after the end
	}{
		{core.DecisionKeep, true, true},
		{core.DecisionRemove, false, false},
		{core.DecisionRecommendation, false, true}, // bob activated staging a day before the review
	} {
		t.Run(string(tc.ifNoAnswer), func(t *testing.T) {
			clock := clocktest.New(t0)
			e := newReviewEnv(t, memory.New(memory.WithClock(clock)), clock, weekly(tc.ifNoAnswer))
			if _, err := e.svc.RequestActivation(context.Background(), as("bob"), core.ActivationInput{Role: "staging", Duration: time.Hour}); err != nil {
				t.Fatal(err)
			}
			e.to(t, t0.Add(time.Hour))
			if a, b := itemOf(t, e.store, "rv-staging-weekly-20261122", "alice"), itemOf(t, e.store, "rv-staging-weekly-20261122", "bob"); a.Recommendation != core.DecisionRemove || b.Recommendation != core.DecisionKeep || !b.LastActivated.Equal(t0) {
				t.Fatalf("recommendations: alice %+v, bob %+v", a, b)
			}
			e.to(t, t0.Add(73*time.Hour))
			if got := hasAssignment(t, e.store, core.Eligible, "alice", "staging"); got != tc.alice {
				t.Fatalf("alice eligible = %v, want %v", got, tc.alice)
			}
			if got := hasAssignment(t, e.store, core.Eligible, "bob", "staging"); got != tc.bob {
				t.Fatalf("bob eligible = %v, want %v", got, tc.bob)
			}
		})
	}
}

// TestReviewSelf: in a self-review each holder gets only their own items
// and cannot decide anyone else's.
func TestReviewSelf(t *testing.T) {
	clock := clocktest.New(t0)
	p := weekly(core.DecisionKeep)
	p.Stages[0].Reviewers = []string{core.ReviewersSelf}
	e := newReviewEnv(t, memory.New(memory.WithClock(clock)), clock, p)
	e.to(t, t0.Add(time.Hour))
	wantLines(t, "self-review DMs", dms(e.took(core.EventReviewRequested)), "alice:rv-staging-weekly-20261122:alice", "bob:rv-staging-weekly-20261122:bob")
	ctx := context.Background()
	bob := itemOf(t, e.store, "rv-staging-weekly-20261122", "bob")
	_, err := e.svc.Reviews().Decide(ctx, as("alice"), "rv-staging-weekly-20261122", bob.N, core.DecisionRemove, "")
	wantCode(t, err, core.EFORBIDDEN)
	if _, err := e.svc.Reviews().Decide(ctx, as("bob"), "rv-staging-weekly-20261122", bob.N, core.DecisionRemove, "not needed"); err != nil {
		t.Fatal(err)
	}
}

// TestReviewHolderCannotDecide: outside a self-review the holder is never a
// reviewer of their own item, even when the reviewers include them.
func TestReviewHolderCannotDecide(t *testing.T) {
	clock := clocktest.New(t0)
	e := newReviewEnv(t, memory.New(memory.WithClock(clock)), clock)
	ctx := context.Background()
	rv, err := e.svc.Reviews().Start(ctx, as("dana"), "prod-db", 0, []string{"group:dba"})
	if err != nil {
		t.Fatal(err)
	}
	wantLines(t, "DMs", dms(e.took(core.EventReviewRequested)), "bob:"+rv.ID+":alice", "carol:"+rv.ID+":alice")
	_, err = e.svc.Reviews().Decide(ctx, as("alice"), rv.ID, 1, core.DecisionKeep, "")
	wantCode(t, err, core.EFORBIDDEN)
	_, err = e.svc.Reviews().Decide(ctx, as("mallory"), rv.ID, 1, core.DecisionKeep, "")
	wantCode(t, err, core.EFORBIDDEN)
	if _, err := e.svc.Reviews().Decide(ctx, as("bob"), rv.ID, 1, core.DecisionKeep, ""); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.Reviews().Decide(ctx, as("carol"), rv.ID, 1, core.DecisionRemove, "")
	wantCode(t, err, core.ECONFLICT)
	_, err = e.svc.Reviews().Start(ctx, as("bob"), "prod-db", 0, nil)
	wantCode(t, err, core.EFORBIDDEN)
}

// TestReviewLastAdmin: removing the last admin is refused at the end; the
// item is kept and says why.
func TestReviewLastAdmin(t *testing.T) {
	clock := clocktest.New(t0)
	e := newReviewEnv(t, memory.New(memory.WithClock(clock)), clock)
	ctx := context.Background()
	rv, err := e.svc.Reviews().Start(ctx, as("dana"), "admin", 24*time.Hour, []string{"erin"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Reviews().Decide(ctx, as("erin"), rv.ID, 1, core.DecisionRemove, "no longer on the team"); err != nil {
		t.Fatal(err)
	}
	e.took()
	e.to(t, t0.Add(24*time.Hour))
	if !hasAssignment(t, e.store, core.Active, "dana", "admin") {
		t.Fatal("the last admin was removed")
	}
	it := itemOf(t, e.store, rv.ID, "dana")
	if it.Outcome != core.OutcomeLastAdmin || !strings.Contains(it.Note, "last active holder") {
		t.Fatalf("item = %+v", it)
	}
	ended := e.took(core.EventReviewEnded)
	if len(ended) != 1 || !strings.Contains(ended[0].Message, "1 kept: last admin") {
		t.Fatalf("end post = %+v", ended)
	}
}

// TestReviewTwoReplicas: two services on one Redis run the same review's
// jobs at the same times: each reviewer is DM'd once per reminder and each
// item is applied once.
func TestReviewTwoReplicas(t *testing.T) {
	clock := clocktest.New(t0)
	st := redistest.NewStore(t)
	p := weekly(core.DecisionRemove)
	a, b := newReviewEnv(t, st, clock, p), newReviewEnv(t, st, clock, p)
	start := t0.Add(time.Hour)
	runBoth := func() {
		var wg sync.WaitGroup
		for _, e := range []*reviewEnv{a, b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := e.svc.RunDue(context.Background()); err != nil {
					t.Errorf("run due: %v", err)
				}
			}()
		}
		wg.Wait()
	}
	id := "rv-staging-weekly-20261122"
	for _, at := range []time.Duration{0, 36 * time.Hour, 48 * time.Hour, 72 * time.Hour} {
		clock.Set(start.Add(at))
		runBoth()
		// Each job comes back as if a replica's lease ran out after it
		// had done the work: running it again must change nothing.
		now := clock.Now()
		redo := core.Change{Schedule: []core.Job{{Kind: core.JobReviewStart, Ref: p.Name, Due: now}, {Kind: core.JobReviewRemind, Ref: id, Due: now}, {Kind: core.JobReviewEnd, Ref: id, Due: now}}}
		if err := st.Apply(context.Background(), redo); err != nil {
			t.Fatal(err)
		}
		runBoth()
	}
	kinds := []core.EventKind{core.EventReviewRequested, core.EventReviewReminder, core.EventReviewProgress, core.EventReviewEnded}
	all := append(a.took(kinds...), b.took(kinds...)...)
	count := map[string]int{}
	for _, ev := range all {
		count[string(ev.Kind)+":"+strings.Join(ev.Recipients, ",")]++
	}
	want := map[string]int{"review_requested:carol": 1, "review_requested:dana": 1, "review_reminder:carol": 2, "review_reminder:dana": 2, "review_progress:": 2, "review_ended:": 1}
	if fmt.Sprint(count) != fmt.Sprint(want) {
		t.Fatalf("posts across replicas = %v, want %v", count, want)
	}
	events, _, err := core.ReadAudit(context.Background(), st, core.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	removed := map[string]int{}
	for _, ev := range events {
		if ev.Action == "review_remove" {
			removed[ev.Principal]++
		}
	}
	if fmt.Sprint(removed) != "map[alice:1 bob:1]" {
		t.Fatalf("removals applied = %v, want each once", removed)
	}
}

// TestReviewRemovalSurvivesRestart: a file-declared assignment a review
// removed is not restored by the next start-up's sync, which reports it;
// once the line is gone from the file, the removal is forgotten.
func TestReviewRemovalSurvivesRestart(t *testing.T) {
	eachStore(t, func(t *testing.T, newStore func(*clocktest.Clock) core.Store) {
		clock := clocktest.New(t0)
		st := newStore(clock)
		e := newReviewEnv(t, st, clock)
		ctx := context.Background()
		rv, err := e.svc.Reviews().Start(ctx, as("dana"), "staging", 24*time.Hour, []string{"carol"})
		if err != nil {
			t.Fatal(err)
		}
		alice := itemOf(t, st, rv.ID, "alice")
		if _, err := e.svc.Reviews().Decide(ctx, as("carol"), rv.ID, alice.N, core.DecisionRemove, "left the team"); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Reviews().Stop(ctx, as("dana"), rv.ID); err != nil {
			t.Fatal(err)
		}
		if hasAssignment(t, st, core.Eligible, "alice", "staging") {
			t.Fatal("not removed")
		}
		// A restart: a new service seeds the same file.
		again := newReviewEnv(t, st, clock)
		if hasAssignment(t, st, core.Eligible, "alice", "staging") {
			t.Fatal("the config sync restored an assignment a review removed")
		}
		skipped, err := again.svc.SeedFromConfig(ctx, reviewSeed())
		if err != nil || len(skipped) != 1 || skipped[0].Key != "eligible/alice/staging" || skipped[0].Review != rv.ID || skipped[0].DecidedBy != "carol" {
			t.Fatalf("skipped = %+v, %v", skipped, err)
		}
		// The admin deletes the line: the removal is forgotten.
		var rest []core.Assignment
		for _, a := range reviewSeed() {
			if a.Key() != "eligible/alice/staging" {
				rest = append(rest, a)
			}
		}
		if _, err := again.svc.SeedFromConfig(ctx, rest); err != nil {
			t.Fatal(err)
		}
		if rs, _ := st.ReviewRemovals(ctx); len(rs) != 0 {
			t.Fatalf("removals after the line was deleted = %+v", rs)
		}
	})
}

// TestReviewStages: a later stage reviews only what the earlier kept, and
// sees the earlier decisions.
func TestReviewStages(t *testing.T) {
	clock := clocktest.New(t0)
	p := weekly(core.DecisionKeep)
	p.Stages = []core.ReviewStage{{Reviewers: []string{core.ReviewersSelf}, Duration: 24 * time.Hour}, {Reviewers: []string{"carol"}, Duration: 24 * time.Hour}}
	e := newReviewEnv(t, memory.New(memory.WithClock(clock)), clock, p)
	ctx := context.Background()
	e.to(t, t0.Add(time.Hour))
	id := "rv-staging-weekly-20261122"
	bob := itemOf(t, e.store, id, "bob")
	if _, err := e.svc.Reviews().Decide(ctx, as("bob"), id, bob.N, core.DecisionRemove, "do not need it"); err != nil {
		t.Fatal(err)
	}
	e.took()
	e.to(t, t0.Add(25*time.Hour))
	wantLines(t, "stage 2 DMs", dms(e.took(core.EventReviewRequested)), "carol:"+id+":alice")
	alice := itemOf(t, e.store, id, "alice")
	if alice.Stage != 1 || len(alice.Earlier) != 1 || alice.Earlier[0].Decision != core.DecisionKeep || alice.Earlier[0].DecidedBy != "" {
		t.Fatalf("alice's item in stage 2 = %+v", alice)
	}
	if _, err := e.svc.Reviews().Decide(ctx, as("carol"), id, bob.N, core.DecisionKeep, ""); core.ErrorCode(err) == "" {
		t.Fatal("stage 2 decided an item stage 1 removed")
	}
	if _, err := e.svc.Reviews().Decide(ctx, as("carol"), id, alice.N, core.DecisionKeep, ""); err != nil {
		t.Fatal(err)
	}
	e.to(t, t0.Add(49*time.Hour))
	if hasAssignment(t, e.store, core.Eligible, "bob", "staging") || !hasAssignment(t, e.store, core.Eligible, "alice", "staging") {
		t.Fatal("results of a two-stage review not applied")
	}
}

// TestReviewAcceptAllAndReason: accept-all decides every pending item as
// recommended; require_reason refuses a bare decision.
func TestReviewAcceptAllAndReason(t *testing.T) {
	clock := clocktest.New(t0)
	p := weekly(core.DecisionKeep)
	p.Stages[0].Reviewers = []string{"erin"}
	p.RequireReason = true
	e := newReviewEnv(t, memory.New(memory.WithClock(clock)), clock, p)
	ctx := context.Background()
	e.to(t, t0.Add(time.Hour))
	id := "rv-staging-weekly-20261122"
	_, err := e.svc.Reviews().Decide(ctx, as("erin"), id, 1, core.DecisionKeep, "")
	wantCode(t, err, core.EINVALID)
	n, err := e.svc.Reviews().AcceptAll(ctx, as("erin"), id)
	if err != nil || n != 2 {
		t.Fatalf("AcceptAll = %d, %v", n, err)
	}
	if page, err := e.svc.Reviews().Pending(ctx, as("erin"), id, 0); err != nil || page.Total != 0 {
		t.Fatalf("pending after accept all = %+v, %v", page, err)
	}
	if it := itemOf(t, e.store, id, "alice"); it.Decision != core.DecisionRemove || it.DecidedBy != "erin" {
		t.Fatalf("alice's item = %+v", it)
	}
}

// TestReviewCreationResumes: an instance whose creation was interrupted
// (its id claimed, some items written) is finished by the next run of the
// start job, over the stale items, and its reviewers are told once.
func TestReviewCreationResumes(t *testing.T) {
	clock := clocktest.New(t0)
	p := weekly(core.DecisionKeep)
	st := memory.New(memory.WithClock(clock))
	id := "rv-staging-weekly-20261122"
	stale := &core.ReviewItem{Review: id, N: 1, Principal: "zed", Role: "staging", Kind: core.Eligible, Reviewers: []string{"mallory"}}
	if err := st.Apply(context.Background(), core.Change{Reviews: []core.ReviewWrite{{Review: &core.Review{ID: id, Plan: p, State: core.ReviewCreating}}},
		ReviewItems: []core.ReviewItemWrite{{Item: stale}}}); err != nil {
		t.Fatal(err)
	}
	e := newReviewEnv(t, st, clock, p)
	e.to(t, t0.Add(time.Hour))
	wantLines(t, "DMs", dms(e.took(core.EventReviewRequested)), "carol:"+id+":alice", "dana:"+id+":bob")
	rv, err := st.Review(context.Background(), id)
	if err != nil || rv.State != core.ReviewOpen || rv.Items != 2 {
		t.Fatalf("review = %+v, %v", rv, err)
	}
	if who, _ := st.ReviewReviewers(context.Background(), id, 0); who["mallory"] != 0 {
		t.Fatalf("the stale item still waits for mallory: %v", who)
	}
}

// racingReminder is a store on which a reminder commits (moves the
// review's version) just before the first write that moves a review out of
// stage 0: the interleaving that the stage end and a due reminder of one
// batch reach only sometimes in TestReviewStages.
type racingReminder struct {
	core.Store
	mu    sync.Mutex
	raced bool
}

func (s *racingReminder) Apply(ctx context.Context, c core.Change) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, w := range c.Reviews {
		if s.raced || w.Review.State != core.ReviewOpen || w.Review.Stage == 0 {
			continue
		}
		cur, err := s.Store.Review(ctx, w.Review.ID)
		if err != nil || cur.Stage != 0 {
			continue
		}
		s.raced = true
		reminded := cur.Clone()
		reminded.Reminded = len(reminded.Reminders)
		if err := s.Store.Apply(ctx, core.Change{Reviews: []core.ReviewWrite{{Review: reminded, Expect: cur.Version}}}); err != nil {
			return err
		}
	}
	return s.Store.Apply(ctx, c)
}

// TestReviewStageEndAfterReminder: a reminder that commits while a stage
// ends makes the stage end read the review again, not give up: the next
// stage begins and its reviewers are told (the cause of TestReviewStages'
// intermittent "stage 2 DMs: got []").
func TestReviewStageEndAfterReminder(t *testing.T) {
	clock := clocktest.New(t0)
	p := weekly(core.DecisionKeep)
	p.Stages = []core.ReviewStage{{Reviewers: []string{core.ReviewersSelf}, Duration: 24 * time.Hour}, {Reviewers: []string{"carol"}, Duration: 24 * time.Hour}}
	st := &racingReminder{Store: memory.New(memory.WithClock(clock))}
	e := newReviewEnv(t, st, clock, p)
	id := "rv-staging-weekly-20261122"
	e.to(t, t0.Add(time.Hour))
	e.took()
	e.to(t, t0.Add(25*time.Hour))
	if !st.raced {
		t.Fatal("no reminder raced the stage end")
	}
	wantLines(t, "stage 2 DMs", dms(e.took(core.EventReviewRequested)), "carol:"+id+":alice,bob")
	if rv, err := st.Review(context.Background(), id); err != nil || rv.Stage != 1 {
		t.Fatalf("review after the stage end = %+v, %v", rv, err)
	}
}
