package redis_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/elevate-pim/elevate/core"
	"github.com/elevate-pim/elevate/store/redis"
	"github.com/elevate-pim/elevate/store/redis/redistest"
	goredis "github.com/redis/go-redis/v9"
)

// TestSealersRaceWithoutLoss: three stores (three replicas, each with its
// own background sealer) append audit events from many goroutines while a
// fourth reads the head over and over (sealing too). Every event ends up
// chained exactly once, in sequence order, and the chain verifies.
func TestSealersRaceWithoutLoss(t *testing.T) {
	stores, _, _ := newStores(t, 4)
	const writers, perWriter, perChange = 12, 25, 3
	var wg sync.WaitGroup
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-done:
				return
			default:
			}
			if _, err := stores[3].AuditHead(t.Context()); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	for w := range writers {
		wg.Go(func() {
			s := stores[w%3]
			for i := range perWriter {
				c := core.Change{}
				for k := range perChange {
					c.Audit = append(c.Audit, event(fmt.Sprintf("w%d", w), fmt.Sprintf("a%d.%d", i, k)))
				}
				if err := s.Apply(t.Context(), c); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(done)

	want := int64(writers * perWriter * perChange)
	n, err := core.VerifyStoredAudit(t.Context(), stores[0])
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	if n != want {
		t.Fatalf("verified %d events, want %d", n, want)
	}
	seen := map[string]bool{}
	if _, err := core.ScanAudit(t.Context(), stores[1], 0, func(e *core.AuditEvent) error {
		key := e.Actor + "/" + e.Action
		if seen[key] {
			return fmt.Errorf("event %s chained twice", key)
		}
		seen[key] = true
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if int64(len(seen)) != want {
		t.Fatalf("%d distinct events, want %d", len(seen), want)
	}
}

// TestAppendedEventsAreReadableAtOnce: an event is in AuditRange and
// AuditHead as soon as the Apply that wrote it returns, before any
// background seal could have run; and the background sealer chains it
// even when nobody reads.
func TestAppendedEventsAreReadableAtOnce(t *testing.T) {
	stores, raw, prefix := newStores(t, 2)
	mustApply(t, stores[0], core.Change{Audit: []core.AuditEvent{event("bob", "one"), event("bob", "two")}})
	got, err := stores[1].AuditRange(t.Context(), 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[1].Action != "two" || got[1].Hash == "" || got[1].PrevHash != got[0].Hash {
		t.Fatalf("AuditRange right after Apply = %+v", got)
	}
	mustApply(t, stores[0], core.Change{Audit: []core.AuditEvent{event("bob", "three")}})
	head, err := stores[1].AuditHead(t.Context())
	if err != nil || head.Seq != 3 {
		t.Fatalf("AuditHead = %+v, %v; want seq 3", head, err)
	}

	// Nobody reads now: the writer's own sealer chains the next event.
	mustApply(t, stores[0], core.Change{Audit: []core.AuditEvent{event("bob", "four")}})
	deadline := time.Now().Add(10 * time.Second)
	for raw.XLen(t.Context(), "{"+prefix+"}:audit").Val() != 4 {
		if time.Now().After(deadline) {
			t.Fatalf("the background sealer did not chain the fourth event: audit stream has %d", raw.XLen(t.Context(), "{"+prefix+"}:audit").Val())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if n := raw.XLen(t.Context(), "{"+prefix+"}:auditpending").Val(); n != 0 {
		t.Fatalf("%d events still pending after the seal", n)
	}
}

// TestSealContinuesAnExistingChain: a log written before events were
// sealed (its head set, no sequence counter) is continued from its head.
func TestSealContinuesAnExistingChain(t *testing.T) {
	stores, raw, prefix := newStores(t, 1)
	mustApply(t, stores[0], core.Change{Audit: []core.AuditEvent{event("bob", "one"), event("bob", "two")}})
	if _, err := stores[0].AuditHead(t.Context()); err != nil {
		t.Fatal(err)
	}
	// As an older version left it: no counter, the head alone says where the log is.
	if err := raw.Del(t.Context(), "{"+prefix+"}:auditseq").Err(); err != nil {
		t.Fatal(err)
	}
	mustApply(t, stores[0], core.Change{Audit: []core.AuditEvent{event("bob", "three")}})
	n, err := core.VerifyStoredAudit(t.Context(), stores[0])
	if err != nil || n != 3 {
		t.Fatalf("verify = %d, %v; want 3 events", n, err)
	}
}

var _ core.AuditReader = (*redis.Store)(nil)

// TestEventsOfADeadWriterAreSealed: a replica that appended events and died
// before its sealer ran (its store closed at once) leaves them pending; the
// next write of another replica seals them, in order, once.
func TestEventsOfADeadWriterAreSealed(t *testing.T) {
	stores, raw, prefix := newStores(t, 2)
	mustApply(t, stores[0], core.Change{Audit: []core.AuditEvent{event("bob", "one"), event("bob", "two")}})
	stores[0].Close() // within the sealer's gathering delay: it never seals
	if n := raw.XLen(t.Context(), "{"+prefix+"}:auditpending").Val(); n != 2 {
		t.Fatalf("%d events pending after the writer died, want 2", n)
	}
	mustApply(t, stores[1], core.Change{Audit: []core.AuditEvent{event("carol", "three")}})
	deadline := time.Now().Add(10 * time.Second)
	for raw.XLen(t.Context(), "{"+prefix+"}:audit").Val() != 3 {
		if time.Now().After(deadline) {
			t.Fatalf("the other replica's sealer did not seal the dead writer's events")
		}
		time.Sleep(10 * time.Millisecond)
	}
	n, err := core.VerifyStoredAudit(t.Context(), stores[1])
	if err != nil || n != 3 {
		t.Fatalf("verify = %d, %v; want 3 events", n, err)
	}
}

// TestSealAfterRedisWasPaused: an event appended just before Redis was
// paused (SIGSTOP) for longer than a command may wait is not sealed while
// it is; the background sealer's seal fails, and its retry seals the event
// once Redis goes on, without anyone reading.
func TestSealAfterRedisWasPaused(t *testing.T) {
	srv := redistest.StartServer(t)
	prefix := redistest.NewPrefix(t)
	s, err := redis.Open(srv.URL(), "", redis.WithPrefix(prefix))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	opt, err := goredis.ParseURL(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	srvRaw := goredis.NewClient(opt)
	t.Cleanup(func() { srvRaw.Close() })
	if err := s.Apply(t.Context(), core.Change{Audit: []core.AuditEvent{event("alice", "one")}}); err != nil {
		t.Fatal(err)
	}
	srv.Pause()                         // within the sealer's gathering delay: its seal meets a paused Redis
	time.Sleep(2500 * time.Millisecond) // past the background seal's 2 s bound: that seal fails
	srv.Resume()
	deadline := time.Now().Add(15 * time.Second)
	for {
		n, err := srvRaw.XLen(t.Context(), "{"+prefix+"}:audit").Result()
		if err == nil && n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the event was not sealed after Redis went on: audit stream %d, %v", n, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
