package core_test

import (
	"context"
	"sync"
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
