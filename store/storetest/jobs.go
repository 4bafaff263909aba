package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/elevate-pim/elevate/core"
)

// lease is the short lease the suite claims jobs under when it waits for one to end.
const lease = 200 * time.Millisecond

// testClaimDueJobs checks that jobs due at or before now are claimed in due
// order with their fields intact, that future jobs are not, and that a
// claimed job is not claimed again while leased.
func testClaimDueJobs(t *testing.T, s core.Store) {
	if js := mustClaim(t, s, time.Minute, 10); len(js) != 0 {
		t.Fatalf("claimed %d jobs from an empty schedule", len(js))
	}
	now := time.Now()
	older := core.Job{Kind: core.JobExpire, Ref: "r-1", Due: now.Add(-2 * time.Second), Attempt: 3}
	newer := core.Job{Kind: core.JobTimeout, Ref: "r-2", Due: now.Add(-time.Second)}
	future := core.Job{Kind: core.JobStart, Ref: "r-3", Due: now.Add(time.Hour)}
	mustApply(t, s, core.Change{Schedule: []core.Job{future, newer, older}})
	wantStrings(t, "scheduled jobs", jobIDs(mustJobs(t, s)), []string{older.ID(), newer.ID(), future.ID()})

	claimedAt := time.Now()
	claimed, err := s.ClaimJobs(t.Context(), claimedAt, time.Minute, 10)
	if err != nil {
		t.Fatalf("ClaimJobs: %v", err)
	}
	wantStrings(t, "claimed jobs", jobIDs(claimed), []string{older.ID(), newer.ID()})
	for i, want := range []core.Job{older, newer} {
		got := claimed[i]
		if got.Kind != want.Kind || got.Ref != want.Ref || got.Attempt != want.Attempt || !sameTime(got.Due, want.Due) {
			t.Fatalf("claimed job %s = %+v, want %+v", want.ID(), got, want)
		}
		if !sameTime(got.Lease, claimedAt.Add(time.Minute)) {
			t.Fatalf("claimed job %s leased until %v, want %v", want.ID(), got.Lease, claimedAt.Add(time.Minute))
		}
	}

	if js := mustClaim(t, s, time.Minute, 10); len(js) != 0 {
		t.Fatalf("claimed leased or future jobs: %q", jobIDs(js))
	}
	// Leased jobs stay scheduled, now ordered by their lease end.
	wantStrings(t, "scheduled jobs after the claim", jobIDs(mustJobs(t, s)), []string{older.ID(), newer.ID(), future.ID()})

	// The future job comes due when now reaches it; a time far enough
	// ahead also finds the leases ended.
	js, err := s.ClaimJobs(t.Context(), now.Add(2*time.Hour), time.Minute, 10)
	if err != nil {
		t.Fatalf("ClaimJobs: %v", err)
	}
	wantStrings(t, "jobs claimed two hours on", jobIDs(js), []string{older.ID(), newer.ID(), future.ID()})
	if js[2].Attempt != 0 || !sameTime(js[2].Due, future.Due) {
		t.Fatalf("future job = %+v, want %+v", js[2], future)
	}
}

// testClaimLimit checks that a claim takes at most limit jobs, earliest first.
func testClaimLimit(t *testing.T, s core.Store) {
	now := time.Now()
	var jobs []core.Job
	var want []string
	for i := range 5 {
		j := core.Job{Kind: core.JobExpire, Ref: fmt.Sprintf("r-%d", i), Due: now.Add(time.Duration(i-10) * time.Second)}
		jobs = append(jobs, j)
		want = append(want, j.ID())
	}
	mustApply(t, s, core.Change{Schedule: jobs})
	wantStrings(t, "first claim", jobIDs(mustClaim(t, s, time.Minute, 2)), want[0:2])
	wantStrings(t, "second claim", jobIDs(mustClaim(t, s, time.Minute, 2)), want[2:4])
	wantStrings(t, "third claim", jobIDs(mustClaim(t, s, time.Minute, 2)), want[4:5])
	wantStrings(t, "fourth claim", jobIDs(mustClaim(t, s, time.Minute, 2)), []string{})
}

