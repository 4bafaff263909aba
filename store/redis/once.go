package redis

import (
	"context"
	"fmt"
	"time"

	"github.com/elevate-pim/elevate/core"
	goredis "github.com/redis/go-redis/v9"
)

// onceScript marks ARGV[1] seen in the zset KEYS[1] until ARGV[3] (ms by
// the store's clock) unless it is marked beyond now (ARGV[2]); 1 if it was
// not, else 0. It forgets a few keys whose time has passed, so the set
// holds only the keys seen within their ttl.
var onceScript = goredis.NewScript(`
local seen = redis.call('ZSCORE', KEYS[1], ARGV[1])
if seen and tonumber(seen) > tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
local stale = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[2], 'LIMIT', 0, 8)
if #stale > 0 then redis.call('ZREM', KEYS[1], unpack(stale)) end
return 1
`)

// Once reports whether key was not seen within the last ttl and marks it
// seen for ttl from now, both by the store's clock (see WithClock). An
// empty key or a ttl that is not positive is EINVALID.
func (s *Store) Once(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	if err := live(ctx); err != nil {
		return false, err
	}
	if err := core.ValidateOnce(key, ttl); err != nil {
		return false, err
	}
	now := s.clock.Now().UnixMilli()
	first, err := onceScript.Run(ctx, s.client, []string{s.keys.once()}, key, now, now+ttlMillis(ttl)).Int()
	if err != nil {
		return false, fmt.Errorf("redis once %s: %w", key, err)
	}
	return first == 1, nil
}
