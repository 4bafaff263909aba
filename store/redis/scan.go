package redis

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/elevate-pim/elevate/core"
	goredis "github.com/redis/go-redis/v9"
)

// globEscaper escapes SCAN's pattern characters in a key prefix.
var globEscaper = strings.NewReplacer(`\`, `\\`, "*", `\*`, "?", `\?`, "[", `\[`, "]", `\]`)

// ScanRequests returns the requests of one SCAN step (about limit keys)
// from the position after ("" to begin) and the position to go on from,
// "" when the scan is complete.
func (s *Store) ScanRequests(ctx context.Context, after string, limit int) ([]*core.Request, string, error) {
	return scanJSON[core.Request](ctx, s, "requests", s.keys.request(""), after, limit)
}

// ScanReviews returns the reviews of one SCAN step as ScanRequests does
// requests: "rev:" and the id, the review keys, not revitems:, revopen or rev.
func (s *Store) ScanReviews(ctx context.Context, after string, limit int) ([]*core.Review, string, error) {
	return scanJSON[core.Review](ctx, s, "reviews", s.keys.review(""), after, limit)
}

// scanJSON returns the JSON values of type T under prefix of one SCAN
// step (about limit keys) from the position after and the position to go
// on from, "" when the scan is complete. SCAN returns every key stored
// during the whole scan at least once; on a Cluster it runs on the node
// holding the store's hash tag, where every key of the store lives.
func scanJSON[T any](ctx context.Context, s *Store, what, prefix, after string, limit int) ([]*T, string, error) {
	if err := live(ctx); err != nil {
		return nil, "", err
	}
	if limit <= 0 {
		return nil, "", core.Errorf(core.EINVALID, "A scan needs a positive limit.")
	}
	var cursor uint64
	if after != "" {
		var err error
		if cursor, err = strconv.ParseUint(after, 10, 64); err != nil {
			return nil, "", core.Errorf(core.EINVALID, "Bad scan position %q.", after)
		}
	}
	var node goredis.Cmdable = s.client
	if cc, ok := s.client.(*goredis.ClusterClient); ok {
		c, err := cc.MasterForKey(ctx, prefix)
		if err != nil {
			return nil, "", fmt.Errorf("redis scan %s: %w", what, err)
		}
		node = c
	}
	keys, cursor, err := node.Scan(ctx, cursor, globEscaper.Replace(prefix)+"*", int64(limit)).Result()
	if err != nil {
		return nil, "", fmt.Errorf("redis scan %s: %w", what, err)
	}
	next := ""
	if cursor != 0 {
		next = strconv.FormatUint(cursor, 10)
	}
	if len(keys) == 0 {
		return nil, next, nil
	}
	vals, err := node.MGet(ctx, keys...).Result()
	if err != nil {
		return nil, "", fmt.Errorf("redis scan %s: %w", what, err)
	}
	out := make([]*T, 0, len(vals))
	for i, v := range vals {
		raw, ok := v.(string)
		if !ok {
			continue // deleted since SCAN saw it
		}
		var r T
		if err := json.Unmarshal([]byte(raw), &r); err != nil {
			return nil, "", fmt.Errorf("redis scan %s: decode %s: %w", what, keys[i], err)
		}
		out = append(out, &r)
	}
	return out, next, nil
}
