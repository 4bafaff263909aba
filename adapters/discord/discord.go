// Package discord is elevate's Discord adapter. It serves the /elevate
// slash command, buttons and modals over either transport Discord offers —
// a gateway session receiving INTERACTION_CREATE, or the HTTP interactions
// endpoint verified with Ed25519 — and turns them into bot calls. It posts
// notifications (approver DMs, channel posts, edits of every copy of an
// approval request), resolves guild roles used as approver groups, and
// grants guild roles as a role target. It never imports a store: state
// lives in core, so any replica can serve the next click.
package discord

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/rs/zerolog"

	"github.com/elevate-pim/elevate/bot"
	"github.com/elevate-pim/elevate/core"
	"github.com/elevate-pim/elevate/notifications"
)

// Transports the adapter can receive interactions over.
const (
	ModeGateway = "gateway" // a discordgo session receives INTERACTION_CREATE (default)
	ModeHTTP    = "http"    // Discord POSTs interactions to Handler; no gateway connection
)

// InteractionsPath is where Handler serves Discord's interaction POSTs.
const InteractionsPath = "/discord/interactions"

// Defaults for the tunables in Config.
const (
	defaultAckWithin    = 2 * time.Second // Discord allows 3 s for the first response
	defaultWorkers      = 16
	defaultQueue        = 1024
	defaultRetryBackoff = time.Second
	maxRetryBackoff     = 5 * time.Minute
	restTimeout         = 20 * time.Second
)

// Config configures an Adapter. BotToken and AppID are required, and
// PublicKey in http mode.
type Config struct {
	BotToken  string // with or without the "Bot " prefix
	AppID     string // the application id (snowflake)
	PublicKey string // hex Ed25519 key that signs HTTP interactions
	Mode      string // ModeGateway (default) or ModeHTTP
	// Guilds are where /elevate is registered (bulk overwrite) and where
	// guild roles used as approver groups are looked up. Empty registers
	// the command globally.
	Guilds []string
	// APIURL redirects Discord's REST base (https://discord.com) to another
	// scheme and host, for tests against a fake; "" keeps Discord.
	APIURL string
	// Channels maps a channel key of the config's channel table to a
	// Discord channel id.
	Channels map[string]string
	Log      zerolog.Logger
	Clock    core.Clock // default core.SystemClock

	// AckWithin is how long an interaction waits for its answer before it
	// is deferred and finished with a follow-up (default 2 s). A command
	// that changes nothing is never deferred: its answer is the response,
	// bounded by bot.StoreWait and bot.AnswerWithin.
	AckWithin time.Duration
	// Workers bounds how many interactions run at once (default 16); Queue
	// bounds how many more may wait (default 1024). Beyond that the user is
	// told to try again.
	Workers, Queue int
	// RetryBackoff is the first wait after a failed command registration
	// or gateway connection; it doubles up to 5 minutes (default 1 s).
	RetryBackoff time.Duration
	// Lease, when set, makes gateway mode hold the gateway session only
	// while this replica holds the gateway lease (pass the core store), so
	// that of several replicas exactly one is connected; LeaseTTL is how
	// long the lease lasts unrenewed (default 15 s), the longest a dead
	// holder delays the takeover. Without Lease every replica connects.
	Lease    Leaser
	LeaseTTL time.Duration
	// HTTPClient is the base client for REST calls (default: a client with
	// a 20 s timeout). Its transport is wrapped to honour APIURL.
	HTTPClient *http.Client
}

// EnvConfig reads the adapter's settings from the environment:
// ELEVATE_DISCORD_BOT_TOKEN, ELEVATE_DISCORD_APP_ID,
// ELEVATE_DISCORD_PUBLIC_KEY, ELEVATE_DISCORD_MODE, ELEVATE_DISCORD_API_URL
// and ELEVATE_DISCORD_GUILDS (comma-separated guild ids). Pass os.Getenv.
func EnvConfig(getenv func(string) string) Config {
	c := Config{
		BotToken:  getenv("ELEVATE_DISCORD_BOT_TOKEN"),
		AppID:     getenv("ELEVATE_DISCORD_APP_ID"),
		PublicKey: getenv("ELEVATE_DISCORD_PUBLIC_KEY"),
		Mode:      getenv("ELEVATE_DISCORD_MODE"),
		APIURL:    getenv("ELEVATE_DISCORD_API_URL"),
	}
	for _, g := range strings.Split(getenv("ELEVATE_DISCORD_GUILDS"), ",") {
		if g = strings.TrimSpace(g); g != "" {
			c.Guilds = append(c.Guilds, g)
		}
	}
	return c
}

