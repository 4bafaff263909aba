package redis

import (
	"context"
	"fmt"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// DefaultAckTimeout is how long Apply waits for replicas under
// WithReplicaAcks when Open turns it on for Sentinel.
const DefaultAckTimeout = 500 * time.Millisecond

// WithReplicaAcks makes every Apply wait (Redis WAIT) until n replicas hold
// the change, for at most timeout, and fail when fewer did. Redis
// replicates asynchronously: a write only the old master held is lost when
// a replica is promoted. Waiting for a replica makes a transition that
// Apply reported done survive a failover; one it reported failed may still
// have happened, which the caller's retry meets as a conflict. n 0 turns
// waiting off.
func WithReplicaAcks(n int, timeout time.Duration) Option {
	return func(s *Store) { s.acks, s.ackTimeout = n, timeout }
}

// runWrite runs script like Script.Run and, when the store waits for
// replicas, sends WAIT on the same connection in the same round trip, so
// that it covers the script's writes.
func (s *Store) runWrite(ctx context.Context, script *goredis.Script, keys []string, args ...any) (any, error) {
	if s.acks <= 0 {
		return script.Run(ctx, s.client, keys, args...).Result()
	}
	res, err := s.evalAndWait(ctx, func(p goredis.Pipeliner) *goredis.Cmd { return script.EvalSha(ctx, p, keys, args...) })
	if err != nil && strings.Contains(err.Error(), "NOSCRIPT") {
		res, err = s.evalAndWait(ctx, func(p goredis.Pipeliner) *goredis.Cmd { return script.Eval(ctx, p, keys, args...) })
	}
	return res, err
}

// evalAndWait pipelines eval and WAIT, and returns eval's result once
// enough replicas acknowledged.
func (s *Store) evalAndWait(ctx context.Context, eval func(goredis.Pipeliner) *goredis.Cmd) (any, error) {
	var (
		res  *goredis.Cmd
		wait *goredis.Cmd
	)
	_, err := s.client.Pipelined(ctx, func(p goredis.Pipeliner) error {
		res = eval(p)
		wait = p.Do(ctx, "wait", s.acks, s.ackTimeout.Milliseconds())
		return nil
	})
	if err := res.Err(); err != nil {
		return nil, err
	}
	if err != nil {
		return nil, err
	}
	if n, _ := wait.Int64(); n < int64(s.acks) {
		return nil, fmt.Errorf("%d of %d replicas acknowledged the write within %v: it may be lost if the master fails", n, s.acks, s.ackTimeout)
	}
	return res.Val(), nil
}
