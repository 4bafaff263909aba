package redis

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/elevate-pim/elevate/core"
)

// PutCopy records a copy of request's approval message in the request's
// copies hash, by the copy's key.
func (s *Store) PutCopy(ctx context.Context, request string, c core.MessageCopy) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := core.ValidateCopy(request, c); err != nil {
		return err
	}
	b, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("encode copy of %s: %w", request, err)
	}
	if err := s.client.HSet(ctx, s.keys.copies(request), c.Key(), b).Err(); err != nil {
		return fmt.Errorf("redis put copy of %s: %w", request, err)
	}
	return nil
}

// Copies returns the copies of request's approval message, sorted by key.
func (s *Store) Copies(ctx context.Context, request string) ([]core.MessageCopy, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	all, err := s.client.HGetAll(ctx, s.keys.copies(request)).Result()
	if err != nil {
		return nil, fmt.Errorf("redis copies of %s: %w", request, err)
	}
	out := make([]core.MessageCopy, 0, len(all))
	for key, raw := range all {
		var c core.MessageCopy
		if err := json.Unmarshal([]byte(raw), &c); err != nil {
			return nil, fmt.Errorf("redis copy %s of %s: decode: %w", key, request, err)
		}
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key() < out[j].Key() })
	return out, nil
}

// DropCopies deletes the copies hash of request.
func (s *Store) DropCopies(ctx context.Context, request string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := s.client.Del(ctx, s.keys.copies(request)).Err(); err != nil {
		return fmt.Errorf("redis drop copies of %s: %w", request, err)
	}
	return nil
}
