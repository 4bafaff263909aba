package redis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"

	"github.com/elevate-pim/elevate/core"
	goredis "github.com/redis/go-redis/v9"
)

// The reads below visit only the members of an index that Apply keeps in
// the same script as the records it lists (see apply.lua): a principal's or
// a role's share of the data, never all of it. Each is one round trip.

// membersScript returns, for the union of the index sets KEYS[2:], the
// holders revision (KEYS[1]) and then each member followed by its record:
// the field of the hash ARGV[2] when ARGV[1] is "hash", otherwise the
// string key ARGV[2]..member. It reads in chunks, because Lua's unpack
// takes a bounded number of values.
var membersScript = goredis.NewScript(`
local ids = redis.call('SUNION', unpack(KEYS, 2))
local out = {redis.call('GET', KEYS[1]) or '0'}
for i = 1, #ids, 500 do
  local chunk = {unpack(ids, i, math.min(i + 499, #ids))}
  local vals
  if ARGV[1] == 'hash' then
    vals = redis.call('HMGET', ARGV[2], unpack(chunk))
  else
    local keys = {}
    for j, id in ipairs(chunk) do keys[j] = ARGV[2] .. id end
    vals = redis.call('MGET', unpack(keys))
  end
  for j, id in ipairs(chunk) do
    out[#out + 1] = id
    out[#out + 1] = vals[j]
  end
end
return out
`)

// members runs membersScript and returns the holders revision and the
// records found, by member; members whose record is gone are left out.
func (s *Store) members(ctx context.Context, records string, hash bool, indexes ...string) (int64, map[string]string, error) {
	mode := "keys"
	if hash {
		mode = "hash"
	}
	res, err := membersScript.Run(ctx, s.client, append([]string{s.keys.rev()}, indexes...), mode, records).Slice()
	if err != nil {
		return 0, nil, err
	}
	rev, err := strconv.ParseInt(fmt.Sprint(res[0]), 10, 64)
	if err != nil {
		return 0, nil, fmt.Errorf("holders revision %v: %w", res[0], err)
	}
	out := make(map[string]string, (len(res)-1)/2)
	for i := 1; i+1 < len(res); i += 2 {
		if raw, ok := res[i+1].(string); ok {
			out[fmt.Sprint(res[i])] = raw
		}
	}
	return rev, out, nil
}

// OpenRequestsOf returns principal's requests whose state is not final,
// oldest first (by CreatedAt, then ID).
func (s *Store) OpenRequestsOf(ctx context.Context, principal string) ([]*core.Request, error) {
	rs, err := s.requestsIn(ctx, s.keys.openOf(principal))
	if err != nil {
		return nil, fmt.Errorf("redis open requests of %s: %w", principal, err)
	}
	return rs, nil
}

// AwaitingApproval returns the requests of roles pending approval, oldest first.
func (s *Store) AwaitingApproval(ctx context.Context, roles ...string) ([]*core.Request, error) {
	if len(roles) == 0 {
		return []*core.Request{}, live(ctx)
	}
	indexes := make([]string, len(roles))
	for i, r := range roles {
		indexes[i] = s.keys.awaiting(r)
	}
	rs, err := s.requestsIn(ctx, indexes...)
	if err != nil {
		return nil, fmt.Errorf("redis requests awaiting approval: %w", err)
	}
	out := rs[:0]
	for _, r := range rs {
		if r.State == core.PendingApproval { // not decided between the index read and the record read
			out = append(out, r)
		}
	}
	return out, nil
}

// requestsIn returns the requests that are still open among those listed
// by indexes, oldest first.
func (s *Store) requestsIn(ctx context.Context, indexes ...string) ([]*core.Request, error) {
	if err := live(ctx); err != nil {
		return nil, err
	}
	_, raws, err := s.members(ctx, s.keys.request(""), false, indexes...)
	if err != nil {
		return nil, err
	}
	out := make([]*core.Request, 0, len(raws))
	for id, raw := range raws {
		var r core.Request
		if err := json.Unmarshal([]byte(raw), &r); err != nil {
			return nil, fmt.Errorf("request %s: decode: %w", id, err)
		}
		if !r.State.Final() {
			out = append(out, &r)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].CreatedAt.Equal(out[j].CreatedAt) {
			return out[i].CreatedAt.Before(out[j].CreatedAt)
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

// AssignmentsByPrincipal returns principal's assignments, sorted by key.
func (s *Store) AssignmentsByPrincipal(ctx context.Context, principal string) ([]core.Assignment, error) {
	as, _, err := s.assignmentsIn(ctx, s.keys.asgOf(principal))
	if err != nil {
		return nil, fmt.Errorf("redis assignments of %s: %w", principal, err)
	}
	return as, nil
}

// AssignmentsByRole returns role's assignments, sorted by key, and the
// holders revision, read in one script.
func (s *Store) AssignmentsByRole(ctx context.Context, role string) ([]core.Assignment, int64, error) {
	as, rev, err := s.assignmentsIn(ctx, s.keys.asgFor(role))
	if err != nil {
		return nil, 0, fmt.Errorf("redis assignments for %s: %w", role, err)
	}
	return as, rev, nil
}

// assignmentsIn returns the assignments listed by index, sorted by key, and
// the holders revision.
func (s *Store) assignmentsIn(ctx context.Context, index string) ([]core.Assignment, int64, error) {
	if err := live(ctx); err != nil {
		return nil, 0, err
	}
	rev, raws, err := s.members(ctx, s.keys.asg(), true, index)
	if err != nil {
		return nil, 0, err
	}
	out := make([]core.Assignment, 0, len(raws))
	for key, raw := range raws {
		a, err := decodeAssignment(key, raw)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key() < out[j].Key() })
	return out, rev, nil
}

// AssignmentsByKey returns the stored assignments among keys, in the order
// of keys, and the holders revision, both read in one transaction.
func (s *Store) AssignmentsByKey(ctx context.Context, keys ...string) ([]core.Assignment, int64, error) {
	if err := live(ctx); err != nil {
		return nil, 0, err
	}
	var (
		vals *goredis.SliceCmd
		rev  *goredis.StringCmd
	)
	_, err := s.client.TxPipelined(ctx, func(p goredis.Pipeliner) error {
		if len(keys) > 0 {
			vals = p.HMGet(ctx, s.keys.asg(), keys...)
		}
		rev = p.Get(ctx, s.keys.rev())
		return nil
	})
	if err != nil && !errors.Is(err, goredis.Nil) {
		return nil, 0, fmt.Errorf("redis assignments by key: %w", err)
	}
	var holders int64
	if v, err := rev.Result(); err == nil {
		if holders, err = strconv.ParseInt(v, 10, 64); err != nil {
			return nil, 0, fmt.Errorf("redis holders revision %q: %w", v, err)
		}
	}
	out := []core.Assignment{}
	if vals == nil {
		return out, holders, nil
	}
	for i, v := range vals.Val() {
		if raw, ok := v.(string); ok {
			a, err := decodeAssignment(keys[i], raw)
			if err != nil {
				return nil, 0, err
			}
			out = append(out, a)
		}
	}
	return out, holders, nil
}

func decodeAssignment(key, raw string) (core.Assignment, error) {
	var a core.Assignment
	if err := json.Unmarshal([]byte(raw), &a); err != nil {
		return a, fmt.Errorf("redis assignment %s: decode: %w", key, err)
	}
	return a, nil
}
