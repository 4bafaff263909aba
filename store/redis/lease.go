package redis

import (
	"context"
	"fmt"
	"time"

	"github.com/elevate-pim/elevate/core"
	goredis "github.com/redis/go-redis/v9"
)

// acquireLeaseScript takes the lease KEYS[1] for ARGV[1] ms when nobody
// holds it: its value becomes the next fencing token from the counter
// KEYS[2], which it returns; 0 when the lease is held.
var acquireLeaseScript = goredis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local tok = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], tok, 'PX', ARGV[1])
return tok
`)

// renewLeaseScript extends the lease KEYS[1] by ARGV[2] ms if token ARGV[1]
// holds it; 1 if so, else 0.
var renewLeaseScript = goredis.NewScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
`)

// releaseLeaseScript deletes the lease KEYS[1] if token ARGV[1] holds it.
var releaseLeaseScript = goredis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 0
`)

// AcquireLease takes the lease name for ttl (kept by Redis) when nobody
// holds it, and returns its fencing token, larger than any given before
// for that name; ok is false while another holds it.
func (s *Store) AcquireLease(ctx context.Context, name string, ttl time.Duration) (int64, bool, error) {
	if err := live(ctx); err != nil {
		return 0, false, err
	}
	if err := core.ValidateLease(name, ttl); err != nil {
		return 0, false, err
	}
	tok, err := acquireLeaseScript.Run(ctx, s.client, []string{s.keys.lease(name), s.keys.leaseToken(name)}, ttlMillis(ttl)).Int64()
	if err != nil {
		return 0, false, fmt.Errorf("redis lease %s: %w", name, err)
	}
	return tok, tok > 0, nil
}

// RenewLease extends the lease for ttl from now if token still holds it.
func (s *Store) RenewLease(ctx context.Context, name string, token int64, ttl time.Duration) (bool, error) {
	if err := live(ctx); err != nil {
		return false, err
	}
	if err := core.ValidateLease(name, ttl); err != nil {
		return false, err
	}
	n, err := renewLeaseScript.Run(ctx, s.client, []string{s.keys.lease(name)}, token, ttlMillis(ttl)).Int64()
	if err != nil {
		return false, fmt.Errorf("redis renew lease %s: %w", name, err)
	}
	return n == 1, nil
}

// ReleaseLease frees the lease if token still holds it.
func (s *Store) ReleaseLease(ctx context.Context, name string, token int64) error {
	if err := live(ctx); err != nil {
		return err
	}
	if err := releaseLeaseScript.Run(ctx, s.client, []string{s.keys.lease(name)}, token).Err(); err != nil {
		return fmt.Errorf("redis release lease %s: %w", name, err)
	}
	return nil
}
