package main

import (
	"cmp"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/rs/zerolog"

	"github.com/elevate-pim/elevate/adapters/api"
	"github.com/elevate-pim/elevate/core"
	"github.com/elevate-pim/elevate/store/redis"
)

// cmdServe runs the scheduler and the HTTP endpoints until ctx ends.
func cmdServe(ctx context.Context, args []string, stderr io.Writer) error {
	fs := newFlags("serve", stderr)
	cfgPath := fs.String("config", os.Getenv("ELEVATE_CONFIG"), "config file")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	log := newLogger(stderr)
	m, err := waitForStore(ctx, *cfgPath, log)
	if err != nil {
		return err
	}
	defer m.Close()
	m.reloadOnHangup(ctx)
	addr := os.Getenv("ELEVATE_HTTP_ADDR")
	if addr == "" {
		addr = ":8080"
	}
	return m.Serve(ctx, addr)
}

// waitForStore builds Main; while its store cannot be reached it stays up
// and tries again with a doubling backoff (up to 30 s), one log line per
// try, rather than exiting into a supervisor's crash loop.
func waitForStore(ctx context.Context, cfgPath string, log zerolog.Logger) (*Main, error) {
	backoff := time.Second
	for {
		m, err := NewMain(ctx, cfgPath, log, Options{})
		if err == nil || !(errors.Is(err, redis.ErrUnreachable) || core.ErrorCode(err) == core.EUNAVAILABLE) {
			return m, err
		}
		log.Warn().Err(err).Dur("retry_in", backoff).Msg("store unreachable: waiting for it before serving")
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 30*time.Second)
	}
}

// Serve runs the scheduler and the HTTP server on addr until ctx ends.
func (m *Main) Serve(ctx context.Context, addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	return m.ServeListener(ctx, ln)
}

// defaultShutdownGrace bounds a shutdown when ELEVATE_SHUTDOWN_GRACE is unset.
const defaultShutdownGrace = 20 * time.Second

// ServeListener is Serve on an open listener; tests pass a loopback one.
// GET /metrics is served there too, unless ELEVATE_METRICS_ADDR moves it
// to a listener of its own. When ctx ends it shuts down in order (see
// shutdown) within ELEVATE_SHUTDOWN_GRACE (default 20s); the caller closes
// the store after it returns.
func (m *Main) ServeListener(ctx context.Context, ln net.Listener) error {
	grace, err := envDuration("ELEVATE_SHUTDOWN_GRACE")
	if err != nil {
		ln.Close()
		return err
	}
	grace = cmp.Or(grace, defaultShutdownGrace)
	metricsLn, err := listenMetrics()
	if err != nil {
		ln.Close()
		return err
	}
	err = m.Service.ScheduleArchive(ctx)
	if err == nil {
		err = m.startSIEM(ctx)
	}
	if err != nil {
		err = fmt.Errorf("audit: %w", err)
	} else if err = m.Service.ScheduleRetentionSweep(ctx); err != nil {
		err = fmt.Errorf("retention: %w", err)
	} else if err = m.Service.ScheduleHistorySweep(ctx); err != nil {
		err = fmt.Errorf("request history: %w", err)
	}
	if err != nil {
		ln.Close()
		if metricsLn != nil {
			metricsLn.Close()
		}
		return err
	}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", healthz)
	mux.HandleFunc("GET /readyz", m.readyz)
	servers := []*http.Server{{Handler: mux, ReadHeaderTimeout: 5 * time.Second}}
	listeners := []net.Listener{ln}
	if metricsLn == nil {
		mux.Handle("GET /metrics", m.Metrics.Handler())
	} else {
		metricsMux := http.NewServeMux()
		metricsMux.Handle("GET /metrics", m.Metrics.Handler())
		servers = append(servers, &http.Server{Handler: metricsMux, ReadHeaderTimeout: 5 * time.Second})
		listeners = append(listeners, metricsLn)
	}
	apiServer, err := m.apiServer()
	if err == nil {
		mux.Handle(api.Prefix+"/", apiServer)
		m.chats, err = m.openChat(ctx, mux)
	}
	if err != nil {
		for _, l := range listeners {
			l.Close()
		}
		return err
	}
	// Open alerts no replica has posted yet (raised by `elevate breakglass`
	// while chat was down) are posted now that the adapters are up.
	if err := m.Service.Alerts().Republish(ctx); err != nil {
		m.Log.Error().Err(err).Msg("republish open alerts")
	}
	// The scheduler starts once every job handler (chat commands) is
	// registered, and stops after the chat handlers: it delivers the
	// notices they commit while they drain.
	schedCtx, stopScheduler := context.WithCancel(context.WithoutCancel(ctx))
	defer stopScheduler()
	ran := make(chan struct{})
	go func() {
		defer close(ran)
		m.Service.Run(schedCtx, func(err error) { m.Log.Error().Err(err).Msg("scheduled job failed") })
	}()
	errc := make(chan error, len(servers))
	for i, srv := range servers {
		m.Log.Info().Str("addr", listeners[i].Addr().String()).Bool("metrics_only", i > 0).Msg("elevate serving")
		go func() { errc <- srv.Serve(listeners[i]) }()
	}
	select {
	case err = <-errc:
	case <-ctx.Done():
	}
	return errors.Join(err, m.shutdown(servers, stopScheduler, ran, grace))
}

