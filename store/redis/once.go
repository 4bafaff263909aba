package redis

import (
	"context"
	"fmt"
	"time"

	"github.com/elevate-pim/elevate/core"
)

// Once reports whether key was not seen within the last ttl and marks it
// seen for ttl from now (SET NX PX: Redis keeps the time). An empty key or
// a ttl that is not positive is EINVALID.
func (s *Store) Once(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	if err := live(ctx); err != nil {
		return false, err
	}
	if err := core.ValidateOnce(key, ttl); err != nil {
		return false, err
	}
	first, err := s.client.SetNX(ctx, s.keys.once(key), 1, time.Duration(ttlMillis(ttl))*time.Millisecond).Result()
	if err != nil {
		return false, fmt.Errorf("redis once %s: %w", key, err)
	}
	return first, nil
}
