package redis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/elevate-pim/elevate/core"
	goredis "github.com/redis/go-redis/v9"
)

// Review keys. A review is one JSON value; its items are fields of one hash
// (position → JSON), so that a decision reads and writes one field; each
// reviewer's pending items in a stage are a sorted set scored by position,
// so that a page is one ZRANGE; revwho counts each reviewer's pending items
// and revcount the items per status, so that progress and reminders never
// read the items.
func (k keyspace) review(id string) string      { return k.tag + "rev:" + id }
func (k keyspace) openReviews() string          { return k.tag + "revopen" }
func (k keyspace) reviewItems(id string) string { return k.tag + "revitems:" + id }
func (k keyspace) reviewPending(id string, stage int, reviewer string) string {
	return k.tag + "revpend:" + id + ":" + strconv.Itoa(stage) + ":" + reviewer
}
func (k keyspace) reviewWho(id string, stage int) string {
	return k.tag + "revwho:" + id + ":" + strconv.Itoa(stage)
}
func (k keyspace) reviewCounts(id string) string { return k.tag + "revcount:" + id }
func (k keyspace) reviewRemovals() string        { return k.tag + "revremoved" }
func (k keyspace) lastActivation(role string) string {
	return k.tag + "lastact:" + role
}

// reviewPart is the review part of a Change as apply.lua reads it: one JSON
// value, the script's last argument, whose key references index the keys
// that follow every other key of the script (KEYS[#KEYS-nkeys+1] is 1).
type reviewPart struct {
	NKeys    int            `json:"nkeys"`
	Reviews  []reviewArg    `json:"reviews"`
	Items    []itemArg      `json:"items"`
	Removals int            `json:"removals"` // key of the removals hash
	DelRem   []string       `json:"delrem"`
	PutRem   []keyValue     `json:"putrem"`
	LastAct  []lastActArg   `json:"lastact"`
	keys     []string       // in reference order
	index    map[string]int // key → reference
}

type reviewArg struct {
	Key    int    `json:"k"`
	Open   int    `json:"o"` // key of the open set
	ID     string `json:"id"`
	Expect int64  `json:"e"`
	JSON   string `json:"j"`
	IsOpen bool   `json:"open"`
}

type itemArg struct {
	Key    int       `json:"k"` // the review's item hash
	N      string    `json:"n"`
	Expect int64     `json:"e"`
	JSON   string    `json:"j"`
	Counts int       `json:"c"` // the review's status counts
	Old    string    `json:"old"`
	New    string    `json:"new"`
	Remove []pending `json:"rem"`
	Add    []pending `json:"add"`
}

// pending is one reviewer's pending index and count hash.
type pending struct {
	Set      int    `json:"s"`
	Who      int    `json:"w"`
	Reviewer string `json:"r"`
}

type keyValue struct {
	K string `json:"k"`
	V string `json:"v"`
}

type lastActArg struct {
	Key       int    `json:"k"`
	Principal string `json:"p"`
	Millis    int64  `json:"ms"`
}

// ref returns the reference of key, adding it.
func (p *reviewPart) ref(key string) int {
	if i, ok := p.index[key]; ok {
		return i
	}
	p.keys = append(p.keys, key)
	p.index[key] = len(p.keys)
	return len(p.keys)
}

