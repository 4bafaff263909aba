package redis

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/elevate-pim/elevate/core"
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
