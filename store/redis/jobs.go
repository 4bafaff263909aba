package redis

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/elevate-pim/elevate/core"
	goredis "github.com/redis/go-redis/v9"
)

// storedJob is a job as the job data hash holds it: the job's own JSON and
// its due time in unix ms, the score it has in the schedule while unclaimed.
type storedJob struct {
	core.Job
	DueMillis int64 `json:"m"`
}

func encodeJob(j core.Job) ([]byte, error) {
	b, err := json.Marshal(storedJob{Job: j, DueMillis: j.Due.UnixMilli()})
	if err != nil {
		return nil, fmt.Errorf("encode job %s: %w", j.ID(), err)
	}
	return b, nil
}

func decodeJob(raw string) (storedJob, error) {
	var j storedJob
	if err := json.Unmarshal([]byte(raw), &j); err != nil {
		return storedJob{}, fmt.Errorf("decode job: %w", err)
	}
	j.Lease = time.Time{}
	return j, nil
}

// claimScript leases up to ARGV[3] jobs scored at or before ARGV[1] until
// ARGV[2] and returns their data. KEYS: the schedule, the job data hash.
// An id without data (left by a hand edit) is dropped from the schedule.
var claimScript = goredis.NewScript(`
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
local out = {}
for _, id in ipairs(ids) do
  local raw = redis.call('HGET', KEYS[2], id)
  if raw then
    redis.call('ZADD', KEYS[1], 'XX', ARGV[2], id)
    out[#out + 1] = raw
  else
    redis.call('ZREM', KEYS[1], id)
  end
end
return out
`)

// ClaimJobs claims up to limit jobs due at or before now (at millisecond
// precision), earliest score first, ties by id. Each claimed job comes due
// again at now+lease, and is returned with Lease set to that time and Due
// as scheduled. A lease or limit that is not positive is EINVALID.
func (s *Store) ClaimJobs(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]core.Job, error) {
	if err := live(ctx); err != nil {
		return nil, err
	}
	if err := core.ValidateClaim(lease, limit); err != nil {
		return nil, err
	}
	nowMs := now.UnixMilli()
	// A lease shorter than the score's precision still ends after now, or
	// the same claim time would find the job due again.
	until := max(now.Add(lease).UnixMilli(), nowMs+1)
	raws, err := claimScript.Run(ctx, s.client, []string{s.keys.jobs(), s.keys.jobData()}, nowMs, until, limit).StringSlice()
	if err != nil {
		return nil, fmt.Errorf("redis claim jobs: %w", err)
	}
	out := make([]core.Job, 0, len(raws))
	for _, raw := range raws {
		j, err := decodeJob(raw)
		if err != nil {
			return nil, fmt.Errorf("redis claim jobs: %w", err)
		}
		j.Lease = fromMillis(until)
		out = append(out, j.Job)
	}
	return out, nil
}

// completeScript removes each job ARGV[2i-1] that is claimed with lease
// end ARGV[2i] (unix ms), and leaves the others. A job scored at its due
// time is not claimed, whatever the lease asked about. KEYS: the schedule,
// the job data hash.
var completeScript = goredis.NewScript(`
for i = 1, #ARGV, 2 do
  local score = redis.call('ZSCORE', KEYS[1], ARGV[i])
  if score and tonumber(score) == tonumber(ARGV[i + 1]) then
    local raw = redis.call('HGET', KEYS[2], ARGV[i])
    if not (raw and tonumber(cjson.decode(raw).m) == tonumber(score)) then
      redis.call('ZREM', KEYS[1], ARGV[i])
      redis.call('HDEL', KEYS[2], ARGV[i])
    end
  end
end
return 1
`)

// CompleteJob removes j if it is still claimed under j.Lease, compared at
// millisecond precision. A job that was rescheduled, re-claimed or removed
// since is left alone, without error.
func (s *Store) CompleteJob(ctx context.Context, j core.Job) error {
	return s.CompleteJobs(ctx, []core.Job{j})
}

// CompleteJobs is CompleteJob for many jobs, in one script.
func (s *Store) CompleteJobs(ctx context.Context, jobs []core.Job) error {
	if err := live(ctx); err != nil {
		return err
	}
	if len(jobs) == 0 {
		return nil
	}
	args := make([]any, 0, 2*len(jobs))
	for _, j := range jobs {
		args = append(args, j.ID(), j.Lease.UnixMilli())
	}
	if err := completeScript.Run(ctx, s.client, []string{s.keys.jobs(), s.keys.jobData()}, args...).Err(); err != nil {
		return fmt.Errorf("redis complete %d jobs: %w", len(jobs), err)
	}
	return nil
}

// renewScript moves job ARGV[1], if it is claimed with lease end ARGV[2],
// to lease end ARGV[3] and stores its data ARGV[4]. KEYS: the schedule, the
// job data hash.
var renewScript = goredis.NewScript(`
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not score or tonumber(score) ~= tonumber(ARGV[2]) then return 0 end
local raw = redis.call('HGET', KEYS[2], ARGV[1])
if not raw or tonumber(cjson.decode(raw).m) == tonumber(score) then return 0 end
redis.call('ZADD', KEYS[1], 'XX', ARGV[3], ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[4])
return 1
`)

// RenewJob moves the lease of a job still held under j.Lease (compared at
// millisecond precision) to until, and stores j's Attempt and Payload.
// It returns ECONFLICT when the lease was lost.
func (s *Store) RenewJob(ctx context.Context, j core.Job, until time.Time) (core.Job, error) {
	if err := ctx.Err(); err != nil {
		return core.Job{}, err
	}
	if err := core.ValidateRenew(j, until); err != nil {
		return core.Job{}, err
	}
	b, err := encodeJob(j)
	if err != nil {
		return core.Job{}, err
	}
	keys := []string{s.keys.jobs(), s.keys.jobData()}
	ok, err := renewScript.Run(ctx, s.client, keys, j.ID(), j.Lease.UnixMilli(), until.UnixMilli(), b).Int()
	if err != nil {
		return core.Job{}, fmt.Errorf("redis renew job %s: %w", j.ID(), err)
	}
	if ok == 0 {
		return core.Job{}, core.Errorf(core.ECONFLICT, "Job %s is no longer held under its lease.", j.ID())
	}
	j.Lease = fromMillis(until.UnixMilli())
	return j, nil
}

// Jobs returns every scheduled job, the soonest due (or lease end) first,
// ties by id; a claimed job has Lease set.
func (s *Store) Jobs(ctx context.Context) ([]core.Job, error) {
	if err := live(ctx); err != nil {
		return nil, err
	}
	var (
		scored *goredis.ZSliceCmd
		data   *goredis.MapStringStringCmd
	)
	_, err := s.client.TxPipelined(ctx, func(p goredis.Pipeliner) error {
		scored = p.ZRangeWithScores(ctx, s.keys.jobs(), 0, -1)
		data = p.HGetAll(ctx, s.keys.jobData())
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("redis jobs: %w", err)
	}
	all := data.Val()
	out := make([]core.Job, 0, len(scored.Val()))
	for _, z := range scored.Val() {
		id, _ := z.Member.(string)
		raw, ok := all[id]
		if !ok {
			continue
		}
		j, err := decodeJob(raw)
		if err != nil {
			return nil, fmt.Errorf("redis job %s: %w", id, err)
		}
		if score := int64(z.Score); score != j.DueMillis {
			j.Lease = fromMillis(score)
		}
		out = append(out, j.Job)
	}
	return out, nil
}