// encodeReviews lays out the review part of c (and the last activations its
// opened windows record): the keys to append and the JSON argument.
func (s *Store) encodeReviews(c core.Change) ([]string, string, error) {
	p := &reviewPart{index: map[string]int{}}
	k := s.keys
	for _, w := range c.OpenWindows {
		p.LastAct = append(p.LastAct, lastActArg{Key: p.ref(k.lastActivation(w.Window.Role)), Principal: w.Window.Principal, Millis: w.Window.Start.UnixMilli()})
	}
	for _, w := range c.Reviews {
		r := w.Review.Clone()
		r.Version = w.Expect + 1
		b, err := json.Marshal(r)
		if err != nil {
			return nil, "", fmt.Errorf("encode review %s: %w", r.ID, err)
		}
		p.Reviews = append(p.Reviews, reviewArg{Key: p.ref(k.review(r.ID)), Open: p.ref(k.openReviews()), ID: r.ID, Expect: w.Expect, JSON: string(b), IsOpen: r.State != core.ReviewClosed})
	}
	for _, w := range c.ReviewItems {
		it := w.Item.Clone()
		it.Version = w.Expect() + 1
		b, err := json.Marshal(it)
		if err != nil {
			return nil, "", fmt.Errorf("encode review item %s/%d: %w", it.Review, it.N, err)
		}
		a := itemArg{Key: p.ref(k.reviewItems(it.Review)), N: strconv.Itoa(it.N), Expect: w.Expect(), JSON: string(b),
			Counts: p.ref(k.reviewCounts(it.Review)), Old: w.Was.Status(), New: it.Status()}
		if w.Was.Pending() {
			for _, who := range w.Was.Reviewers {
				a.Remove = append(a.Remove, pending{Set: p.ref(k.reviewPending(it.Review, w.Was.Stage, who)), Who: p.ref(k.reviewWho(it.Review, w.Was.Stage)), Reviewer: who})
			}
		}
		if it.Pending() {
			for _, who := range it.Reviewers {
				a.Add = append(a.Add, pending{Set: p.ref(k.reviewPending(it.Review, it.Stage, who)), Who: p.ref(k.reviewWho(it.Review, it.Stage)), Reviewer: who})
			}
		}
		p.Items = append(p.Items, a)
	}
	if len(c.PutRemovals)+len(c.DeleteRemovals) > 0 {
		p.Removals = p.ref(k.reviewRemovals())
		p.DelRem = c.DeleteRemovals
		for _, r := range c.PutRemovals {
			b, err := json.Marshal(r)
			if err != nil {
				return nil, "", fmt.Errorf("encode review removal %s: %w", r.Key, err)
			}
			p.PutRem = append(p.PutRem, keyValue{K: r.Key, V: string(b)})
		}
	}
	p.NKeys = len(p.keys)
	b, err := json.Marshal(p)
	if err != nil {
		return nil, "", fmt.Errorf("encode review part: %w", err)
	}
	return p.keys, string(b), nil
}

// conflictReview turns the script's review conflicts into ECONFLICT.
func conflictReview(c core.Change, what string, i, have int64) error {
	switch what {
	case "review":
		w := c.Reviews[i]
		return core.Errorf(core.ECONFLICT, "Review %s changed meanwhile (version %d, expected %d).", w.Review.ID, have, w.Expect)
	case "item":
		w := c.ReviewItems[i]
		return core.Errorf(core.ECONFLICT, "Review item %s/%d changed meanwhile (version %d, expected %d).", w.Item.Review, w.Item.N, have, w.Expect())
	}
	return nil
}

// Review returns the review with the given id, or ENOTFOUND.
func (s *Store) Review(ctx context.Context, id string) (*core.Review, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	raw, err := s.client.Get(ctx, s.keys.review(id)).Bytes()
	if errors.Is(err, goredis.Nil) {
		return nil, core.Errorf(core.ENOTFOUND, "No review %s.", id)
	} else if err != nil {
		return nil, fmt.Errorf("redis review %s: %w", id, err)
	}
	var r core.Review
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, fmt.Errorf("redis review %s: decode: %w", id, err)
	}
	return &r, nil
}

// OpenReviews returns every review that is not closed, oldest first.
func (s *Store) OpenReviews(ctx context.Context) ([]*core.Review, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	ids, err := s.client.SMembers(ctx, s.keys.openReviews()).Result()
	if err != nil {
		return nil, fmt.Errorf("redis open reviews: %w", err)
	}
	var out []*core.Review
	for _, id := range ids {
		r, err := s.Review(ctx, id)
		if core.ErrorCode(err) == core.ENOTFOUND {
			continue
		} else if err != nil {
			return nil, err
		}
		if r.State != core.ReviewClosed {
			out = append(out, r)
		}
	}
	core.SortReviews(out)
	return out, nil
}

