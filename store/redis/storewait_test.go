package redis_test

import (
	"testing"
	"time"

	"github.com/elevate-pim/elevate/core"
	"github.com/elevate-pim/elevate/store/redis"
	"github.com/elevate-pim/elevate/store/redis/redistest"
)

// TestStoreWaitBoundsTheInteraction: with Redis paused, six store calls
// made for one interaction wait its store wait in all, not each: the
// sixth fails at once.
func TestStoreWaitBoundsTheInteraction(t *testing.T) {
	srv := redistest.StartServer(t)
	s, err := redis.Open(srv.URL(), "", redis.WithPrefix(redistest.NewPrefix(t)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	srv.Pause()
	defer srv.Resume()
	const wait = 600 * time.Millisecond
	ctx := core.WithStoreWait(t.Context(), wait)
	calls := storeCalls(s)
	start := time.Now()
	for _, name := range []string{"Request", "Window", "AssignmentsOf", "AssignmentsByKey", "OpenRequestsOf", "Apply"} {
		if err := calls[name](ctx); core.ErrorCode(err) != core.EUNAVAILABLE {
			t.Errorf("%s with Redis paused: %v, want %s", name, err, core.EUNAVAILABLE)
		}
	}
	// Each call waiting its own 600 ms would take 3.6 s.
	if took := time.Since(start); took > 3*wait {
		t.Errorf("six calls of one interaction took %v, want about its %v store wait", took, wait)
	}
	if left, ok := core.StoreWait(ctx); !ok || left != 0 {
		t.Errorf("store wait left: %v %v, want it spent", left, ok)
	}
}