// Deduper remembers keys for a while; core.Store satisfies it. The adapter
// uses it so that an interaction delivered twice has one effect, on any replica.
type Deduper interface {
	Once(ctx context.Context, key string, ttl time.Duration) (bool, error)
}

// Adapter connects a bot to Discord.
type Adapter struct {
	bot     *bot.Bot
	svc     *core.Service
	dedupe  Deduper
	cfg     Config
	log     zerolog.Logger
	clock   core.Clock
	key     ed25519.PublicKey // nil: the HTTP endpoint is off
	session *discordgo.Session
	gateway atomic.Bool // the gateway session is connected
	holding atomic.Bool // this replica holds the gateway lease
	pool    *pool
	waiting sync.Map // inbox item ref → *job whose first response this replica sends
	groups  memberCache

	dmMu sync.Mutex
	dms  map[string]string // Discord user id → DM channel id

	mu      sync.Mutex
	started bool
	closed  bool
	stop    context.CancelFunc // ends registration and gateway retries
	wg      sync.WaitGroup     // handlers, finishers and background loops
}

var (
	_ notifications.Poster  = (*Adapter)(nil)
	_ notifications.Updater = (*Adapter)(nil)
	_ core.GroupResolver    = (*Adapter)(nil)
)

// New returns an Adapter for b. dedupe remembers interaction ids (pass the
// core store). Start begins receiving; Handler serves the HTTP endpoint.
func New(b *bot.Bot, dedupe Deduper, cfg Config) (*Adapter, error) {
	if b == nil || dedupe == nil {
		return nil, errors.New("discord: a bot and a deduper are required")
	}
	if cfg.BotToken == "" || cfg.AppID == "" {
		return nil, errors.New("discord: ELEVATE_DISCORD_BOT_TOKEN and ELEVATE_DISCORD_APP_ID are required")
	}
	switch cfg.Mode {
	case "":
		cfg.Mode = ModeGateway
	case ModeGateway, ModeHTTP:
	default:
		return nil, fmt.Errorf("discord: mode %q: use %q or %q", cfg.Mode, ModeGateway, ModeHTTP)
	}
	a := &Adapter{bot: b, svc: b.Service(), dedupe: dedupe, cfg: cfg, log: cfg.Log,
		clock: cfg.Clock, dms: map[string]string{}}
	if a.clock == nil {
		a.clock = core.SystemClock{}
	}
	if cfg.PublicKey != "" {
		raw, err := hex.DecodeString(strings.TrimSpace(cfg.PublicKey))
		if err != nil || len(raw) != ed25519.PublicKeySize {
			return nil, errors.New("discord: ELEVATE_DISCORD_PUBLIC_KEY must be the application's 64-hex-digit Ed25519 public key")
		}
		a.key = ed25519.PublicKey(raw)
	} else if cfg.Mode == ModeHTTP {
		return nil, errors.New("discord: http mode needs ELEVATE_DISCORD_PUBLIC_KEY to verify interactions")
	}
	if a.cfg.AckWithin <= 0 {
		a.cfg.AckWithin = defaultAckWithin
	}
	if a.cfg.Workers <= 0 {
		a.cfg.Workers = defaultWorkers
	}
	if a.cfg.Queue <= 0 {
		a.cfg.Queue = defaultQueue
	}
	if a.cfg.RetryBackoff <= 0 {
		a.cfg.RetryBackoff = defaultRetryBackoff
	}
	if a.cfg.LeaseTTL <= 0 {
		a.cfg.LeaseTTL = defaultLeaseTTL
	}
	s, err := a.newSession()
	if err != nil {
		return nil, err
	}
	a.session = s
	a.pool = newPool(a.cfg.Workers, a.cfg.Queue, a.log)
	a.svc.HandleInbox(core.PlatformDiscord, answerLifetime, a.runInbox)
	a.groups = memberCache{guilds: map[string]guildMembers{}}
	return a, nil
}

// newSession returns a discordgo session whose REST calls go to APIURL.
func (a *Adapter) newSession() (*discordgo.Session, error) {
	token := a.cfg.BotToken
	if !strings.HasPrefix(token, "Bot ") {
		token = "Bot " + token
	}
	s, err := discordgo.New(token)
	if err != nil {
		return nil, fmt.Errorf("discord: %w", err)
	}
	s.LogLevel = sessionLogLevel(a.log.GetLevel())
	client := &http.Client{Timeout: restTimeout}
	if a.cfg.HTTPClient != nil {
		c := *a.cfg.HTTPClient
		client = &c
	}
	if a.cfg.APIURL != "" {
		base, err := url.Parse(a.cfg.APIURL)
		if err != nil || base.Host == "" || (base.Scheme != "http" && base.Scheme != "https") {
			return nil, fmt.Errorf("discord: ELEVATE_DISCORD_API_URL %q is not an http(s) URL", a.cfg.APIURL)
		}
		discord, _ := url.Parse(discordgo.EndpointDiscord)
		next := client.Transport
		if next == nil {
			next = http.DefaultTransport
		}
		client.Transport = &rewrite{from: discord.Host, to: base, next: next}
	}
	s.Client = client
	s.StateEnabled = false // the adapter keeps no guild state
	s.Identify.Intents = discordgo.IntentsGuilds
	s.ShouldReconnectOnError = true
	s.ShouldRetryOnRateLimit = true
	return s, nil
}

