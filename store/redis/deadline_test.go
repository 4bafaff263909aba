package redis_test

import (
	"testing"
	"time"

	"github.com/elevate-pim/elevate/core"
	"github.com/elevate-pim/elevate/store/redis"
	"github.com/elevate-pim/elevate/store/redis/redistest"
)

// TestPausedApplyDoesNotRunLate: an Apply made while Redis is paused
// (SIGSTOP) fails with EUNAVAILABLE once its store wait is over, and when
// Redis goes on (SIGCONT) and runs the script that was already written to
// it, the script changes nothing: the caller, told "unavailable", never
// sees a late success. The next call succeeds on the same store.
func TestPausedApplyDoesNotRunLate(t *testing.T) {
	srv := redistest.StartServer(t)
	s, err := redis.Open(srv.URL(), "", redis.WithPrefix(redistest.NewPrefix(t)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	// One Apply first, so that Redis holds the script and the paused
	// Apply sends EVALSHA, which Redis would run after SIGCONT.
	if err := s.Apply(t.Context(), core.Change{Audit: []core.AuditEvent{event("alice", "request")}}); err != nil {
		t.Fatal(err)
	}

	srv.Pause()
	ctx := core.WithStoreWait(t.Context(), 300*time.Millisecond)
	start := time.Now()
	err = s.Apply(ctx, core.Change{Audit: []core.AuditEvent{event("alice", "request")}})
	took := time.Since(start)
	if core.ErrorCode(err) != core.EUNAVAILABLE {
		t.Fatalf("Apply with Redis paused: %v, want %s", err, core.EUNAVAILABLE)
	}
	if took > 2*time.Second { // the wait is 300 ms; generous for a loaded machine
		t.Errorf("Apply with Redis paused failed after %v, want about its 300 ms store wait", took)
	}
	time.Sleep(100 * time.Millisecond) // let the written script sit past its deadline
	srv.Resume()

	// Redis runs what it had received before it answers this later call
	// on a new connection; give it a moment more all the same.
	if _, err := s.AuditHead(t.Context()); err != nil {
		t.Fatalf("first call after SIGCONT: %v", err)
	}
	time.Sleep(100 * time.Millisecond)
	events, err := s.AuditRange(t.Context(), 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 1 {
		t.Errorf("audit holds %d events after SIGCONT, want 1: the Apply reported unavailable ran late", len(events))
	}
}
