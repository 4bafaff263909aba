package storetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/elevate-pim/elevate/core"
)

// leaser is the lease capability every store offers beside core.Store: a
// named lock for one holder at a time (the Discord gateway session), with a
// fencing token that grows with every new holder.
type leaser interface {
	AcquireLease(ctx context.Context, name string, ttl time.Duration) (token int64, ok bool, err error)
	RenewLease(ctx context.Context, name string, token int64, ttl time.Duration) (bool, error)
	ReleaseLease(ctx context.Context, name string, token int64) error
}

// testLease checks that a lease has one holder at a time, that only its
// holder renews or releases it, that it lapses after its ttl unless
// renewed, and that every new holder gets a larger token.
func testLease(t *testing.T, s core.Store) {
	l, ok := s.(leaser)
	if !ok {
		t.Fatalf("%T offers no leases (AcquireLease, RenewLease, ReleaseLease)", s)
	}
	ctx := context.Background()
	const ttl = 300 * time.Millisecond
	acquire := func(name string) (int64, bool) {
		t.Helper()
		tok, ok, err := l.AcquireLease(ctx, name, ttl)
		if err != nil {
			t.Fatalf("AcquireLease(%s): %v", name, err)
		}
		return tok, ok
	}
	first, ok := acquire("gw")
	if !ok || first <= 0 {
		t.Fatalf("a free lease was not granted: token %d, ok %v", first, ok)
	}
	if _, ok := acquire("gw"); ok {
		t.Fatal("a held lease was granted to a second holder")
	}
	if other, ok := acquire("other"); !ok || other <= 0 {
		t.Fatal("another name's lease was not granted")
	}
	if ok, err := l.RenewLease(ctx, "gw", first+1, ttl); err != nil || ok {
		t.Fatalf("renewal with a wrong token = %v, %v; want refused", ok, err)
	}
	// Renewing keeps it past the first ttl.
	for range 3 {
		time.Sleep(ttl / 2)
		if ok, err := l.RenewLease(ctx, "gw", first, ttl); err != nil || !ok {
			t.Fatalf("renewal by the holder = %v, %v", ok, err)
		}
	}
	if _, ok := acquire("gw"); ok {
		t.Fatal("a renewed lease was granted to another holder")
	}
	// Unrenewed, it lapses; the next holder's token is larger and the old
	// holder can neither renew nor release it.
	time.Sleep(ttl + slack)
	second, ok := acquire("gw")
	if !ok || second <= first {
		t.Fatalf("a lapsed lease: token %d ok %v; want granted with a token above %d", second, ok, first)
	}
	if ok, err := l.RenewLease(ctx, "gw", first, ttl); err != nil || ok {
		t.Fatalf("renewal by the lapsed holder = %v, %v; want refused", ok, err)
	}
	if err := l.ReleaseLease(ctx, "gw", first); err != nil {
		t.Fatal(err)
	}
	if _, ok := acquire("gw"); ok {
		t.Fatal("the lapsed holder's release freed the new holder's lease")
	}
	if err := l.ReleaseLease(ctx, "gw", second); err != nil {
		t.Fatal(err)
	}
	third, ok := acquire("gw")
	if !ok || third <= second {
		t.Fatalf("a released lease: token %d ok %v; want granted with a token above %d", third, ok, second)
	}
	if err := l.ReleaseLease(ctx, "gw", third); err != nil {
		t.Fatal(err)
	}

	// Many contenders at once: exactly one wins.
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		wins int
	)
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, ok, err := l.AcquireLease(ctx, "race", time.Minute); err == nil && ok {
				mu.Lock()
				wins++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if wins != 1 {
		t.Fatalf("%d of 20 concurrent contenders got the lease, want 1", wins)
	}
	if _, _, err := l.AcquireLease(ctx, "", ttl); core.ErrorCode(err) != core.EINVALID {
		t.Fatalf("a lease without a name: %v, want EINVALID", err)
	}
	if _, _, err := l.AcquireLease(ctx, "x", 0); core.ErrorCode(err) != core.EINVALID {
		t.Fatalf("a lease without a ttl: %v, want EINVALID", err)
	}
}
