package main

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/elevate-pim/elevate/adapters/metrics"
	"github.com/elevate-pim/elevate/bot"
	"github.com/elevate-pim/elevate/core"
	"github.com/elevate-pim/elevate/core/config"
	"github.com/elevate-pim/elevate/core/totp"
	"github.com/elevate-pim/elevate/notifications"
	"github.com/elevate-pim/elevate/store/memory"
	"github.com/elevate-pim/elevate/store/redis"
)

// Main is the wired application: config, store, core service, bot and
// notifier. Commands and the end-to-end tests build it the same way.
type Main struct {
	Config   *config.Config // as loaded at start; Reload puts a newer file's roles in force
	Store    core.Store
	Clock    core.Clock
	Service  *core.Service
	Bot      *bot.Bot
	Notifier *notifications.Notifier
	Targets  *targetSet
	Metrics  *metrics.Metrics
	Log      zerolog.Logger

	persistent bool
	backing    core.Store                  // the store itself, unwrapped: for its capabilities beyond core.Store (leases, cursors)
	archive    core.AuditArchive           // the audit archive; nil when none is configured
	ping       func(context.Context) error // reaches the store, for readiness; nil: always reachable
	chats      []platformChat              // running chat adapters, for readiness
	cfgFile    string                      // the config file, read again by Reload
	sealing    bool                        // an MFA key was configured at start
	reloading  sync.Mutex                  // one Reload at a time
	closers    []func() error
}

// Options adjust how Main is built.
type Options struct {
	Clock core.Clock // default: the wall clock
}

// NewMain loads the config file and wires everything. The store is Redis
// when one is configured and the in-memory store otherwise.
func NewMain(ctx context.Context, cfgPath string, log zerolog.Logger, opt Options) (*Main, error) {
	if cfgPath == "" {
		return nil, usageError("--config FILE is required")
	}
	clock := opt.Clock
	if clock == nil {
		clock = core.SystemClock{}
	}
	cfg, err := config.Load(cfgPath, clock.Now())
	if err != nil {
		return nil, err
	}
	routeLibraryLogs(log)
	m := &Main{Config: cfg, Clock: clock, Log: log, Metrics: metrics.New(), cfgFile: cfgPath}
	if err := m.openStore(ctx); err != nil {
		return nil, err
	}
	m.backing, m.Store = m.Store, m.Metrics.Store(m.Store)
	if err := m.openArchive(true); err != nil {
		m.Close()
		return nil, err
	}
	key, err := m.mfaKey()
	if err != nil {
		m.Close()
		return nil, err
	}
	m.sealing = key != nil
	m.Targets, err = buildTargets(cfg)
	if err != nil {
		m.Close()
		return nil, err
	}
	lease, err := envDuration("ELEVATE_JOB_LEASE")
	if err != nil {
		m.Close()
		return nil, err
	}
	m.Service, err = core.NewService(core.Config{
		JobLease: lease, RequestRetention: cfg.Retention.Requests, ReviewRetention: cfg.Retention.Reviews, AuditArchive: m.archive, AuditHot: cfg.Audit.Hot,
		Store: m.Store, Directory: cfg.Directory, Clock: m.Clock, OTP: totp.TOTP{}, MFAKey: key, Targets: m.Metrics.Targets(m.Targets),
		Issuer: cfg.MFA.Issuer, Location: cfg.Location, Observer: m.Metrics, Reviews: cfg.Reviews, Alerts: cfg.Alerts,
		Events: m.Metrics.Events(courier{m}), Errors: func(err error) { log.Error().Err(err).Msg("background work failed") },
	})
	if err != nil {
		m.Close()
		return nil, err
	}
	m.Bot = bot.New(m.Service, cfg.Location)
	m.Notifier = notifications.New(m.Bot, m.Store, notifications.Config{Channel: cfg.Channel, AlertsChannel: cfg.AlertsChannel}, log)
	m.Metrics.ActiveWindows(m.Store, func() []string { return m.Service.Directory().RoleNames() })
	m.Metrics.OutboxDepth(m.Notifier.Pending)
	m.Metrics.OpenAlerts(m.Store)
	if err := m.seed(ctx, cfg); err != nil {
		m.Close()
		return nil, err
	}
	if err := m.Service.Reviews().Sync(ctx); err != nil {
		m.Close()
		return nil, fmt.Errorf("schedule reviews: %w", err)
	}
	if f := cfg.Alerts.AnchorFile; f != "" {
		m.Service.Alerts().SetAnchorWriter(appendAnchor(f))
	}
	if err := m.Service.Alerts().Start(ctx); err != nil {
		m.Close()
		return nil, fmt.Errorf("schedule alert scans: %w", err)
	}
	return m, nil
}

// appendAnchor appends each anchor to the file at path, one line each.
func appendAnchor(path string) core.AnchorWriter {
	return func(head core.AuditHead, at time.Time) error {
		f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
		if err != nil {
			return err
		}
		if _, err := f.WriteString(core.FormatAnchorLine(head, at)); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	}
}

// seed writes the assignments cfg declares to the store, warning about
// each that an access review removed (it stays removed).
func (m *Main) seed(ctx context.Context, cfg *config.Config) error {
	skipped, err := m.Service.SeedFromConfig(ctx, cfg.Assignments)
	if err != nil {
		return fmt.Errorf("seed assignments from %s: %w", cfg.File, err)
	}
	for _, r := range skipped {
		m.Log.Warn().Str("review", r.Review).Str("principal", r.Principal).Str("role", r.Role).
			Msg(removedLine(cfg, r) + ": kept removed; delete the line from the config")
	}
	return nil
}

