package redis_test

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/elevate-pim/elevate/core"
	"github.com/elevate-pim/elevate/store/redis"
	"github.com/elevate-pim/elevate/store/redis/redistest"
	goredis "github.com/redis/go-redis/v9"
)

// mustApply applies c and fails the test on any error.
func mustApply(t testing.TB, s core.Store, c core.Change) {
	t.Helper()
	if err := s.Apply(t.Context(), c); err != nil {
		t.Fatalf("Apply: %v", err)
	}
}

// newStores returns n stores, each with its own client, sharing one prefix,
// as n replicas of the bot would; and a raw client of the same server.
func newStores(t *testing.T, n int) ([]*redis.Store, *goredis.Client, string) {
	t.Helper()
	prefix := redistest.NewPrefix(t)
	stores := make([]*redis.Store, n)
	for i := range stores {
		stores[i] = redis.New(redistest.NewClient(t), redis.WithPrefix(prefix))
	}
	return stores, redistest.NewClient(t), prefix
}

func window(principal, role, requestID string, ttl time.Duration) core.WindowWrite {
	now := time.Now()
	return core.WindowWrite{
		Window: core.Window{Principal: principal, Role: role, RequestID: requestID, Start: now, End: now.Add(ttl)},
		TTL:    ttl,
	}
}

func event(actor, action string) core.AuditEvent {
	return core.AuditEvent{Time: time.Now(), Actor: actor, Action: action, Principal: "alice", Role: "prod-db"}
}

func TestWindowIsAKeyWithTheTTL(t *testing.T) {
	stores, raw, prefix := newStores(t, 1)
	s := stores[0]
	const ttl = 300 * time.Millisecond
	mustApply(t, s, core.Change{OpenWindows: []core.WindowWrite{window("alice", "prod-db", "r-1", ttl)}})

	key := "{" + prefix + "}:win:alice/prod-db"
	pttl, err := raw.PTTL(t.Context(), key).Result()
	if err != nil {
		t.Fatalf("PTTL %s: %v", key, err)
	}
	if pttl <= 0 || pttl > ttl {
		t.Fatalf("PTTL %s = %v, want within (0, %v]", key, pttl, ttl)
	}
	if _, err := s.Window(t.Context(), "alice", "prod-db"); err != nil {
		t.Fatalf("Window while the key lives: %v", err)
	}

	time.Sleep(ttl + 100*time.Millisecond)
	if n, err := raw.Exists(t.Context(), key).Result(); err != nil || n != 0 {
		t.Fatalf("EXISTS %s after its TTL = %d, %v; want 0", key, n, err)
	}
	if _, err := s.Window(t.Context(), "alice", "prod-db"); core.ErrorCode(err) != core.ENOTFOUND {
		t.Fatalf("Window after the TTL: %v, want ENOTFOUND", err)
	}
}

func TestWindowIndexIsPrunedOnRead(t *testing.T) {
	stores, raw, prefix := newStores(t, 1)
	s := stores[0]
	mustApply(t, s, core.Change{OpenWindows: []core.WindowWrite{
		window("alice", "prod-db", "r-1", 100*time.Millisecond),
		window("bob", "prod-db", "r-2", time.Minute),
	}})
	time.Sleep(200 * time.Millisecond)
	ws, err := s.Windows(t.Context(), "prod-db")
	if err != nil || len(ws) != 1 || ws[0].Principal != "bob" {
		t.Fatalf("Windows = %+v, %v; want bob's only", ws, err)
	}
	index := "{" + prefix + "}:winidx:prod-db"
	if members, err := raw.SMembers(t.Context(), index).Result(); err != nil || len(members) != 1 || members[0] != "bob" {
		t.Fatalf("SMEMBERS %s = %q, %v; want bob only", index, members, err)
	}
}

