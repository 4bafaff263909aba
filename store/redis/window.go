package redis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/elevate-pim/elevate/core"
	goredis "github.com/redis/go-redis/v9"
)

// windowValue is a window as its key holds it: the principal and role are in
// the key, the times in unix milliseconds, to keep each live window small.
type windowValue struct {
	RequestID string `json:"req,omitempty"`
	Start     int64  `json:"start"`
	End       int64  `json:"end"`
}

func encodeWindow(w core.Window) string {
	b, _ := json.Marshal(windowValue{RequestID: w.RequestID, Start: w.Start.UnixMilli(), End: w.End.UnixMilli()})
	return string(b)
}

func decodeWindow(principal, role, raw string) (core.Window, error) {
	var v windowValue
	if err := json.Unmarshal([]byte(raw), &v); err != nil {
		return core.Window{}, fmt.Errorf("decode window of %s for %s: %w", principal, role, err)
	}
	return core.Window{
		Principal: principal,
		Role:      role,
		RequestID: v.RequestID,
		Start:     fromMillis(v.Start),
		End:       fromMillis(v.End),
	}, nil
}

// fromMillis is the inverse of time.Time.UnixMilli, in UTC; the zero time
// comes back as the zero time.
func fromMillis(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

// Window returns the principal's live window for role, or ENOTFOUND when
// there is none: its key's TTL, kept by Redis, has run out or it was closed.
func (s *Store) Window(ctx context.Context, principal, role string) (*core.Window, error) {
	if err := live(ctx); err != nil {
		return nil, err
	}
	raw, err := s.client.Get(ctx, s.keys.window(principal, role)).Result()
	if errors.Is(err, goredis.Nil) {
		return nil, core.Errorf(core.ENOTFOUND, "%s does not hold %s.", principal, role)
	} else if err != nil {
		return nil, fmt.Errorf("redis window of %s for %s: %w", principal, role, err)
	}
	w, err := decodeWindow(principal, role, raw)
	if err != nil {
		return nil, fmt.Errorf("redis: %w", err)
	}
	return &w, nil
}

// pruneScript removes from a role's window index (KEYS[1]) the principals
// (ARGV) whose window keys (KEYS[2:]) are gone. It checks again inside the
// script, so that a window opened since the caller's read is kept.
var pruneScript = goredis.NewScript(`
for i = 2, #KEYS do
  if redis.call('EXISTS', KEYS[i]) == 0 then
    redis.call('SREM', KEYS[1], ARGV[i - 1])
  end
end
return 0
`)

// Windows returns every live window of role, sorted by principal. It prunes
// the role's index of principals whose window has ended.
func (s *Store) Windows(ctx context.Context, role string) ([]core.Window, error) {
	if err := live(ctx); err != nil {
		return nil, err
	}
	index := s.keys.windowIndex(role)
	principals, err := s.client.SMembers(ctx, index).Result()
	if err != nil {
		return nil, fmt.Errorf("redis windows of %s: %w", role, err)
	}
	out := make([]core.Window, 0, len(principals))
	if len(principals) == 0 {
		return out, nil
	}
	keys := make([]string, len(principals))
	for i, p := range principals {
		keys[i] = s.keys.window(p, role)
	}
	vals, err := s.client.MGet(ctx, keys...).Result()
	if err != nil {
		return nil, fmt.Errorf("redis windows of %s: %w", role, err)
	}
	deadKeys := []string{index}
	var dead []any
	for i, v := range vals {
		raw, ok := v.(string)
		if !ok {
			deadKeys = append(deadKeys, keys[i])
			dead = append(dead, principals[i])
			continue
		}
		w, err := decodeWindow(principals[i], role, raw)
		if err != nil {
			return nil, fmt.Errorf("redis: %w", err)
		}
		out = append(out, w)
	}
	if len(dead) > 0 {
		// Pruning only keeps the index small; the answer above is complete
		// without it, so a failure here is left for the next read to retry.
		_ = pruneScript.Run(ctx, s.client, deadKeys, dead...).Err()
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Principal < out[j].Principal })
	return out, nil
}
