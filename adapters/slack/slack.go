// Package slack is elevate's Slack adapter. It receives slash commands,
// button clicks, modal submissions and App Home events over HTTP (signed
// requests) or Socket Mode, acknowledges each once it is in the store's
// inbox, and does the work in a bounded pool of background workers (another
// replica does it if this one dies); a slash command that changes nothing
// is answered in its acknowledgement instead. It maps the Slack user to a
// principal, hands the command, click or form to the bot layer, and renders
// the bot's neutral messages as Block Kit.
//
// It is also the Slack side of notifications (a notifications.Poster and
// Updater), resolves Slack user groups for approver groups (a
// core.GroupResolver), and provides a Slack user group target. It never
// imports a store: de-duplication goes through the small Deduper interface.
package slack

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
	slackapi "github.com/slack-go/slack"

	"github.com/elevate-pim/elevate/bot"
	"github.com/elevate-pim/elevate/core"
	"github.com/elevate-pim/elevate/notifications"
)

// Defaults for Config fields left zero.
const (
	DefaultWorkers    = 16
	DefaultQueue      = 10000
	DefaultSubmitWait = 2 * time.Second
	DefaultJobTimeout = 2 * time.Minute
	DedupeTTL         = 10 * time.Minute
)

// Platform is the notifications.Ref platform of Slack messages.
const Platform = core.PlatformSlack

// Paths Handler serves; mount Handler at PathPrefix.
const (
	PathPrefix       = "/slack/"
	CommandsPath     = "/slack/commands"
	InteractionsPath = "/slack/interactions"
	EventsPath       = "/slack/events"
)

// Config configures an Adapter. BotToken is required; SigningSecret is
// required for the HTTP endpoints (without it every request gets 401).
type Config struct {
	BotToken      string // xoxb-…: ELEVATE_SLACK_BOT_TOKEN
	SigningSecret string // ELEVATE_SLACK_SIGNING_SECRET
	AppToken      string // xapp-…: ELEVATE_SLACK_APP_TOKEN; set → RunSocketMode can run
	// APIURL overrides the Web API base URL (ELEVATE_SLACK_API_URL); tests
	// point it at slacktest. A missing trailing "/" is added.
	APIURL string
	// Channels maps a channel key of the config's channels table to its
	// Slack channel id (C…).
	Channels map[string]string
	Log      zerolog.Logger
	// Clock tells the time for the adapter's caches (default
	// core.SystemClock). Request timestamps are Slack's wall-clock times and
	// are checked against the wall clock by slack-go's SecretsVerifier.
	Clock core.Clock

	// Workers bounds how many commands, clicks and events are worked on at
	// once; Queue bounds how many more may wait (beyond it, acknowledging
	// waits for room: work is never dropped).
	Workers, Queue int
	// SubmitWait is how long a modal submission waits for its outcome, so
	// that validation errors show on the modal; past it the modal closes
	// and the outcome follows by DM. It stays well inside Slack's 3 s.
	SubmitWait time.Duration
	// JobTimeout bounds one background job (a blocking target, say).
	JobTimeout time.Duration
	// HTTPClient is used for Web API calls; default a client with a 30 s
	// timeout that keeps a connection per worker alive.
	HTTPClient *http.Client
}

// EnvConfig reads the adapter's settings from the environment:
// ELEVATE_SLACK_BOT_TOKEN, ELEVATE_SLACK_SIGNING_SECRET,
// ELEVATE_SLACK_APP_TOKEN (set: Socket Mode) and ELEVATE_SLACK_API_URL.
// Pass os.Getenv.
func EnvConfig(getenv func(string) string) Config {
	return Config{
		BotToken:      getenv("ELEVATE_SLACK_BOT_TOKEN"),
		SigningSecret: getenv("ELEVATE_SLACK_SIGNING_SECRET"),
		AppToken:      getenv("ELEVATE_SLACK_APP_TOKEN"),
		APIURL:        getenv("ELEVATE_SLACK_API_URL"),
	}
}

// Deduper remembers keys for a while; core.Store satisfies it. Once reports
// whether key was not seen within ttl, and marks it seen.
type Deduper interface {
	Once(ctx context.Context, key string, ttl time.Duration) (bool, error)
}

