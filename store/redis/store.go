package redis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/elevate-pim/elevate/core"
	goredis "github.com/redis/go-redis/v9"
)

var _ core.Store = (*Store)(nil)

// DefaultPrefix is the key prefix, and so the hash tag, of a store made
// without WithPrefix.
const DefaultPrefix = "elevate"

// Store is a core.Store kept in Redis. It is safe for concurrent use, and
// any number of Stores, in one process or in many, may share one prefix on
// one Redis deployment: they then see and guard the same state.
type Store struct {
	client goredis.UniversalClient
	keys   keyspace
	clock  core.Clock // times the markers of applied Changes and Once keys

	sealer *sealer // chains the audit events Apply appends (seal.go)

	acks       int           // replicas that must acknowledge each Apply; 0: none
	ackTimeout time.Duration // how long Apply waits for them
}

// Option configures a Store.
type Option func(*Store)

// WithPrefix makes every key of the store start with the hash tag
// {prefix}, so that several deployments can share one Redis. The prefix must
// not be empty and must not contain '{' or '}', which would change the hash
// tag; New panics on such a prefix, as on any programming error.
func WithPrefix(prefix string) Option {
	return func(s *Store) {
		if err := CheckPrefix(prefix); err != nil {
			panic("redis: " + err.Error())
		}
		s.keys = newKeyspace(prefix)
	}
}

// WithClock makes the store time its de-duplication markers (applied
// Changes, Once keys) by clock instead of the system clock, so that they
// are forgotten by the same time as everything else core keeps: under a
// test's fake clock, as its simulated days pass. Windows and leases keep
// Redis's own TTLs.
func WithClock(clock core.Clock) Option { return func(s *Store) { s.clock = clock } }

// CheckPrefix says what is wrong with a key prefix, or returns nil: it
// must be non-empty and free of '{' and '}', which would change the hash
// tag. Callers check prefixes from the outside world with it before
// WithPrefix, which panics on a bad one.
func CheckPrefix(prefix string) error {
	if prefix == "" || strings.ContainsAny(prefix, "{}") {
		return fmt.Errorf("invalid key prefix %q: it must be non-empty and free of '{' and '}'", prefix)
	}
	return nil
}

// New returns a store on client, which may be a single-node, Sentinel
// (failover) or Cluster client. The store does not check that the server is
// reachable; Open does. It adds a hook to client that reports connection
// failures and timeouts as core's EUNAVAILABLE.
func New(client goredis.UniversalClient, opts ...Option) *Store {
	client.AddHook(unavailableHook{})
	s := &Store{client: client, keys: newKeyspace(DefaultPrefix), clock: core.SystemClock{}}
	for _, o := range opts {
		o(s)
	}
	s.sealer = newSealer(s.seal)
	return s
}

// Ping checks that the server answers, for readiness probes.
func (s *Store) Ping(ctx context.Context) error { return s.client.Ping(ctx).Err() }

// Close closes the store's Redis client, and so any store sharing it.
func (s *Store) Close() error {
	s.sealer.stop()
	return s.client.Close()
}

// Request returns the request with the given id, or ENOTFOUND.
func (s *Store) Request(ctx context.Context, id string) (*core.Request, error) {
	reqs, err := s.Requests(ctx, []string{id})
	if err != nil {
		return nil, err
	}
	if reqs[0] == nil {
		return nil, core.Errorf(core.ENOTFOUND, "No request %q.", id)
	}
	return reqs[0], nil
}

// Requests returns the requests with the given ids in one MGET, nil for
// each that is not stored.
func (s *Store) Requests(ctx context.Context, ids []string) ([]*core.Request, error) {
	if err := live(ctx); err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return nil, nil
	}
	keys := make([]string, len(ids))
	for i, id := range ids {
		keys[i] = s.keys.request(id)
	}
	raws, err := s.client.MGet(ctx, keys...).Result()
	if err != nil {
		return nil, fmt.Errorf("redis requests: %w", err)
	}
	out := make([]*core.Request, len(ids))
	for i, raw := range raws {
		str, ok := raw.(string)
		if !ok {
			continue
		}
		var r core.Request
		if err := json.Unmarshal([]byte(str), &r); err != nil {
			return nil, fmt.Errorf("redis request %s: decode: %w", ids[i], err)
		}
		out[i] = &r
	}
	return out, nil
}

// MFA returns the principal's MFA record, or ENOTFOUND.
func (s *Store) MFA(ctx context.Context, principal string) (*core.MFARecord, error) {
	if err := live(ctx); err != nil {
		return nil, err
	}
	raw, err := s.client.Get(ctx, s.keys.mfa(principal)).Bytes()
	if errors.Is(err, goredis.Nil) {
		return nil, core.Errorf(core.ENOTFOUND, "%s has not enrolled in MFA.", principal)
	} else if err != nil {
		return nil, fmt.Errorf("redis MFA of %s: %w", principal, err)
	}
	var r core.MFARecord
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, fmt.Errorf("redis MFA of %s: decode: %w", principal, err)
	}
	return &r, nil
}
