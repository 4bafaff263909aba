package slack

import (
	"context"
	"fmt"
	"strings"

	"github.com/elevate-pim/elevate/bot"
	"github.com/elevate-pim/elevate/notifications"
)

// Post sends m to a channel (by its key in Config.Channels) or to a
// principal's DM (conversations.open with their Slack id), with m's file
// uploaded after it. It implements notifications.Poster and returns
// notifications.ErrNoRoute when d has no Slack address. Ref.ID is "channel/ts".
func (a *Adapter) Post(ctx context.Context, d notifications.Destination, m bot.Message) (notifications.Ref, error) {
	ch, err := a.destination(ctx, d)
	if err != nil {
		return notifications.Ref{}, err
	}
	ts, err := a.postMessage(ctx, ch, m)
	if err != nil {
		return notifications.Ref{}, fmt.Errorf("post to %s: %w", d, err)
	}
	if m.File != nil {
		// The message is posted; a failed upload is logged rather than
		// returned, so that a retry does not post the message twice.
		if err := a.upload(ctx, ch, bot.Message{File: m.File}); err != nil {
			a.log.Error().Err(err).Str("destination", d.String()).Str("request_id", m.RequestID).Msg("file upload failed")
		}
	}
	return notifications.Ref{Destination: d, Platform: Platform, ID: ch + "/" + ts}, nil
}

// Update replaces a posted message with m (chat.update): an approval
// request becomes its outcome, without buttons when m has none. It
// implements notifications.Updater; refs of other platforms get ErrNoRoute.
func (a *Adapter) Update(ctx context.Context, ref notifications.Ref, m bot.Message) error {
	if ref.Platform != Platform {
		return notifications.ErrNoRoute
	}
	ch, ts, ok := strings.Cut(ref.ID, "/")
	if !ok || ch == "" || ts == "" {
		return fmt.Errorf("slack: bad message ref %q", ref.ID)
	}
	return a.call(ctx, "chat.update", func(ctx context.Context) error {
		_, _, _, err := a.api.UpdateMessageContext(ctx, ch, ts, msgOptions(m)...)
		return err
	})
}

// destination resolves where a post goes on Slack.
func (a *Adapter) destination(ctx context.Context, d notifications.Destination) (string, error) {
	if d.Principal != "" {
		user, err := a.slackUserOf(ctx, d.Principal)
		if err != nil {
			return "", err
		}
		if user == "" {
			return "", notifications.ErrNoRoute
		}
		return a.dmChannel(ctx, user)
	}
	if ch := a.cfg.Channels[d.Channel]; ch != "" {
		return ch, nil
	}
	return "", notifications.ErrNoRoute
}

// Platform names Slack among the notifier's posters.
func (a *Adapter) Platform() string { return Platform }