// testJobLease checks that an uncompleted claim comes due again when its
// lease ends, and that only the current claim can complete the job.
func testJobLease(t *testing.T, s core.Store) {
	j := core.Job{Kind: core.JobRevoke, Ref: "r-1", Due: time.Now().Add(-time.Second), Attempt: 1}
	mustApply(t, s, core.Change{Schedule: []core.Job{j}})

	first := mustClaim(t, s, lease, 10)
	wantStrings(t, "first claim", jobIDs(first), []string{j.ID()})
	if js := mustClaim(t, s, lease, 10); len(js) != 0 {
		t.Fatalf("claimed a leased job again: %q", jobIDs(js))
	}

	time.Sleep(lease + slack)
	second := mustClaim(t, s, time.Minute, 10)
	wantStrings(t, "claim after the lease ended", jobIDs(second), []string{j.ID()})
	if !second[0].Lease.After(first[0].Lease) {
		t.Fatalf("second lease %v is not after the first %v", second[0].Lease, first[0].Lease)
	}
	if second[0].Attempt != j.Attempt || !sameTime(second[0].Due, j.Due) {
		t.Fatalf("re-claimed job = %+v, want %+v", second[0], j)
	}

	// The first claimer finishes late: its lease is stale, the job stays.
	mustComplete(t, s, first[0])
	wantStrings(t, "jobs after a stale completion", jobIDs(mustJobs(t, s)), []string{j.ID()})

	mustComplete(t, s, second[0])
	wantStrings(t, "jobs after completion", jobIDs(mustJobs(t, s)), []string{})
	// Completing again, or completing a job never scheduled, is harmless.
	mustComplete(t, s, second[0])
	mustComplete(t, s, core.Job{Kind: core.JobWarn, Ref: "nothing", Lease: time.Now()})
}

// testRescheduleAndUnschedule checks that a job is identified by kind and
// ref: scheduling it again moves it, even while claimed, and Unschedule
// removes it by id.
func testRescheduleAndUnschedule(t *testing.T, s core.Store) {
	now := time.Now()
	j := core.Job{Kind: core.JobExpire, Ref: "r-1", Due: now.Add(time.Hour)}
	sibling := core.Job{Kind: core.JobWarn, Ref: "r-1", Due: now.Add(30 * time.Minute)}
	mustApply(t, s, core.Change{Schedule: []core.Job{j, sibling}})

	// Moved to the past: one job, now due.
	moved := j
	moved.Due, moved.Attempt = now.Add(-time.Second), 2
	mustApply(t, s, core.Change{Schedule: []core.Job{moved}})
	jobs := mustJobs(t, s)
	wantStrings(t, "jobs after moving one", jobIDs(jobs), []string{j.ID(), sibling.ID()})
	if !sameTime(jobs[0].Due, moved.Due) || jobs[0].Attempt != 2 {
		t.Fatalf("moved job = %+v, want %+v", jobs[0], moved)
	}

	claimed := mustClaim(t, s, time.Minute, 10)
	wantStrings(t, "claimed", jobIDs(claimed), []string{j.ID()})

	// Rescheduled while claimed: the schedule wins over the claim, and the
	// claimer's completion no longer removes it.
	again := j
	again.Due, again.Attempt = now.Add(-time.Millisecond), 3
	mustApply(t, s, core.Change{Schedule: []core.Job{again}})
	mustComplete(t, s, claimed[0])
	jobs = mustJobs(t, s)
	wantStrings(t, "jobs after completing a rescheduled job", jobIDs(jobs), []string{j.ID(), sibling.ID()})
	if !sameTime(jobs[0].Due, again.Due) || jobs[0].Attempt != 3 {
		t.Fatalf("rescheduled job = %+v, want %+v", jobs[0], again)
	}
	// Its lease is gone with the old schedule: it is due at once.
	reclaimed := mustClaim(t, s, time.Minute, 10)
	wantStrings(t, "claimed after rescheduling", jobIDs(reclaimed), []string{j.ID()})
	if reclaimed[0].Attempt != 3 {
		t.Fatalf("rescheduled job attempt = %d, want 3", reclaimed[0].Attempt)
	}

	mustApply(t, s, core.Change{Unschedule: []string{j.ID()}})
	wantStrings(t, "jobs after unscheduling", jobIDs(mustJobs(t, s)), []string{sibling.ID()})
	mustComplete(t, s, reclaimed[0]) // the claimer finishing later is harmless
	wantStrings(t, "jobs after completing an unscheduled job", jobIDs(mustJobs(t, s)), []string{sibling.ID()})
	if js, err := s.ClaimJobs(t.Context(), now.Add(2*time.Hour), time.Minute, 10); err != nil {
		t.Fatalf("ClaimJobs: %v", err)
	} else {
		wantStrings(t, "jobs claimed two hours on", jobIDs(js), []string{sibling.ID()})
	}
	// Unscheduling what is not there is harmless.
	mustApply(t, s, core.Change{Unschedule: []string{j.ID()}})
}

