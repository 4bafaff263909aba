package redis

import (
	"context"
	"fmt"

	"github.com/elevate-pim/elevate/core"
	goredis "github.com/redis/go-redis/v9"
)

// purgeScript deletes the request KEYS[1] (id ARGV[1]) and its message
// copies KEYS[2] if its version is ARGV[2], and drops it from its
// principal's open and history indexes and its role's awaiting index (key prefix
// ARGV[3]: both are named by fields of the request). It returns the stored
// version: 0 when absent; the script deleted it when that equals ARGV[2].
var purgeScript = goredis.NewScript(`
local raw = redis.call('GET', KEYS[1])
if not raw then return 0 end
local r = cjson.decode(raw)
local v = tonumber(r.version) or -1
if v ~= tonumber(ARGV[2]) then return v end
redis.call('DEL', KEYS[1], KEYS[2])
redis.call('SREM', ARGV[3] .. 'openof:' .. r.principal, ARGV[1])
redis.call('ZREM', ARGV[3] .. 'reqof:' .. r.principal, ARGV[1])
redis.call('SREM', ARGV[3] .. 'awaiting:' .. r.role, ARGV[1])
return v
`)

// PurgeRequest deletes the request, its index entries and its message
// copies if its stored version equals expect: ENOTFOUND when it is gone,
// ECONFLICT when it changed.
func (s *Store) PurgeRequest(ctx context.Context, id string, expect int64) error {
	if err := live(ctx); err != nil {
		return err
	}
	have, err := purgeScript.Run(ctx, s.client, []string{s.keys.request(id), s.keys.copies(id)}, id, expect, s.keys.tag).Int64()
	switch {
	case err != nil:
		return fmt.Errorf("redis purge request %s: %w", id, err)
	case have == 0:
		return core.Errorf(core.ENOTFOUND, "No request %q.", id)
	case have != expect:
		return core.Errorf(core.ECONFLICT, "Request %s changed meanwhile (version %d, expected %d).", id, have, expect)
	}
	return nil
}