// ReviewItem returns item n of review id, or ENOTFOUND.
func (s *Store) ReviewItem(ctx context.Context, id string, n int) (*core.ReviewItem, error) {
	items, err := s.itemsAt(ctx, id, []int{n})
	if err != nil {
		return nil, err
	}
	if len(items) == 0 {
		return nil, core.Errorf(core.ENOTFOUND, "Review %s has no item %d.", id, n)
	}
	return &items[0], nil
}

// itemsAt reads the items at positions ns, stopping at the first missing one.
func (s *Store) itemsAt(ctx context.Context, id string, ns []int) ([]core.ReviewItem, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if len(ns) == 0 {
		return nil, nil
	}
	fields := make([]string, len(ns))
	for i, n := range ns {
		fields[i] = strconv.Itoa(n)
	}
	vals, err := s.client.HMGet(ctx, s.keys.reviewItems(id), fields...).Result()
	if err != nil {
		return nil, fmt.Errorf("redis review items of %s: %w", id, err)
	}
	out := make([]core.ReviewItem, 0, len(vals))
	for i, v := range vals {
		raw, ok := v.(string)
		if !ok {
			break
		}
		var it core.ReviewItem
		if err := json.Unmarshal([]byte(raw), &it); err != nil {
			return nil, fmt.Errorf("redis review item %s/%s: decode: %w", id, fields[i], err)
		}
		out = append(out, it)
	}
	return out, nil
}

// ReviewItems returns up to limit items of review id after position after.
func (s *Store) ReviewItems(ctx context.Context, id string, after, limit int) ([]core.ReviewItem, error) {
	ns := make([]int, 0, max(limit, 0))
	for n := max(after, 0) + 1; len(ns) < limit; n++ {
		ns = append(ns, n)
	}
	return s.itemsAt(ctx, id, ns)
}

// PendingReviewItems returns a page of reviewer's pending items in stage.
func (s *Store) PendingReviewItems(ctx context.Context, id string, stage int, reviewer string, offset, limit int) ([]core.ReviewItem, int, error) {
	if err := ctx.Err(); err != nil {
		return nil, 0, err
	}
	key := s.keys.reviewPending(id, stage, reviewer)
	var (
		page  *goredis.StringSliceCmd
		total *goredis.IntCmd
	)
	if limit <= 0 {
		return nil, 0, nil
	}
	_, err := s.client.TxPipelined(ctx, func(p goredis.Pipeliner) error {
		page = p.ZRange(ctx, key, int64(max(offset, 0)), int64(max(offset, 0)+limit-1))
		total = p.ZCard(ctx, key)
		return nil
	})
	if err != nil {
		return nil, 0, fmt.Errorf("redis pending review items: %w", err)
	}
	var ns []int
	for _, f := range page.Val() {
		n, err := strconv.Atoi(f)
		if err != nil {
			return nil, 0, fmt.Errorf("redis pending review item %q: %w", f, err)
		}
		ns = append(ns, n)
	}
	items, err := s.itemsAt(ctx, id, ns)
	return items, int(total.Val()), err
}

// ReviewReviewers returns each reviewer of stage with pending items, and how many.
func (s *Store) ReviewReviewers(ctx context.Context, id string, stage int) (map[string]int, error) {
	return s.counts(ctx, s.keys.reviewWho(id, stage))
}

// ReviewCounts returns how many items of review id have each status.
func (s *Store) ReviewCounts(ctx context.Context, id string) (map[string]int, error) {
	return s.counts(ctx, s.keys.reviewCounts(id))
}

