package slack_test

import (
	"context"
	"net/http"
	"os"

	"github.com/rs/zerolog"

	"github.com/elevate-pim/elevate/adapters/slack"
	"github.com/elevate-pim/elevate/bot"
	"github.com/elevate-pim/elevate/core"
	"github.com/elevate-pim/elevate/notifications"
)

// Example shows how cmd/elevate wires the adapter: settings from the
// environment (the config file's slack section may fill what is unset),
// Slack channel ids from the config's channel table, the store as
// de-duplicator; then the adapter posts notifications, resolves Slack user
// groups of approver groups, backs slack_usergroup targets, and serves
// HTTP or Socket Mode.
func Example() {
	var (
		ctx      = context.Background()
		b        *bot.Bot                              // bot.New(service, location)
		store    core.Store                            // the configured store
		channels map[string]string                     // config.Config.ChannelIDs(core.PlatformSlack)
		notifier *notifications.Notifier               // notifications.New(...)
		mux      = http.NewServeMux()                  // the server's mux, with GET /healthz
		add      = func(role string, t core.Target) {} // the Targets registry
	)
	if b == nil {
		return // the sketch stops here: the values above come from Main
	}
	cfg := slack.EnvConfig(os.Getenv)
	cfg.Channels = channels
	cfg.Log = zerolog.New(os.Stderr).With().Str("adapter", "slack").Logger()
	a, err := slack.New(b, store, cfg)
	if err != nil {
		panic(err)
	}
	notifier.AddPoster(a)
	b.Service().AddGroupResolver(a)
	add("ops", slack.NewUserGroupTarget(a, "S0OPS")) // for each slack_usergroup target
	mux.Handle(slack.PathPrefix, a.Handler())        // HTTP transport (harmless in Socket Mode)
	if err := a.Start(ctx); err != nil {             // Socket Mode when ELEVATE_SLACK_APP_TOKEN is set
		panic(err)
	}
	// At shutdown, after the HTTP server has stopped:
	a.Close()
	a.Wait()
}
