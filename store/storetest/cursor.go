package storetest

import (
	"context"
	"sync"
	"testing"

	"github.com/elevate-pim/elevate/core"
)

// cursors is the durable-cursor capability every store offers beside
// core.Store: named positions (the SIEM forwarders' place in the audit
// trail) moved by compare-and-set.
type cursors interface {
	Cursor(ctx context.Context, name string) (int64, error)
	AdvanceCursor(ctx context.Context, name string, from, to int64) (bool, error)
}

// testCursor checks that a cursor starts at 0, moves only from where it
// is, and that of concurrent movers from one position exactly one wins.
func testCursor(t *testing.T, s core.Store) {
	c, ok := s.(cursors)
	if !ok {
		t.Fatalf("%T offers no cursors (Cursor, AdvanceCursor)", s)
	}
	ctx := context.Background()
	if pos, err := c.Cursor(ctx, "siem:a"); err != nil || pos != 0 {
		t.Fatalf("a new cursor = %d, %v; want 0", pos, err)
	}
	if ok, err := c.AdvanceCursor(ctx, "siem:a", 0, 10); err != nil || !ok {
		t.Fatalf("advance 0→10 = %v, %v", ok, err)
	}
	if ok, err := c.AdvanceCursor(ctx, "siem:a", 0, 20); err != nil || ok {
		t.Fatalf("advance from a stale position = %v, %v; want refused", ok, err)
	}
	if pos, _ := c.Cursor(ctx, "siem:a"); pos != 10 {
		t.Fatalf("cursor = %d, want 10", pos)
	}
	if pos, _ := c.Cursor(ctx, "siem:b"); pos != 0 {
		t.Fatalf("another cursor moved with it: %d", pos)
	}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		wins int
	)
	for i := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if ok, err := c.AdvanceCursor(ctx, "siem:a", 10, int64(11+i)); err == nil && ok {
				mu.Lock()
				wins++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if wins != 1 {
		t.Fatalf("%d of 10 concurrent moves from one position won, want 1", wins)
	}
	if _, err := c.AdvanceCursor(ctx, "", 0, 1); core.ErrorCode(err) != core.EINVALID {
		t.Fatalf("a cursor without a name: %v, want EINVALID", err)
	}
}