// Adapter is the Slack adapter.
type Adapter struct {
	bot    *bot.Bot
	svc    *core.Service
	api    *slackapi.Client
	cfg    Config
	log    zerolog.Logger
	dedupe Deduper
	pool   *pool
	now    func() time.Time // for caches only; domain time is the service's clock

	waiting sync.Map    // inbox item ref → *handoff: a submission's modal waits for its answer
	answers answerCache // acknowledgement bodies of commands answered in them

	ids    identities
	groups groupCache
	dmMu   sync.Mutex
	dms    map[string]string // Slack user id → DM channel id
	ugMu   sync.Mutex
	ugLock map[string]*sync.Mutex // user group id → lock for read-modify-write

	mu      sync.Mutex
	closed  bool
	stop    context.CancelFunc // ends Socket Mode
	running sync.WaitGroup     // deliveries being accepted
	bg      sync.WaitGroup     // Socket Mode and the start-up token check
	socket  atomic.Bool        // Socket Mode is connected
}

var (
	_ notifications.Poster  = (*Adapter)(nil)
	_ notifications.Updater = (*Adapter)(nil)
	_ core.GroupResolver    = (*Adapter)(nil)
)

// New returns an adapter that drives b. dedupe de-duplicates retried and
// repeated deliveries (pass the core.Store); nil keeps an in-process memory,
// which is not shared between replicas.
func New(b *bot.Bot, dedupe Deduper, cfg Config) (*Adapter, error) {
	if b == nil {
		return nil, errors.New("slack: a bot is required")
	}
	if cfg.BotToken == "" {
		return nil, errors.New("slack: a bot token is required (ELEVATE_SLACK_BOT_TOKEN)")
	}
	if cfg.Workers <= 0 {
		cfg.Workers = DefaultWorkers
	}
	if cfg.Queue <= 0 {
		cfg.Queue = DefaultQueue
	}
	if cfg.SubmitWait <= 0 {
		cfg.SubmitWait = DefaultSubmitWait
	}
	if cfg.Clock == nil {
		cfg.Clock = core.SystemClock{}
	}
	if cfg.JobTimeout <= 0 {
		cfg.JobTimeout = DefaultJobTimeout
	}
	if cfg.HTTPClient == nil {
		// Every worker may call Slack at once: keep that many connections
		// open instead of dialing (and TLS-handshaking) for each call.
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = 2 * cfg.Workers
		cfg.HTTPClient = &http.Client{Timeout: 30 * time.Second, Transport: t}
	}
	opts := []slackapi.Option{slackapi.OptionHTTPClient(cfg.HTTPClient)}
	if cfg.APIURL != "" {
		if !strings.HasSuffix(cfg.APIURL, "/") {
			cfg.APIURL += "/"
		}
		opts = append(opts, slackapi.OptionAPIURL(cfg.APIURL))
	}
	if cfg.AppToken != "" {
		opts = append(opts, slackapi.OptionAppLevelToken(cfg.AppToken))
	}
	if dedupe == nil {
		dedupe = newLocalDeduper()
	}
	log := cfg.Log.With().Str("platform", Platform).Logger()
	a := &Adapter{
		bot: b, svc: b.Service(),
		api: slackapi.New(cfg.BotToken, opts...), cfg: cfg, log: log, dedupe: dedupe,
		pool: newPool(cfg.Workers, cfg.Queue, log), now: cfg.Clock.Now,
		dms: map[string]string{}, ugLock: map[string]*sync.Mutex{},
	}
	a.ids.init()
	a.groups.init()
	a.svc.HandleInbox(Platform, answerLifetime, a.runInbox)
	return a, nil
}

// Start checks the bot token (auth.test, logged) and runs Socket Mode in
// the background when Config.AppToken is set (slack-go reconnects on its
// own; a fatal error, such as a revoked token, is logged). Without an app
// token, mount Handler to receive Slack's requests.
func (a *Adapter) Start(ctx context.Context) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	switch {
	case a.closed:
		return errors.New("slack: adapter is closed")
	case a.stop != nil:
		return errors.New("slack: adapter already started")
	}
	ctx, a.stop = context.WithCancel(ctx)
	a.bg.Add(1)
	go func() {
		defer a.bg.Done()
		a.checkToken(ctx)
	}()
	if a.cfg.AppToken == "" {
		return nil
	}
	a.bg.Add(1)
	go func() {
		defer a.bg.Done()
		if err := a.RunSocketMode(ctx); err != nil {
			a.log.Error().Err(err).Msg("slack socket mode stopped")
		}
	}()
	return nil
}