// rewrite sends requests for Discord's host to another base URL. It leaves
// discordgo's package-level endpoint variables alone, so several adapters
// (and tests) can point at different servers in one process.
type rewrite struct {
	from string
	to   *url.URL
	next http.RoundTripper
}

// RoundTrip implements http.RoundTripper.
func (t *rewrite) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Host != t.from {
		return t.next.RoundTrip(r)
	}
	r = r.Clone(r.Context())
	u := *r.URL
	u.Scheme, u.Host = t.to.Scheme, t.to.Host
	u.Path = strings.TrimSuffix(t.to.Path, "/") + u.Path
	u.RawPath = ""
	r.URL, r.Host = &u, ""
	return t.next.RoundTrip(r)
}

// Start registers /elevate in the configured guilds (or globally) and, in
// gateway mode, connects to the gateway. Both run in the background and
// retry with backoff until they succeed or ctx ends: a failed registration
// is logged, it does not stop the bot.
func (a *Adapter) Start(ctx context.Context) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	switch {
	case a.closed:
		return errors.New("discord: adapter is closed")
	case a.started:
		return errors.New("discord: adapter already started")
	}
	a.started = true
	ctx, a.stop = context.WithCancel(ctx)
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		a.register(ctx)
	}()
	if a.cfg.Mode == ModeGateway {
		a.session.AddHandler(func(_ *discordgo.Session, ic *discordgo.InteractionCreate) {
			a.fromGateway(ic.Interaction)
		})
		a.session.AddHandler(func(*discordgo.Session, *discordgo.Connect) { a.gateway.Store(true) })
		a.session.AddHandler(func(*discordgo.Session, *discordgo.Disconnect) { a.gateway.Store(false) })
		a.wg.Add(1)
		go func() {
			defer a.wg.Done()
			if a.cfg.Lease != nil {
				a.holdGateway(ctx)
			} else {
				a.connect(ctx)
			}
		}()
	}
	return nil
}

// Close stops taking interactions and disconnects from the gateway. Work
// already accepted still finishes: call Wait for it.
func (a *Adapter) Close() error {
	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		return nil
	}
	a.closed = true
	stop := a.stop
	a.mu.Unlock()
	if stop != nil {
		stop()
	}
	if a.cfg.Mode == ModeGateway {
		if err := a.session.Close(); err != nil {
			return fmt.Errorf("discord: close gateway: %w", err)
		}
	}
	return nil
}

// Wait blocks until every accepted interaction is answered and the
// background loops have stopped. Call it after Close.
func (a *Adapter) Wait() {
	a.wg.Wait()
	a.pool.close()
	a.pool.wait()
}

// enter counts an interaction in, unless the adapter is closed.
func (a *Adapter) enter() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return false
	}
	a.wg.Add(1)
	return true
}

// leave counts an interaction out.
func (a *Adapter) leave() { a.wg.Done() }

// backoff waits d or until ctx ends, and returns the next wait.
func backoff(ctx context.Context, d time.Duration) (time.Duration, bool) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return d, false
	case <-t.C:
	}
	return min(2*d, maxRetryBackoff), true
}

// Permissions is the bot permissions integer elevate needs in a guild:
// View Channel, Send Messages, Embed Links and Attach Files for posts,
// Use Application Commands for /elevate, and Manage Roles for role targets.
const Permissions int64 = discordgo.PermissionViewChannel | discordgo.PermissionSendMessages |
	discordgo.PermissionEmbedLinks | discordgo.PermissionAttachFiles |
	discordgo.PermissionUseApplicationCommands | discordgo.PermissionManageRoles

// InviteURL is the OAuth2 URL that adds the bot of application appID to a
// guild with the bot and applications.commands scopes and Permissions.
func InviteURL(appID string) string {
	v := url.Values{}
	v.Set("client_id", appID)
	v.Set("scope", "bot applications.commands")
	v.Set("permissions", fmt.Sprint(Permissions))
	return "https://discord.com/oauth2/authorize?" + v.Encode()
}

// dir is the directory in force: a config reload swaps it.
func (a *Adapter) dir() *core.Directory { return a.svc.Directory() }
