package redis

import (
	"context"
	"errors"
	"fmt"

	"github.com/elevate-pim/elevate/core"
	goredis "github.com/redis/go-redis/v9"
)

// advanceCursorScript sets KEYS[1] to ARGV[2] if it holds ARGV[1] (absent
// counts as 0); 1 if so, else 0.
var advanceCursorScript = goredis.NewScript(`
if (tonumber(redis.call('GET', KEYS[1])) or 0) ~= tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], ARGV[2])
return 1
`)

// Cursor returns the named cursor's position, 0 when never set.
func (s *Store) Cursor(ctx context.Context, name string) (int64, error) {
	if err := live(ctx); err != nil {
		return 0, err
	}
	if err := core.ValidateCursor(name); err != nil {
		return 0, err
	}
	pos, err := s.client.Get(ctx, s.keys.cursor(name)).Int64()
	if errors.Is(err, goredis.Nil) {
		return 0, nil
	} else if err != nil {
		return 0, fmt.Errorf("redis cursor %s: %w", name, err)
	}
	return pos, nil
}

// AdvanceCursor moves the cursor from from to to; false when it is not at from.
func (s *Store) AdvanceCursor(ctx context.Context, name string, from, to int64) (bool, error) {
	if err := live(ctx); err != nil {
		return false, err
	}
	if err := core.ValidateCursor(name); err != nil {
		return false, err
	}
	n, err := advanceCursorScript.Run(ctx, s.client, []string{s.keys.cursor(name)}, from, to).Int64()
	if err != nil {
		return false, fmt.Errorf("redis cursor %s: %w", name, err)
	}
	return n == 1, nil
}
