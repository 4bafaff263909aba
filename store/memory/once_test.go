package memory

import (
	"fmt"
	"testing"
	"time"
)

// fixedClock is a core.Clock stopped at one instant.
type fixedClock struct{ now *time.Time }

func (c fixedClock) Now() time.Time { return *c.now }

func TestOnceForgetsExpiredKeys(t *testing.T) {
	// Keys never asked about again must not pile up: once their ttl has run
	// out, new keys sweep them away.
	now := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	s := New(WithClock(fixedClock{&now}))
	const keys = 5000
	for i := range keys {
		if _, err := s.Once(t.Context(), fmt.Sprintf("old-%d", i), time.Second); err != nil {
			t.Fatal(err)
		}
	}
	now = now.Add(time.Second)
	for i := range keys {
		first, err := s.Once(t.Context(), fmt.Sprintf("new-%d", i), time.Second)
		if err != nil || !first {
			t.Fatalf("Once(new-%d) = %v, %v", i, first, err)
		}
	}
	if n := len(s.seen); n > keys {
		t.Fatalf("%d keys remembered, want at most the %d live ones", n, keys)
	}
}