// testInvalidClaim checks that a claim without a positive lease or limit is
// EINVALID and claims nothing.
func testInvalidClaim(t *testing.T, s core.Store) {
	j := core.Job{Kind: core.JobExpire, Ref: "r-1", Due: time.Now().Add(-time.Second)}
	mustApply(t, s, core.Change{Schedule: []core.Job{j}})
	for _, tt := range []struct {
		lease time.Duration
		limit int
	}{{0, 10}, {-time.Second, 10}, {time.Minute, 0}, {time.Minute, -1}} {
		_, err := s.ClaimJobs(t.Context(), time.Now(), tt.lease, tt.limit)
		wantCode(t, err, core.EINVALID)
	}
	wantStrings(t, "claimable after invalid claims", jobIDs(mustClaim(t, s, time.Minute, 10)), []string{j.ID()})
}

// testConcurrentClaims checks that claimers racing over one schedule claim
// every job exactly once between them.
func testConcurrentClaims(t *testing.T, s core.Store) {
	const (
		jobs     = 1000
		claimers = 4
		batch    = 50
	)
	now := time.Now()
	var c core.Change
	for i := range jobs {
		c.Schedule = append(c.Schedule, core.Job{Kind: core.JobExpire, Ref: fmt.Sprintf("r-%04d", i), Due: now.Add(-time.Duration(i) * time.Millisecond)})
	}
	mustApply(t, s, c)

	var (
		mu     sync.Mutex
		counts = map[string]int{}
		wg     sync.WaitGroup
		start  = make(chan struct{})
		errs   = make(chan error, claimers)
	)
	for range claimers {
		wg.Go(func() {
			<-start
			for {
				js, err := s.ClaimJobs(t.Context(), time.Now(), time.Minute, batch)
				if err != nil {
					errs <- fmt.Errorf("ClaimJobs: %w", err)
					return
				}
				if len(js) == 0 {
					return
				}
				if len(js) > batch {
					errs <- fmt.Errorf("claimed %d jobs with limit %d", len(js), batch)
					return
				}
				mu.Lock()
				for _, j := range js {
					counts[j.ID()]++
				}
				mu.Unlock()
				for _, j := range js {
					if err := s.CompleteJob(t.Context(), j); err != nil {
						errs <- fmt.Errorf("CompleteJob(%s): %w", j.ID(), err)
						return
					}
				}
			}
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if len(counts) != jobs {
		t.Errorf("claimed %d distinct jobs, want %d", len(counts), jobs)
	}
	for id, n := range counts {
		if n != 1 {
			t.Errorf("job %s claimed %d times", id, n)
		}
	}
	if left := mustJobs(t, s); len(left) != 0 {
		t.Errorf("%d jobs left after every claim completed", len(left))
	}
}

// testCompleteJobs checks the batch completion: each job still claimed
// under its lease is removed; one claimed anew since, or not claimed, is
// left as it is.
func testCompleteJobs(t *testing.T, s core.Store) {
	now := time.Now()
	var jobs []core.Job
	for _, ref := range []string{"r-1", "r-2", "r-3"} {
		jobs = append(jobs, core.Job{Kind: core.JobExpire, Ref: ref, Due: now.Add(-time.Minute)})
	}
	mustApply(t, s, core.Change{Schedule: jobs})
	claimed, err := s.ClaimJobs(t.Context(), now, time.Minute, 10)
	if err != nil || len(claimed) != 3 {
		t.Fatalf("ClaimJobs = %d jobs, %v", len(claimed), err)
	}
	stale := claimed[1]
	stale.Lease = stale.Lease.Add(-time.Second) // as if its lease had been lost and taken anew
	if err := s.CompleteJobs(t.Context(), []core.Job{claimed[0], stale, claimed[2]}); err != nil {
		t.Fatal(err)
	}
	left, err := s.Jobs(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(left) != 1 || left[0].ID() != claimed[1].ID() {
		t.Fatalf("after CompleteJobs: %+v; want only %s left", left, claimed[1].ID())
	}
	if err := s.CompleteJobs(t.Context(), nil); err != nil {
		t.Fatal(err)
	}
}
