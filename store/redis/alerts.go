package redis

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/elevate-pim/elevate/core"
)

// Alerts returns every stored alert, sorted by id, from the alerts hash.
func (s *Store) Alerts(ctx context.Context) ([]core.Alert, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	all, err := s.client.HGetAll(ctx, s.keys.alerts()).Result()
	if err != nil {
		return nil, fmt.Errorf("redis alerts: %w", err)
	}
	out := make([]core.Alert, 0, len(all))
	for id, raw := range all {
		var a core.Alert
		if err := json.Unmarshal([]byte(raw), &a); err != nil {
			return nil, fmt.Errorf("decode alert %s: %w", id, err)
		}
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}