func TestPairKeysAreUnambiguous(t *testing.T) {
	s := redistest.NewStore(t)
	mustApply(t, s, core.Change{OpenWindows: []core.WindowWrite{window("a/b", "c", "r-1", time.Minute)}})
	if _, err := s.Window(t.Context(), "a", "b/c"); core.ErrorCode(err) != core.ENOTFOUND {
		t.Fatalf("Window(a, b/c) after opening (a/b, c): %v, want ENOTFOUND", err)
	}
	mustApply(t, s, core.Change{Slots: []core.SlotWrite{{Principal: "a%2F", Role: "x", Set: "r-1"}}})
	mustApply(t, s, core.Change{Slots: []core.SlotWrite{{Principal: "a/", Role: "x", Set: "r-2"}}})
}

func TestEveryKeySharesOneHashTag(t *testing.T) {
	stores, raw, prefix := newStores(t, 1)
	s := stores[0]
	now := time.Now()
	r := &core.Request{ID: "r-1", Principal: "alice", Role: "prod-db", State: core.StateActive, CreatedAt: now}
	mustApply(t, s, core.Change{
		Requests:       []core.RequestWrite{{Request: r}},
		Slots:          []core.SlotWrite{{Principal: "alice", Role: "prod-db", Set: "r-1"}},
		OpenWindows:    []core.WindowWrite{window("alice", "prod-db", "r-1", time.Minute)},
		PutAssignments: []core.Assignment{{Kind: core.Eligible, Principal: "alice", Role: "prod-db"}},
		MFA:            &core.MFAWrite{Record: &core.MFARecord{Principal: "alice", Sealed: []byte("x")}},
		Schedule:       []core.Job{{Kind: core.JobExpire, Ref: "r-1", Due: now.Add(-time.Second)}},
		Audit:          []core.AuditEvent{event("alice", "activate")},
	})
	if _, err := s.Once(t.Context(), "slack:evt-1", time.Minute); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ClaimJobs(t.Context(), now, time.Minute, 10); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AuditHead(t.Context()); err != nil { // seals: audit, audithead
		t.Fatal(err)
	}

	var keys []string
	iter := raw.Scan(t.Context(), 0, "*"+prefix+"*", 1000).Iterator()
	for iter.Next(t.Context()) {
		keys = append(keys, iter.Val())
	}
	if err := iter.Err(); err != nil {
		t.Fatalf("SCAN: %v", err)
	}
	kinds := map[string]bool{}
	for _, k := range keys {
		if tag := hashTag(k); tag != prefix {
			t.Errorf("key %q has hash tag %q, want %q", k, tag, prefix)
		}
		rest := strings.TrimPrefix(k, "{"+prefix+"}:")
		kind, _, _ := strings.Cut(rest, ":")
		kinds[kind] = true
	}
	for _, want := range []string{"req", "openof", "slot", "win", "winidx", "asg", "asgof", "asgfor", "rev", "mfa", "jobs", "jobdata", "audit", "audithead", "auditpending", "auditseq", "once"} {
		if !kinds[want] {
			t.Errorf("no %s key among %q", want, keys)
		}
	}
}

// hashTag returns the part of key that Redis Cluster hashes: the text
// between the first '{' and the next '}', when that is not empty.
func hashTag(key string) string {
	open := strings.IndexByte(key, '{')
	if open < 0 {
		return key
	}
	end := strings.IndexByte(key[open+1:], '}')
	if end <= 0 {
		return key
	}
	return key[open+1 : open+1+end]
}

