package redis

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// pingTimeout bounds Open's first contact with the deployment.
const pingTimeout = 5 * time.Second

// ModeCluster is the mode that makes Open treat a URL as a Redis Cluster's.
const ModeCluster = "cluster"

// Connect returns a client of the Redis deployment that rawURL names, in
// go-redis's own URL forms, parsed by go-redis's own helpers:
//
//   - redis://[user:password@]host:port/db, or rediss:// for TLS: one server;
//   - the same with master_name=NAME: Sentinel; the host and every addr=
//     parameter are sentinels, and the client follows the master they name;
//   - with mode "cluster": a Redis Cluster; the host and every addr=
//     parameter are seed nodes.
//
// mode is "" (one server or Sentinel, by the URL) or "cluster". Connect
// does not contact the deployment; errors name no password.
func Connect(rawURL, mode string) (goredis.UniversalClient, error) {
	c, err := connect(rawURL, mode)
	return c.client, err
}

// connection is a client and what Open needs to know about it.
type connection struct {
	client   goredis.UniversalClient
	servers  []string // the addresses it starts from, for error messages
	sentinel bool     // its master is chosen by sentinels
}

func connect(rawURL, mode string) (connection, error) {
	bad := func(err error) error {
		return fmt.Errorf("redis: bad URL %s: %w", redactURL(rawURL), withoutURL(err))
	}
	switch {
	case mode == ModeCluster:
		opt, err := goredis.ParseClusterURL(rawURL)
		if err != nil {
			return connection{}, bad(err)
		}
		tune(&opt.DialTimeout, &opt.PoolTimeout, &opt.MaxRetries)
		opt.ContextTimeoutEnabled = true
		return connection{client: goredis.NewClusterClient(opt), servers: opt.Addrs}, nil
	case mode != "":
		return connection{}, fmt.Errorf("redis: unknown mode %q: leave it empty (one server or Sentinel, by the URL) or set %q", mode, ModeCluster)
	case isSentinelURL(rawURL):
		opt, err := goredis.ParseFailoverURL(rawURL)
		if err != nil {
			return connection{}, bad(err)
		}
		tune(&opt.DialTimeout, &opt.PoolTimeout, &opt.MaxRetries)
		opt.ContextTimeoutEnabled = true
		return connection{client: goredis.NewFailoverClient(opt), servers: opt.SentinelAddrs, sentinel: true}, nil
	}
	opt, err := goredis.ParseURL(rawURL)
	if err != nil {
		return connection{}, bad(err)
	}
	tune(&opt.DialTimeout, &opt.PoolTimeout, &opt.MaxRetries)
	opt.ContextTimeoutEnabled = true
	return connection{client: goredis.NewClient(opt), servers: []string{opt.Addr}}, nil
}

// Client settings that keep a chat interaction within its deadline (2.5 s
// to the first answer) while Redis is slow or gone: a dial, a wait for a
// pooled connection and the retries of a failed command each stay well
// inside it, and every command honours its caller's context deadline
// (ContextTimeoutEnabled), which chat adapters bound with
// core.WithStoreWait. Read and write timeouts stay go-redis's (3 s) for
// callers without a deadline. A URL's own dial_timeout, pool_timeout or
// max_retries wins.
const (
	dialTimeout = time.Second
	poolTimeout = time.Second
	maxRetries  = 1
)

// tune sets the settings above where the URL left them unset.
func tune(dial, pool *time.Duration, retries *int) {
	if *dial == 0 {
		*dial = dialTimeout
	}
	if *pool == 0 {
		*pool = poolTimeout
	}
	if *retries == 0 {
		*retries = maxRetries
	}
}

// isSentinelURL reports whether rawURL names a Sentinel-managed master: it
// has a master_name parameter.
func isSentinelURL(rawURL string) bool {
	u, err := url.Parse(rawURL)
	return err == nil && u.Query().Has("master_name")
}

// ErrUnreachable is in the error of an Open whose deployment did not
// answer: a caller may wait for it and try again.
var ErrUnreachable = errors.New("redis did not answer")

// Open connects as Connect does, checks within 5 seconds that the
// deployment answers, and returns a store on it. With Sentinel, every
// Apply also waits until a replica holds the change (WithReplicaAcks(1,
// DefaultAckTimeout), unless opts say otherwise), so that a failover cannot
// lose a transition that was reported done.
func Open(rawURL, mode string, opts ...Option) (*Store, error) {
	c, err := connect(rawURL, mode)
	if err != nil {
		return nil, err
	}
	if c.sentinel {
		opts = append([]Option{WithReplicaAcks(1, DefaultAckTimeout)}, opts...)
	}
	ctx, cancel := context.WithTimeout(context.Background(), pingTimeout)
	defer cancel()
	if err := c.client.Ping(ctx).Err(); err != nil {
		c.client.Close()
		return nil, fmt.Errorf("redis at %s is unreachable: %w", strings.Join(c.servers, ","), errors.Join(ErrUnreachable, err))
	}
	return New(c.client, opts...), nil
}

// redactURL returns rawURL with any password replaced by "xxxxx", or a
// placeholder when it does not parse, since the raw text may hold a password.
func redactURL(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}

// withoutURL drops the URL text that net/url puts into its errors, which
// would show a password.
func withoutURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
