package discord

import (
	"context"

	"github.com/bwmarrin/discordgo"
)

// register bulk-overwrites /elevate in every configured guild (globally
// when none is), retrying each with backoff until it succeeds or ctx ends.
func (a *Adapter) register(ctx context.Context) {
	guilds := a.cfg.Guilds
	if len(guilds) == 0 {
		guilds = []string{""}
	}
	for _, g := range guilds {
		wait := a.cfg.RetryBackoff
		for attempt := 1; ; attempt++ {
			_, err := a.session.ApplicationCommandBulkOverwrite(a.cfg.AppID, g, Commands(), discordgo.WithContext(ctx))
			if err == nil {
				a.log.Info().Str("guild", g).Msg("discord: /elevate registered")
				break
			}
			if ctx.Err() != nil {
				return
			}
			a.log.Error().Err(err).Str("guild", g).Int("attempt", attempt).Dur("retry_in", wait).
				Msg("discord: registering /elevate failed; retrying")
			var ok bool
			if wait, ok = backoff(ctx, wait); !ok {
				return
			}
		}
	}
}

// connect opens the gateway session, retrying with backoff until it
// succeeds or ctx ends; once open, discordgo reconnects by itself.
func (a *Adapter) connect(ctx context.Context) {
	wait := a.cfg.RetryBackoff
	for attempt := 1; ; attempt++ {
		err := a.session.Open()
		if err == nil {
			a.log.Info().Msg("discord: gateway connected")
			if ctx.Err() != nil {
				// Close ran while Open was dialing: do not stay connected.
				_ = a.session.Close()
			}
			return
		}
		if ctx.Err() != nil {
			return
		}
		a.log.Error().Err(err).Int("attempt", attempt).Dur("retry_in", wait).Msg("discord: gateway connection failed; retrying")
		var ok bool
		if wait, ok = backoff(ctx, wait); !ok {
			return
		}
	}
}

// fromGateway answers an INTERACTION_CREATE through the callback endpoint.
func (a *Adapter) fromGateway(i *discordgo.Interaction) {
	if i == nil || !wellFormed(i) {
		a.log.Warn().Msg("discord: ignored a malformed interaction from the gateway")
		return
	}
	if !a.enter() {
		return
	}
	defer a.leave()
	a.handle(i, func(body any) error {
		ctx, cancel := context.WithTimeout(context.Background(), restTimeout)
		defer cancel()
		if resp, ok := body.(*discordgo.InteractionResponse); ok {
			return a.session.InteractionRespond(i, resp, discordgo.WithContext(ctx))
		}
		ep := discordgo.EndpointInteractionResponse(i.ID, i.Token)
		_, err := a.session.RequestWithBucketID("POST", ep, body, ep, discordgo.WithContext(ctx))
		return err
	}, false)
}