func TestOneTransitionWinsAcrossStores(t *testing.T) {
	const writers = 50
	stores, _, _ := newStores(t, 2)
	r := &core.Request{ID: "r-1", Principal: "alice", Role: "prod-db", State: core.StateActive, CreatedAt: time.Now()}
	mustApply(t, stores[0], core.Change{
		Requests:    []core.RequestWrite{{Request: r}},
		Slots:       []core.SlotWrite{{Principal: "alice", Role: "prod-db", Set: "r-1"}},
		OpenWindows: []core.WindowWrite{window("alice", "prod-db", "r-1", time.Minute)},
	})

	var (
		wg    sync.WaitGroup
		start = make(chan struct{})
		errs  = make([]error, writers)
	)
	for i := range writers {
		next := r.Clone()
		next.State, next.DecidedBy = core.Revoked, fmt.Sprintf("actor-%d", i)
		s := stores[i%len(stores)]
		wg.Go(func() {
			<-start
			errs[i] = s.Apply(t.Context(), core.Change{
				Requests:     []core.RequestWrite{{Request: next, Expect: 1}},
				Slots:        []core.SlotWrite{{Principal: "alice", Role: "prod-db", Expect: "r-1"}},
				CloseWindows: []core.WindowKey{{Principal: "alice", Role: "prod-db"}},
				Audit:        []core.AuditEvent{event(next.DecidedBy, "revoke")},
			})
		})
	}
	close(start)
	wg.Wait()

	winner := ""
	for i, err := range errs {
		switch core.ErrorCode(err) {
		case "":
			if winner != "" {
				t.Fatalf("%s and actor-%d both succeeded", winner, i)
			}
			winner = fmt.Sprintf("actor-%d", i)
		case core.ECONFLICT:
		default:
			t.Fatalf("writer %d: %v, want success or ECONFLICT", i, err)
		}
	}
	if winner == "" {
		t.Fatal("no writer succeeded")
	}
	for _, s := range stores {
		got, err := s.Request(t.Context(), "r-1")
		if err != nil || got.DecidedBy != winner || got.Version != 2 {
			t.Fatalf("request = %+v, %v; want decided by %s at version 2", got, err, winner)
		}
		events, head, err := core.ReadAudit(t.Context(), s, core.AuditFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if err := core.VerifyAudit(events, head); err != nil {
			t.Fatal(err)
		}
		if len(events) != 1 || events[0].Actor != winner {
			t.Fatalf("audit = %+v, want the winner's one event", events)
		}
	}
}

func TestJobsAreClaimedOnceAcrossStores(t *testing.T) {
	const jobs = 1000
	stores, _, _ := newStores(t, 3)
	now := time.Now()
	var c core.Change
	for i := range jobs {
		c.Schedule = append(c.Schedule, core.Job{Kind: core.JobExpire, Ref: fmt.Sprintf("r-%04d", i), Due: now.Add(-time.Duration(i) * time.Millisecond)})
	}
	mustApply(t, stores[0], c)

	var (
		mu     sync.Mutex
		counts = map[string]int{}
		wg     sync.WaitGroup
		start  = make(chan struct{})
	)
	for _, s := range stores {
		wg.Go(func() {
			<-start
			for {
				js, err := s.ClaimJobs(t.Context(), time.Now(), time.Minute, 25)
				if err != nil {
					t.Errorf("ClaimJobs: %v", err)
					return
				}
				if len(js) == 0 {
					return
				}
				mu.Lock()
				for _, j := range js {
					counts[j.ID()]++
				}
				mu.Unlock()
				for _, j := range js {
					if err := s.CompleteJob(t.Context(), j); err != nil {
						t.Errorf("CompleteJob: %v", err)
						return
					}
				}
			}
		})
	}
	close(start)
	wg.Wait()
	if len(counts) != jobs {
		t.Errorf("claimed %d distinct jobs, want %d", len(counts), jobs)
	}
	for id, n := range counts {
		if n != 1 {
			t.Errorf("job %s claimed %d times", id, n)
		}
	}
	if left, err := stores[1].Jobs(t.Context()); err != nil || len(left) != 0 {
		t.Errorf("Jobs after every claim completed = %d jobs, %v", len(left), err)
	}
}

func TestAbandonedClaimPassesToAnotherStore(t *testing.T) {
	const lease = 200 * time.Millisecond
	stores, _, _ := newStores(t, 2)
	a, b := stores[0], stores[1]
	j := core.Job{Kind: core.JobRevoke, Ref: "r-1", Due: time.Now().Add(-time.Second), Attempt: 2}
	mustApply(t, a, core.Change{Schedule: []core.Job{j}})

	first, err := a.ClaimJobs(t.Context(), time.Now(), lease, 10)
	if err != nil || len(first) != 1 {
		t.Fatalf("a's claim = %+v, %v; want the job", first, err)
	}
	if js, err := b.ClaimJobs(t.Context(), time.Now(), time.Minute, 10); err != nil || len(js) != 0 {
		t.Fatalf("b's claim during a's lease = %+v, %v; want nothing", js, err)
	}

	time.Sleep(lease + 100*time.Millisecond) // a never completes: it died
	second, err := b.ClaimJobs(t.Context(), time.Now(), time.Minute, 10)
	if err != nil || len(second) != 1 || second[0].ID() != j.ID() || second[0].Attempt != 2 {
		t.Fatalf("b's claim after a's lease = %+v, %v; want the job", second, err)
	}
	// a wakes up late: its stale completion leaves b's claim alone.
	if err := a.CompleteJob(t.Context(), first[0]); err != nil {
		t.Fatal(err)
	}
	if js, err := b.Jobs(t.Context()); err != nil || len(js) != 1 || !js[0].Lease.Equal(second[0].Lease) {
		t.Fatalf("Jobs after a's stale completion = %+v, %v; want b's claim", js, err)
	}
	if err := b.CompleteJob(t.Context(), second[0]); err != nil {
		t.Fatal(err)
	}
	if js, err := a.Jobs(t.Context()); err != nil || len(js) != 0 {
		t.Fatalf("Jobs after b's completion = %+v, %v; want none", js, err)
	}
}

func TestAuditChainContinuesAcrossStores(t *testing.T) {
	prefix := redistest.NewPrefix(t)
	a := redis.New(redistest.NewClient(t), redis.WithPrefix(prefix))
	mustApply(t, a, core.Change{Audit: []core.AuditEvent{event("a", "first"), event("a", "second")}})

	// A new replica, or the bot restarted: it must chain onto the stored head.
	b := redis.New(redistest.NewClient(t), redis.WithPrefix(prefix))
	mustApply(t, b, core.Change{Audit: []core.AuditEvent{event("b", "third")}})
	// a's idea of the head is now stale: it must learn the new one and retry.
	mustApply(t, a, core.Change{Audit: []core.AuditEvent{event("a", "fourth")}})

	events, head, err := core.ReadAudit(t.Context(), b, core.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if err := core.VerifyAudit(events, head); err != nil {
		t.Fatalf("VerifyAudit: %v", err)
	}
	var got []string
	for _, e := range events {
		got = append(got, strconv.FormatInt(e.Seq, 10)+":"+e.Actor+":"+e.Action)
	}
	want := []string{"1:a:first", "2:a:second", "3:b:third", "4:a:fourth"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("audit = %q, want %q", got, want)
	}
}

func TestConcurrentAuditAcrossStores(t *testing.T) {
	const writers = 20
	stores, _, _ := newStores(t, 2)
	var (
		wg    sync.WaitGroup
		start = make(chan struct{})
	)
	for i := range writers {
		s := stores[i%len(stores)]
		actor := fmt.Sprintf("actor-%d", i)
		wg.Go(func() {
			<-start
			if err := s.Apply(t.Context(), core.Change{Audit: []core.AuditEvent{event(actor, "first"), event(actor, "second")}}); err != nil {
				t.Errorf("%s: %v", actor, err)
			}
		})
	}
	close(start)
	wg.Wait()
	events, head, err := core.ReadAudit(t.Context(), stores[0], core.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if err := core.VerifyAudit(events, head); err != nil {
		t.Fatalf("VerifyAudit: %v", err)
	}
	if len(events) != 2*writers {
		t.Fatalf("audit has %d events, want %d", len(events), 2*writers)
	}
	for i := 0; i < len(events); i += 2 {
		if events[i].Actor != events[i+1].Actor || events[i].Action != "first" || events[i+1].Action != "second" {
			t.Fatalf("events %d and %d split one change's events", events[i].Seq, events[i+1].Seq)
		}
	}
}

func TestMemoryPerWindow(t *testing.T) {
	const (
		windows = 10_000
		batch   = 200
		limit   = 1024 // bytes: PRODUCT.md's target
	)
	stores, raw, _ := newStores(t, 1)
	s := stores[0]
	// Load the script and create the shared keys before measuring.
	mustApply(t, s, core.Change{OpenWindows: []core.WindowWrite{window("warm-up", "prod-db", "r-warmup", time.Minute)}})

	before := usedMemory(t, raw)
	for i := 0; i < windows; i += batch {
		var c core.Change
		for j := i; j < i+batch; j++ {
			c.OpenWindows = append(c.OpenWindows, window(fmt.Sprintf("U%010d", j), "prod-db", fmt.Sprintf("r-%06d", j), time.Minute))
		}
		mustApply(t, s, c)
	}
	after := usedMemory(t, raw)
	per := (after - before) / windows
	t.Logf("Redis memory per window: %d bytes (%d windows, %d → %d bytes used)", per, windows, before, after)
	if per > limit {
		t.Fatalf("Redis memory per window = %d bytes, want at most %d", per, limit)
	}
}

// usedMemory returns the server's used_memory from INFO memory.
func usedMemory(t *testing.T, c *goredis.Client) int64 {
	t.Helper()
	info, err := c.Info(t.Context(), "memory").Result()
	if err != nil {
		t.Fatalf("INFO memory: %v", err)
	}
	for line := range strings.SplitSeq(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "used_memory:"); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				t.Fatalf("used_memory %q: %v", v, err)
			}
			return n
		}
	}
	t.Fatalf("INFO memory has no used_memory:\n%s", info)
	return 0
}

