package discord

import (
	"context"
	"fmt"
	"strings"

	"github.com/bwmarrin/discordgo"

	"github.com/elevate-pim/elevate/bot"
	"github.com/elevate-pim/elevate/core"
	"github.com/elevate-pim/elevate/notifications"
)

// Post sends m to a principal's DM or a configured channel. It implements
// notifications.Poster; a destination with no Discord address is
// notifications.ErrNoRoute. Ephemerality does not apply to posts.
func (a *Adapter) Post(ctx context.Context, d notifications.Destination, m bot.Message) (notifications.Ref, error) {
	channel, err := a.destination(ctx, d)
	if err != nil {
		return notifications.Ref{}, err
	}
	m.Ephemeral = false
	msg, err := a.postTo(ctx, channel, m)
	if err != nil {
		return notifications.Ref{}, fmt.Errorf("discord: post to %s: %w", d, err)
	}
	return notifications.Ref{Destination: d, Platform: core.PlatformDiscord, ID: channel + "/" + msg.ID}, nil
}

// Update replaces a posted message with m, keeping only m's buttons (none,
// once a request is decided). It implements notifications.Updater; refs of
// other platforms are notifications.ErrNoRoute.
func (a *Adapter) Update(ctx context.Context, ref notifications.Ref, m bot.Message) error {
	channel, id, ok := strings.Cut(ref.ID, "/")
	if ref.Platform != core.PlatformDiscord || !ok || channel == "" || id == "" {
		return notifications.ErrNoRoute
	}
	m.Ephemeral, m.File = false, nil
	r := render(m)
	_, err := a.session.ChannelMessageEditComplex(&discordgo.MessageEdit{
		Channel: channel, ID: id,
		Content: &r.content, Embeds: &r.embeds, Components: &r.components, AllowedMentions: noMentions(),
	}, discordgo.WithContext(ctx))
	if err != nil {
		return fmt.Errorf("discord: update %s in %s: %w", id, ref.Destination, err)
	}
	return nil
}

// postTo posts m to a channel.
func (a *Adapter) postTo(ctx context.Context, channel string, m bot.Message) (*discordgo.Message, error) {
	r := render(m)
	if r.dropped > 0 {
		a.log.Warn().Int("buttons", r.dropped).Str("request_id", m.RequestID).Msg("discord: buttons left out of a message (limits)")
	}
	return a.session.ChannelMessageSendComplex(channel, &discordgo.MessageSend{
		Content: r.content, Embeds: r.embeds, Components: r.components, Files: r.files, AllowedMentions: noMentions(),
	}, discordgo.WithContext(ctx))
}

// dm sends m to a Discord user's direct messages.
func (a *Adapter) dm(ctx context.Context, userID string, m bot.Message) error {
	channel, err := a.dmChannel(ctx, userID)
	if err != nil {
		return err
	}
	m.Ephemeral = false
	_, err = a.postTo(ctx, channel, m)
	return err
}

// destination resolves d to a Discord channel id.
func (a *Adapter) destination(ctx context.Context, d notifications.Destination) (string, error) {
	if d.Principal != "" {
		p, ok := a.dir().Principals[d.Principal]
		if !ok || p.IDs[core.PlatformDiscord] == "" {
			return "", notifications.ErrNoRoute
		}
		return a.dmChannel(ctx, p.IDs[core.PlatformDiscord])
	}
	if id := a.cfg.Channels[d.Channel]; id != "" {
		return id, nil
	}
	return "", notifications.ErrNoRoute
}

// dmChannel returns the DM channel with a user, opening it once.
func (a *Adapter) dmChannel(ctx context.Context, userID string) (string, error) {
	a.dmMu.Lock()
	id, ok := a.dms[userID]
	a.dmMu.Unlock()
	if ok {
		return id, nil
	}
	ch, err := a.session.UserChannelCreate(userID, discordgo.WithContext(ctx))
	if err != nil {
		return "", fmt.Errorf("discord: open DM with %s: %w", userID, err)
	}
	a.dmMu.Lock()
	a.dms[userID] = ch.ID
	a.dmMu.Unlock()
	return ch.ID, nil
}

// Platform names Discord among the notifier's posters.
func (a *Adapter) Platform() string { return core.PlatformDiscord }
