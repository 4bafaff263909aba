package redis

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/elevate-pim/elevate/core"
	goredis "github.com/redis/go-redis/v9"
)

// historyScript pages through a principal's request history, the sorted
// set KEYS[1] of request ids scored by creation in Unix ms, which apply.lua
// keeps: it returns the records (string keys ARGV[4]..id) of up to ARGV[3]
// ids after position (ARGV[1] ms, ARGV[2] id), in order. Ids that share
// the start millisecond sort by id, as Redis orders equal scores, so the
// ones not after ARGV[2] are skipped.
var historyScript = goredis.NewScript(`
local ms, after, limit = tonumber(ARGV[1]), ARGV[2], tonumber(ARGV[3])
local ids, offset = {}, 0
while #ids < limit do
  local got = redis.call('ZRANGEBYSCORE', KEYS[1], ARGV[1], '+inf', 'WITHSCORES', 'LIMIT', offset, limit)
  if #got == 0 then break end
  offset = offset + #got / 2
  for i = 1, #got, 2 do
    if #ids < limit and (tonumber(got[i + 1]) ~= ms or got[i] > after) then ids[#ids + 1] = got[i] end
  end
end
if #ids == 0 then return {} end
local keys = {}
for i, id in ipairs(ids) do keys[i] = ARGV[4] .. id end
return redis.call('MGET', unpack(keys))
`)

// RequestsOf returns up to limit of principal's requests, final ones
// included, in the order of their positions, after from: one round trip.
func (s *Store) RequestsOf(ctx context.Context, principal string, from core.RequestPos, limit int) ([]*core.Request, error) {
	if err := live(ctx); err != nil {
		return nil, err
	}
	raws, err := historyScript.Run(ctx, s.client, []string{s.keys.reqOf(principal)},
		strconv.FormatInt(from.CreatedMs, 10), from.ID, limit, s.keys.request("")).Slice()
	if err != nil {
		return nil, fmt.Errorf("redis requests of %s: %w", principal, err)
	}
	out := make([]*core.Request, 0, len(raws))
	for _, raw := range raws {
		rec, ok := raw.(string)
		if !ok {
			continue // an index entry whose record is gone
		}
		var r core.Request
		if err := json.Unmarshal([]byte(rec), &r); err != nil {
			return nil, fmt.Errorf("redis requests of %s: decode: %w", principal, err)
		}
		out = append(out, &r)
	}
	return out, nil
}