// shutdown stops serve in order within grace. ctx's end has already
// stopped the chat connections (Socket Mode, the gateway); then the HTTP
// servers stop accepting and finish their requests, the chat handlers
// finish, and last the scheduler stops claiming, finishes the jobs it holds
// and delivers the notices committed until then. What still runs when
// grace ends is logged; a claimed job comes back to another replica when
// its lease ends.
func (m *Main) shutdown(servers []*http.Server, stopScheduler context.CancelFunc, scheduler <-chan struct{}, grace time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	start := time.Now()
	m.Log.Info().Dur("grace", grace).Msg("shutting down")
	var errs []error
	for _, srv := range servers {
		if err := srv.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("http shutdown: %w", err))
		}
	}
	for _, c := range m.chats {
		_ = c.Close()
		if !returnsWithin(ctx, c.Wait) {
			errs = append(errs, errors.New("chat handlers still running at the end of the shutdown grace"))
		}
	}
	stopScheduler()
	if !returnsWithin(ctx, func() { <-scheduler }) {
		errs = append(errs, errors.New("scheduled jobs still running at the end of the shutdown grace; their leases hand them to another replica"))
	}
	m.Log.Info().Dur("took", time.Since(start)).Msg("shut down")
	return errors.Join(errs...)
}

// returnsWithin runs wait and reports whether it returned before ctx ended.
func returnsWithin(ctx context.Context, wait func()) bool {
	done := make(chan struct{})
	go func() { wait(); close(done) }()
	select {
	case <-done:
		return true
	case <-ctx.Done():
		return false
	}
}

// listenMetrics opens ELEVATE_METRICS_ADDR when it is set.
func listenMetrics() (net.Listener, error) {
	addr := os.Getenv("ELEVATE_METRICS_ADDR")
	if addr == "" {
		return nil, nil
	}
	return net.Listen("tcp", addr)
}

// apiServer builds the HTTP API with the configured tokens, each resolved
// to its SHA-256 (a token given by reference is read now and never kept).
func (m *Main) apiServer() (*api.Server, error) {
	var tokens []api.Token
	for _, t := range m.Config.API.Tokens {
		tok := api.Token{Name: t.Name, Principal: t.Principal, Scopes: t.Scopes, Hash: t.Hash, Rate: t.Rate}
		if t.Token.IsSet() {
			v, err := t.Token.Resolve()
			if err != nil {
				return nil, fmt.Errorf("api token %s: %w", t.Name, err)
			}
			tok.Hash = sha256.Sum256([]byte(v))
		}
		tokens = append(tokens, tok)
	}
	return api.New(m.Service, tokens, m.Log.With().Str("adapter", "api").Logger()), nil
}
