package memory

import (
	"context"
	"sort"

	"github.com/elevate-pim/elevate/core"
)

// Alerts returns copies of every stored alert, sorted by id.
func (s *Store) Alerts(ctx context.Context) ([]core.Alert, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]core.Alert, 0, len(s.alerts))
	for _, a := range s.alerts {
		out = append(out, *a.Clone())
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}