// counts reads a hash of counters, leaving out those at zero.
func (s *Store) counts(ctx context.Context, key string) (map[string]int, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	all, err := s.client.HGetAll(ctx, key).Result()
	if err != nil {
		return nil, fmt.Errorf("redis %s: %w", key, err)
	}
	out := map[string]int{}
	for k, v := range all {
		if n, err := strconv.Atoi(v); err == nil && n > 0 {
			out[k] = n
		}
	}
	return out, nil
}

// ReviewRemovals returns the remembered review removals, by assignment key.
func (s *Store) ReviewRemovals(ctx context.Context) ([]core.ReviewRemoval, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	all, err := s.client.HGetAll(ctx, s.keys.reviewRemovals()).Result()
	if err != nil {
		return nil, fmt.Errorf("redis review removals: %w", err)
	}
	out := make([]core.ReviewRemoval, 0, len(all))
	for k, raw := range all {
		var r core.ReviewRemoval
		if err := json.Unmarshal([]byte(raw), &r); err != nil {
			return nil, fmt.Errorf("redis review removal %s: decode: %w", k, err)
		}
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

// LastActivations returns when each of principals last activated role.
func (s *Store) LastActivations(ctx context.Context, role string, principals []string) (map[string]time.Time, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := map[string]time.Time{}
	if len(principals) == 0 {
		return out, nil
	}
	vals, err := s.client.HMGet(ctx, s.keys.lastActivation(role), principals...).Result()
	if err != nil {
		return nil, fmt.Errorf("redis last activations of %s: %w", role, err)
	}
	for i, v := range vals {
		if raw, ok := v.(string); ok {
			if ms, err := strconv.ParseInt(raw, 10, 64); err == nil {
				out[principals[i]] = fromMillis(ms)
			}
		}
	}
	return out, nil
}

// purgeReviewScript deletes the review KEYS[1] (id ARGV[1]) if its version
// is ARGV[2]: its item hash KEYS[2], its counts KEYS[3], its place in the
// open set KEYS[4], and for each of its ARGV[4] possible stages the
// reviewer counts and, named by them, the reviewers' pending sets (key
// prefix ARGV[3]). It returns the stored version: 0 when absent; the
// script deleted the review when that equals ARGV[2].
var purgeReviewScript = goredis.NewScript(`
local raw = redis.call('GET', KEYS[1])
if not raw then return 0 end
local v = tonumber(cjson.decode(raw).version) or -1
if v ~= tonumber(ARGV[2]) then return v end
for stage = 0, tonumber(ARGV[4]) - 1 do
  local who = ARGV[3] .. 'revwho:' .. ARGV[1] .. ':' .. stage
  for _, name in ipairs(redis.call('HKEYS', who)) do
    redis.call('DEL', ARGV[3] .. 'revpend:' .. ARGV[1] .. ':' .. stage .. ':' .. name)
  end
  redis.call('DEL', who)
end
redis.call('UNLINK', KEYS[1], KEYS[2], KEYS[3])
redis.call('SREM', KEYS[4], ARGV[1])
return v
`)

// PurgeReview deletes the review, its items, counts and pending indexes if
// its stored version equals expect.
func (s *Store) PurgeReview(ctx context.Context, id string, expect int64) error {
	if err := live(ctx); err != nil {
		return err
	}
	keys := []string{s.keys.review(id), s.keys.reviewItems(id), s.keys.reviewCounts(id), s.keys.openReviews()}
	have, err := purgeReviewScript.Run(ctx, s.client, keys, id, expect, s.keys.tag, core.MaxReviewStages).Int64()
	switch {
	case err != nil:
		return fmt.Errorf("redis purge review %s: %w", id, err)
	case have == 0:
		return core.Errorf(core.ENOTFOUND, "No review %s.", id)
	case have != expect:
		return core.Errorf(core.ECONFLICT, "Review %s changed meanwhile (version %d, expected %d).", id, have, expect)
	}
	return nil
}