// Close stops taking commands (HTTP requests get 503, so that Slack
// retries its events elsewhere) and ends Socket Mode. Work already
// accepted still finishes: call Wait for it.
func (a *Adapter) Close() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.closed = true
	if a.stop != nil {
		a.stop()
	}
	return nil
}

// Wait blocks until every delivery being accepted and every background
// job accepted so far has finished, and, after Close, until Socket Mode
// has stopped: for graceful shutdown (Close, then Wait) and for tests.
func (a *Adapter) Wait() {
	a.running.Wait()
	a.pool.wait()
	a.mu.Lock()
	closed := a.closed
	a.mu.Unlock()
	if closed {
		a.bg.Wait()
		a.pool.wait()
	}
}

// checkToken logs who the bot token belongs to, or that Slack refused it.
func (a *Adapter) checkToken(ctx context.Context) {
	var who *slackapi.AuthTestResponse
	err := a.call(ctx, "auth.test", func(ctx context.Context) error {
		var err error
		who, err = a.api.AuthTestContext(ctx)
		return err
	})
	if err != nil {
		if ctx.Err() == nil {
			a.log.Error().Err(err).Msg("slack bot token check failed (ELEVATE_SLACK_BOT_TOKEN)")
		}
		return
	}
	a.log.Info().Str("team_id", who.TeamID).Str("bot_user", who.UserID).Bool("socket_mode", a.cfg.AppToken != "").Msg("slack adapter started")
}

// enter counts a delivery in, unless the adapter is closed.
func (a *Adapter) enter() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return false
	}
	a.running.Add(1)
	return true
}

// leave counts a delivery out.
func (a *Adapter) leave() { a.running.Done() }

// Handler serves Slack's request URLs: POST /slack/commands,
// /slack/interactions and /slack/events. Mount it on the server's mux
// (mux.Handle("/slack/", a.Handler())).
func (a *Adapter) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /slack/commands", a.serveCommand)
	mux.HandleFunc("POST /slack/interactions", a.serveInteraction)
	mux.HandleFunc("POST /slack/events", a.serveEvent)
	return mux
}

// caller maps a Slack user to the core caller it acts as.
func (a *Adapter) caller(ctx context.Context, slackUser string) (core.Caller, error) {
	p, err := a.principalOf(ctx, slackUser)
	if err != nil {
		return core.Caller{}, err
	}
	return core.Caller{Principal: p.ID, Source: Platform}, nil
}

// once reports whether the delivery named key is new. When the deduper
// fails the delivery is worked on: every effect is idempotent in core, so
// a rare duplicate is safer than a lost click. When the store cannot be
// reached, nothing can be done: a command or click is answered so at once.
func (a *Adapter) once(ctx context.Context, o origin, key string) bool {
	fresh, err := a.dedupe.Once(ctx, "slack:"+key, DedupeTTL)
	if core.ErrorCode(err) == core.EUNAVAILABLE {
		if o.command != "" {
			a.deliver(ctx, o, bot.Message{}, err)
		}
		return false
	}
	if err != nil {
		o.log.Warn().Err(err).Msg("de-duplication unavailable; handling the delivery anyway")
		return true
	}
	if !fresh {
		o.log.Debug().Msg("duplicate delivery ignored")
		return false
	}
	o.log.Debug().Msg("slack delivery")
	return true
}

// localDeduper is an in-process Deduper for adapters built without a store.
type localDeduper struct {
	mu   sync.Mutex
	seen map[string]time.Time
}

func newLocalDeduper() *localDeduper { return &localDeduper{seen: map[string]time.Time{}} }

func (d *localDeduper) Once(_ context.Context, key string, ttl time.Duration) (bool, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	now := time.Now()
	if until, ok := d.seen[key]; ok && now.Before(until) {
		return false, nil
	}
	if len(d.seen) > 100000 {
		for k, until := range d.seen {
			if now.After(until) {
				delete(d.seen, k)
			}
		}
	}
	d.seen[key] = now.Add(ttl)
	return true, nil
}

// dir is the directory in force: a config reload swaps it.
func (a *Adapter) dir() *core.Directory { return a.svc.Directory() }