// removedLine names the config line of an assignment a review removed:
// "FILE:LINE: assignment eligible/alice/prod-db was removed by review
// rv-x (bob, 2026-12-01T10:00:00Z)".
func removedLine(cfg *config.Config, r core.ReviewRemoval) string {
	by := r.DecidedBy
	if by == "" || by == core.System.Principal {
		by = "no answer"
	}
	return fmt.Sprintf("%s:%d: assignment %s was removed by access review %s (%s, %s)",
		cfg.File, cfg.AssignmentLines[r.Key], r.Key, r.Review, by, r.At.UTC().Format(time.RFC3339))
}

// courier hands the service's notices to the notifier, which is built
// after the service (it renders with the bot, which needs the service).
type courier struct{ m *Main }

func (c courier) Publish(ctx context.Context, e core.Event) { c.m.Notifier.Publish(ctx, e) }

func (c courier) Deliver(ctx context.Context, n *core.Notice, save func(context.Context) error) error {
	return c.m.Notifier.Deliver(ctx, n, save)
}

// openStore picks the store: Redis when ELEVATE_REDIS_URL or store.redis_url
// names one (a Cluster when ELEVATE_REDIS_MODE or store.redis_mode says
// cluster), and otherwise the embedded memory store, with a warning.
func (m *Main) openStore(context.Context) error {
	url := os.Getenv("ELEVATE_REDIS_URL")
	if url == "" && m.Config.Store.RedisURL.IsSet() {
		v, err := m.Config.Store.RedisURL.Resolve()
		if err != nil {
			return fmt.Errorf("store.redis_url: %w", err)
		}
		url = v
	}
	if url == "" {
		m.Log.Warn().Msg("no Redis configured: using the in-memory store; all state is lost when the process exits")
		m.Store = memory.New(memory.WithClock(m.Clock))
		return nil
	}
	mode := cmp.Or(os.Getenv("ELEVATE_REDIS_MODE"), m.Config.Store.RedisMode)
	st, err := redis.Open(url, mode, redis.WithPrefix(cmp.Or(os.Getenv("ELEVATE_REDIS_PREFIX"), "elevate")), redis.WithClock(m.Clock))
	if err != nil {
		return err
	}
	m.Store, m.persistent, m.ping = st, true, st.Ping
	m.closers = append(m.closers, st.Close)
	return nil
}

// mfaKey returns the 32-byte key that seals TOTP secrets. A persistent
// store needs a real key when any role requires MFA; the memory store gets
// an ephemeral one, since nothing it holds outlives the process anyway.
func (m *Main) mfaKey() ([]byte, error) {
	raw := os.Getenv("ELEVATE_ENCRYPTION_KEY")
	if raw == "" && m.Config.MFA.EncryptionKey.IsSet() {
		v, err := m.Config.MFA.EncryptionKey.Resolve()
		if err != nil {
			return nil, fmt.Errorf("mfa.encryption_key: %w", err)
		}
		raw = v
	}
	if raw != "" {
		key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(raw))
		if err != nil || len(key) != 32 {
			return nil, fmt.Errorf("ELEVATE_ENCRYPTION_KEY must be the base64 encoding of 32 random bytes (make one with `openssl rand -base64 32`)")
		}
		return key, nil
	}
	if m.persistent {
		if m.Config.RequiresMFA() {
			return nil, fmt.Errorf("roles require MFA but ELEVATE_ENCRYPTION_KEY is not set: TOTP secrets cannot be stored safely. Make a key with `openssl rand -base64 32`")
		}
		return nil, nil
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	m.Log.Warn().Msg("ELEVATE_ENCRYPTION_KEY not set: using an ephemeral key for MFA secrets (fine for the memory store, which keeps nothing)")
	return key, nil
}

// Close releases what Main opened.
func (m *Main) Close() error {
	var first error
	for i := len(m.closers) - 1; i >= 0; i-- {
		if err := m.closers[i](); err != nil && first == nil {
			first = err
		}
	}
	m.closers = nil
	return first
}

// openStoreForCLI opens the configured persistent store for the audit and
// check commands: only the store, so that reading needs none of the
// service's secrets (MFA key, webhook secrets) and writes nothing.
func openStoreForCLI(ctx context.Context, cfgPath string, stderr io.Writer) (core.Store, func(), error) {
	m, err := openMainForCLI(ctx, cfgPath, stderr)
	if err != nil {
		return nil, nil, err
	}
	return m.Store, func() { m.Close() }, nil
}

// openMainForCLI loads the config and opens only its persistent store.
// Without a config file, ELEVATE_REDIS_URL (and ELEVATE_REDIS_PREFIX,
// ELEVATE_REDIS_MODE) say where the store is: a sidecar or a PAM hook that
// asks `elevate check` needs nothing else.
func openMainForCLI(ctx context.Context, cfgPath string, stderr io.Writer) (*Main, error) {
	cfg := &config.Config{}
	switch {
	case cfgPath != "":
		var err error
		if cfg, err = config.Load(cfgPath, time.Now()); err != nil {
			return nil, err
		}
	case os.Getenv("ELEVATE_REDIS_URL") == "":
		return nil, usageError("--config FILE or ELEVATE_REDIS_URL is required")
	}
	m := &Main{Config: cfg, Clock: core.SystemClock{}, Log: newLogger(stderr)}
	routeLibraryLogs(m.Log)
	if err := m.openStore(ctx); err != nil {
		return nil, err
	}
	if !m.persistent {
		return nil, fmt.Errorf("the config uses the in-memory store, which keeps nothing between processes: configure store.redis_url, or export from a running console with --audit-out")
	}
	return m, nil
}

// envDuration reads a duration from the environment; unset is zero.
func envDuration(name string) (time.Duration, error) {
	v := os.Getenv(name)
	if v == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%s=%q: want a positive duration like 30s", name, v)
	}
	return d, nil
}
