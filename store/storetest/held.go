package storetest

import (
	"bytes"
	"testing"
	"time"

	"github.com/elevate-pim/elevate/core"
)

// testJobPayload checks that a job's payload is stored with it and comes
// back from a claim and from Jobs.
func testJobPayload(t *testing.T, s core.Store) {
	j := core.Job{Kind: core.JobNotify, Ref: "n-1", Due: time.Now().Add(-time.Second), Payload: []byte(`{"event":"x"}`)}
	mustApply(t, s, core.Change{Schedule: []core.Job{j}})
	if js := mustJobs(t, s); len(js) != 1 || !bytes.Equal(js[0].Payload, j.Payload) {
		t.Fatalf("Jobs = %+v, want the payload %q", js, j.Payload)
	}
	claimed := mustClaim(t, s, time.Minute, 10)
	if len(claimed) != 1 || !bytes.Equal(claimed[0].Payload, j.Payload) {
		t.Fatalf("claimed %+v, want the payload %q", claimed, j.Payload)
	}
}

// testScheduleClaimed checks that a job scheduled with a lease is held by
// the committer: nobody claims it before the lease ends, the committer
// completes it under that lease, and after the lease any claimer gets it.
func testScheduleClaimed(t *testing.T, s core.Store) {
	now := time.Now()
	held := core.Job{Kind: core.JobGrant, Ref: "r-1", Due: now, Lease: now.Add(lease)}
	done := core.Job{Kind: core.JobGrant, Ref: "r-2", Due: now, Lease: now.Add(time.Minute)}
	mustApply(t, s, core.Change{Schedule: []core.Job{held, done}})
	if js := mustClaim(t, s, time.Minute, 10); len(js) != 0 {
		t.Fatalf("claimed jobs held by their committer: %q", jobIDs(js))
	}
	for _, j := range mustJobs(t, s) {
		if j.Lease.IsZero() {
			t.Fatalf("job %s scheduled claimed is listed unclaimed", j.ID())
		}
	}
	mustComplete(t, s, done)
	wantStrings(t, "jobs after completing one", jobIDs(mustJobs(t, s)), []string{held.ID()})

	time.Sleep(lease + slack)
	js := mustClaim(t, s, time.Minute, 10)
	wantStrings(t, "claim after the committer's lease ended", jobIDs(js), []string{held.ID()})
	mustComplete(t, s, held) // the committer is late: its lease is stale
	wantStrings(t, "jobs after a stale completion", jobIDs(mustJobs(t, s)), []string{held.ID()})

	mustFailApply(t, s, core.Change{Schedule: []core.Job{{Kind: core.JobGrant, Ref: "r-3", Due: now, Lease: now}}}, core.EINVALID)
}

// testRenewJob checks the heartbeat: a holder extends its lease and
// records its progress; a lost lease cannot be renewed; the old lease no
// longer completes the job, the new one does.
func testRenewJob(t *testing.T, s core.Store) {
	j := core.Job{Kind: core.JobNotify, Ref: "n-1", Due: time.Now().Add(-time.Second), Payload: []byte("a")}
	mustApply(t, s, core.Change{Schedule: []core.Job{j}})
	first := mustClaim(t, s, lease, 10)
	if len(first) != 1 {
		t.Fatalf("claimed %d jobs", len(first))
	}
	progress := first[0]
	progress.Payload, progress.Attempt = []byte("ab"), 2
	until := time.Now().Add(time.Minute)
	renewed, err := s.RenewJob(t.Context(), progress, until)
	if err != nil {
		t.Fatalf("RenewJob: %v", err)
	}
	if !sameTime(renewed.Lease, until) {
		t.Fatalf("renewed lease = %v, want %v", renewed.Lease, until)
	}
	time.Sleep(lease + slack) // past the first lease: the renewal keeps the job held
	if js := mustClaim(t, s, time.Minute, 10); len(js) != 0 {
		t.Fatalf("claimed a job whose lease was renewed: %q", jobIDs(js))
	}
	js := mustJobs(t, s)
	if len(js) != 1 || string(js[0].Payload) != "ab" || js[0].Attempt != 2 || !sameTime(js[0].Lease, until) {
		t.Fatalf("Jobs after renewal = %+v", js)
	}
	_, err = s.RenewJob(t.Context(), first[0], time.Now().Add(time.Hour))
	wantCode(t, err, core.ECONFLICT)
	mustComplete(t, s, first[0])
	wantStrings(t, "jobs after a completion under the old lease", jobIDs(mustJobs(t, s)), []string{j.ID()})
	mustComplete(t, s, renewed)
	wantStrings(t, "jobs after completion", jobIDs(mustJobs(t, s)), []string{})
	_, err = s.RenewJob(t.Context(), renewed, time.Now().Add(time.Hour))
	wantCode(t, err, core.ECONFLICT)

	_, err = s.RenewJob(t.Context(), core.Job{Kind: core.JobNotify, Ref: "n-2"}, time.Now())
	wantCode(t, err, core.EINVALID)
}

