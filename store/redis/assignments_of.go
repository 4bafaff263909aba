package redis

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/elevate-pim/elevate/core"
	goredis "github.com/redis/go-redis/v9"
)

// AssignmentsOf returns principal's eligible and active assignments for
// role with one HMGET, so activation and checks never read every assignment.
func (s *Store) AssignmentsOf(ctx context.Context, principal, role string) ([]core.Assignment, error) {
	vals, err := s.client.HMGet(ctx, s.keys.asg(),
		core.AssignmentKey(core.Eligible, principal, role), core.AssignmentKey(core.Active, principal, role)).Result()
	if err != nil {
		return nil, fmt.Errorf("redis assignments of %s/%s: %w", principal, role, err)
	}
	var out []core.Assignment
	for _, v := range vals {
		raw, ok := v.(string)
		if !ok {
			continue // nil: no such assignment
		}
		var a core.Assignment
		if err := json.Unmarshal([]byte(raw), &a); err != nil {
			return nil, fmt.Errorf("redis assignment of %s/%s: %w", principal, role, err)
		}
		out = append(out, a)
	}
	return out, nil
}

// holdingScript returns the window key KEYS[1] and the field ARGV[1] of
// the assignments hash KEYS[2] (false where absent): both in one round trip.
var holdingScript = goredis.NewScript(`return {redis.call('GET', KEYS[1]), redis.call('HGET', KEYS[2], ARGV[1])}`)

// Holding reads principal's window of role and their direct active
// assignment of it in one round trip.
func (s *Store) Holding(ctx context.Context, principal, role string) (*core.Window, *core.Assignment, error) {
	if err := live(ctx); err != nil {
		return nil, nil, err
	}
	res, err := holdingScript.Run(ctx, s.client, []string{s.keys.window(principal, role), s.keys.asg()},
		core.AssignmentKey(core.Active, principal, role)).Slice()
	if err != nil {
		return nil, nil, fmt.Errorf("redis holding of %s/%s: %w", principal, role, err)
	}
	var w *core.Window
	if raw, ok := res[0].(string); ok {
		got, err := decodeWindow(principal, role, raw)
		if err != nil {
			return nil, nil, fmt.Errorf("redis: %w", err)
		}
		w = &got
	}
	var a *core.Assignment
	if raw, ok := res[1].(string); ok {
		a = new(core.Assignment)
		if err := json.Unmarshal([]byte(raw), a); err != nil {
			return nil, nil, fmt.Errorf("redis assignment of %s/%s: %w", principal, role, err)
		}
	}
	return w, a, nil
}
