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
// requests after position (ARGV[1] ms, ARGV[2] id), in order. Ids that
// share the start millisecond sort by id, as Redis orders equal scores, so
// the ones not after ARGV[2] are skipped; so is an id whose record is gone,
// which never shortens a page.
var historyScript = goredis.NewScript(`
local ms, after, limit = tonumber(ARGV[1]), ARGV[2], tonumber(ARGV[3])
local out, offset = {}, 0
while #out < limit do
  local got = redis.call('ZRANGEBYSCORE', KEYS[1], ARGV[1], '+inf', 'WITHSCORES', 'LIMIT', offset, limit)
  if #got == 0 then break end
  offset = offset + #got / 2
  for i = 1, #got, 2 do
    if #out < limit and (tonumber(got[i + 1]) ~= ms or got[i] > after) then
      local rec = redis.call('GET', ARGV[4] .. got[i])
      if rec then out[#out + 1] = rec end
    end
  end
end
return out
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
			return nil, fmt.Errorf("redis requests of %s: unexpected reply %v", principal, raw)
		}
		var r core.Request
		if err := json.Unmarshal([]byte(rec), &r); err != nil {
			return nil, fmt.Errorf("redis requests of %s: decode: %w", principal, err)
		}
		out = append(out, &r)
	}
	return out, nil
}

// indexScript adds to their principals' histories the requests named in
// ARGV (after the key tag ARGV[1]: id, principal, created ms per request)
// whose records are still stored; an entry already there is kept.
var indexScript = goredis.NewScript(`
for i = 2, #ARGV, 3 do
  if redis.call('EXISTS', ARGV[1] .. 'req:' .. ARGV[i]) == 1 then
    redis.call('ZADD', ARGV[1] .. 'reqof:' .. ARGV[i + 1], 'NX', ARGV[i + 2], ARGV[i])
  end
end
return 0
`)

// IndexRequests adds each of reqs that is still stored to its principal's
// history, in one script.
func (s *Store) IndexRequests(ctx context.Context, reqs []*core.Request) error {
	if err := live(ctx); err != nil || len(reqs) == 0 {
		return err
	}
	args := []any{s.keys.tag}
	for _, r := range reqs {
		args = append(args, r.ID, r.Principal, r.CreatedAt.UnixMilli())
	}
	if err := indexScript.Run(ctx, s.client, []string{s.keys.reqOf("")}, args...).Err(); err != nil {
		return fmt.Errorf("redis index request history: %w", err)
	}
	return nil
}