// testChangeCompletesJob checks that a Change completing a held job
// commits with it, and fails whole when the lease was lost.
func testChangeCompletesJob(t *testing.T, s core.Store) {
	j := core.Job{Kind: core.JobGrant, Ref: "r-1", Due: time.Now().Add(-time.Second)}
	mustApply(t, s, core.Change{Schedule: []core.Job{j}})
	first := mustClaim(t, s, lease, 10)
	time.Sleep(lease + slack)
	second := mustClaim(t, s, time.Minute, 10)
	if len(first) != 1 || len(second) != 1 {
		t.Fatalf("claims: %q then %q", jobIDs(first), jobIDs(second))
	}
	follow := core.Job{Kind: core.JobNotify, Ref: "n-1", Due: time.Now()}
	mustFailApply(t, s, core.Change{Complete: first, Schedule: []core.Job{follow}}, core.ECONFLICT)
	wantStrings(t, "jobs after a stale completing change", jobIDs(mustJobs(t, s)), []string{j.ID()})
	mustApply(t, s, core.Change{Complete: second, Schedule: []core.Job{follow}})
	wantStrings(t, "jobs after the completing change", jobIDs(mustJobs(t, s)), []string{follow.ID()})
	mustFailApply(t, s, core.Change{Complete: []core.Job{follow}}, core.EINVALID) // no lease named
}

// testCopies checks that the copies of an approval message are kept per
// request, replaced by key, listed by key, and dropped.
func testCopies(t *testing.T, s core.Store) {
	ctx := t.Context()
	dm := core.MessageCopy{Platform: "slack", Principal: "bob", ID: "D1/1.2"}
	ch := core.MessageCopy{Platform: "discord", Channel: "approvals", ID: "C9/77", Shown: 1}
	other := core.MessageCopy{Platform: "slack", Principal: "carol", ID: "D2/3.4"}
	for _, c := range []core.MessageCopy{dm, ch} {
		if err := s.PutCopy(ctx, "r-1", c); err != nil {
			t.Fatalf("PutCopy: %v", err)
		}
	}
	if err := s.PutCopy(ctx, "r-2", other); err != nil {
		t.Fatalf("PutCopy: %v", err)
	}
	dm.Shown = 3
	if err := s.PutCopy(ctx, "r-1", dm); err != nil {
		t.Fatalf("PutCopy: %v", err)
	}
	got, err := s.Copies(ctx, "r-1")
	if err != nil {
		t.Fatalf("Copies: %v", err)
	}
	if len(got) != 2 || got[0] != ch || got[1] != dm {
		t.Fatalf("Copies(r-1) = %+v, want %+v and %+v", got, ch, dm)
	}
	if err := s.DropCopies(ctx, "r-1"); err != nil {
		t.Fatalf("DropCopies: %v", err)
	}
	if got, err := s.Copies(ctx, "r-1"); err != nil || len(got) != 0 {
		t.Fatalf("Copies after drop = %+v, %v", got, err)
	}
	if got, err := s.Copies(ctx, "r-2"); err != nil || len(got) != 1 || got[0] != other {
		t.Fatalf("Copies(r-2) = %+v, %v", got, err)
	}
	wantCode(t, s.PutCopy(ctx, "r-1", core.MessageCopy{Platform: "slack"}), core.EINVALID)
}
