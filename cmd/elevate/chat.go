package main

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"os"

	"github.com/elevate-pim/elevate/adapters/discord"
	"github.com/elevate-pim/elevate/adapters/slack"
	"github.com/elevate-pim/elevate/core"
	"github.com/elevate-pim/elevate/core/config"
)

// chat is a running chat adapter.
type chat interface {
	Close() error
	Wait()
	Ready() error // nil while it can take deliveries
}

// platformChat is a running chat adapter and its platform's name.
type platformChat struct {
	platform string
	chat
}

// openChat starts the chat adapters that have credentials (environment
// first, then the config file), mounts their HTTP endpoints on mux, and
// registers them as posters, group resolvers and targets. It returns what
// must be closed at shutdown.
func (m *Main) openChat(ctx context.Context, mux *http.ServeMux) ([]platformChat, error) {
	var open []platformChat
	d, err := m.openDiscord(ctx, mux)
	if err != nil {
		return nil, err
	}
	if d != nil {
		open = append(open, platformChat{core.PlatformDiscord, d})
	}
	sl, err := m.openSlack(ctx, mux)
	if err != nil {
		return nil, err
	}
	if sl != nil {
		open = append(open, platformChat{core.PlatformSlack, sl})
	}
	if len(open) == 0 {
		m.Log.Warn().Msg("no chat platform configured (ELEVATE_DISCORD_BOT_TOKEN / ELEVATE_SLACK_BOT_TOKEN): serving the scheduler and /healthz only")
	}
	return open, nil
}

// openDiscord starts the Discord adapter when a bot token is configured.
func (m *Main) openDiscord(ctx context.Context, mux *http.ServeMux) (chat, error) {
	cfg := discord.EnvConfig(os.Getenv)
	file := m.Config.Discord
	if cfg.BotToken == "" && file.BotToken.IsSet() {
		token, err := file.BotToken.Resolve()
		if err != nil {
			return nil, fmt.Errorf("discord.bot_token: %w", err)
		}
		cfg.BotToken = token
	}
	if cfg.BotToken == "" {
		return nil, nil
	}
	cfg.AppID = cmp.Or(cfg.AppID, file.AppID)
	cfg.PublicKey = cmp.Or(cfg.PublicKey, file.PublicKey)
	cfg.Mode = cmp.Or(cfg.Mode, file.Mode)
	cfg.APIURL = cmp.Or(cfg.APIURL, file.APIURL)
	if len(cfg.Guilds) == 0 {
		cfg.Guilds = file.Guilds
	}
	cfg.Channels = m.Config.ChannelIDs(core.PlatformDiscord)
	cfg.Log = m.Log.With().Str("adapter", "discord").Logger()
	cfg.Clock = m.Clock
	if cfg.Lease, _ = m.backing.(discord.Leaser); cfg.Lease != nil {
		var err error
		if cfg.LeaseTTL, err = envDuration("ELEVATE_DISCORD_LEASE_TTL"); err != nil {
			return nil, err
		}
	}
	a, err := discord.New(m.Bot, m.Store, cfg)
	if err != nil {
		return nil, fmt.Errorf("discord: %w", err)
	}
	m.Notifier.AddPoster(m.Metrics.Poster(core.PlatformDiscord, a))
	m.Service.AddGroupResolver(a)
	m.Service.Alerts().WatchAccounts(a)
	if err := m.Targets.addPlatform(config.TargetDiscordRole, func(t config.Target) core.Target {
		return discord.NewRoleTarget(a, t.Guild, t.Role)
	}); err != nil {
		return nil, err
	}
	if cfg.Mode == discord.ModeHTTP {
		mux.Handle(discord.InteractionsPath, m.Metrics.Chat(core.PlatformDiscord, a.Handler()))
	}
	if err := a.Start(ctx); err != nil {
		return nil, fmt.Errorf("discord: %w", err)
	}
	m.Log.Info().Str("mode", cmp.Or(cfg.Mode, discord.ModeGateway)).Msg("discord adapter started")
	return a, nil
}

// secret returns the environment's value when set, or else the config's secret.
func secret(fromEnv string, fromFile config.Secret, field string) (string, error) {
	if fromEnv != "" || !fromFile.IsSet() {
		return fromEnv, nil
	}
	v, err := fromFile.Resolve()
	if err != nil {
		return "", fmt.Errorf("%s: %w", field, err)
	}
	return v, nil
}

// openSlack starts the Slack adapter when a bot token is configured: the
// HTTP endpoints under /slack/, and Socket Mode when an app token is set.
func (m *Main) openSlack(ctx context.Context, mux *http.ServeMux) (chat, error) {
	cfg := slack.EnvConfig(os.Getenv)
	file := m.Config.Slack
	var err error
	if cfg.BotToken, err = secret(cfg.BotToken, file.BotToken, "slack.bot_token"); err != nil || cfg.BotToken == "" {
		return nil, err
	}
	if cfg.SigningSecret, err = secret(cfg.SigningSecret, file.SigningSecret, "slack.signing_secret"); err != nil {
		return nil, err
	}
	if cfg.AppToken, err = secret(cfg.AppToken, file.AppToken, "slack.app_token"); err != nil {
		return nil, err
	}
	cfg.APIURL = cmp.Or(cfg.APIURL, file.APIURL)
	cfg.Channels = m.Config.ChannelIDs(core.PlatformSlack)
	cfg.Log = m.Log.With().Str("adapter", "slack").Logger()
	cfg.Clock = m.Clock
	a, err := slack.New(m.Bot, m.Store, cfg)
	if err != nil {
		return nil, fmt.Errorf("slack: %w", err)
	}
	m.Notifier.AddPoster(m.Metrics.Poster(core.PlatformSlack, a))
	m.Service.Alerts().WatchAccounts(a)
	m.Service.AddGroupResolver(a)
	if err := m.Targets.addPlatform(config.TargetSlackUsergroup, func(t config.Target) core.Target {
		return slack.NewUserGroupTarget(a, t.Usergroup)
	}); err != nil {
		return nil, err
	}
	mux.Handle(slack.PathPrefix, m.Metrics.Chat(core.PlatformSlack, a.Handler()))
	if err := a.Start(ctx); err != nil {
		return nil, fmt.Errorf("slack: %w", err)
	}
	return a, nil
}