func TestOpen(t *testing.T) {
	s, err := redis.Open(redistest.URL(t), "", redis.WithPrefix(redistest.NewPrefix(t)))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer s.Close()
	if first, err := s.Once(t.Context(), "k", time.Minute); err != nil || !first {
		t.Fatalf("Once on an opened store = %v, %v", first, err)
	}
}

func TestOpenErrorsNameTheHostNotThePassword(t *testing.T) {
	addr := closedAddr(t)
	_, err := redis.Open("redis://admin:hunter2@"+addr+"/0", "")
	if err == nil {
		t.Fatal("Open of a closed port succeeded")
	}
	if !strings.Contains(err.Error(), addr) || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("Open error %q: want the address %s and no password", err, addr)
	}
	for _, u := range []string{"http://admin:hunter2@localhost/", "redis://admin:hunter2@localhost:port/0", "redis://admin:hunter2@localhost/zero"} {
		_, err := redis.Open(u, "")
		if err == nil || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("Open(%q) error = %v: want an error without the password", u, err)
		}
	}
}

// closedAddr returns a loopback address where nothing listens.
func closedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func TestCanceledContextWritesNothing(t *testing.T) {
	s := redistest.NewStore(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := s.Apply(ctx, core.Change{Requests: []core.RequestWrite{{Request: &core.Request{ID: "r-1"}}}}); err == nil {
		t.Fatal("Apply with a canceled context succeeded")
	}
	if _, err := s.Request(t.Context(), "r-1"); core.ErrorCode(err) != core.ENOTFOUND {
		t.Fatalf("Apply with a canceled context wrote: %v", err)
	}
}

func TestPrefixWithBracesIsRefused(t *testing.T) {
	for _, p := range []string{"", "a{b", "}x"} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("WithPrefix(%q) was accepted", p)
				}
			}()
			redis.New(nil, redis.WithPrefix(p))
		}()
	}
}
