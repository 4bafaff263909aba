package slack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/rs/zerolog"
	slackapi "github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"
)

// RunSocketMode receives slash commands, interactions and events over
// Slack's Socket Mode (slack-go's socketmode client, which reconnects on
// its own) until ctx ends. Each envelope is acknowledged at once, except a
// modal submission, whose acknowledgement carries the modal's response
// within SubmitWait; the work follows the same path as over HTTP. It needs
// Config.AppToken (connections:write).
//
// Every replica may hold a connection: Slack spreads envelopes across them
// and redelivers one not acknowledged in time on another. Each copy is
// acknowledged, and the work runs once: the job first claims the
// delivery's own id (trigger id, action timestamp, view and values, event
// id: the same in every copy) in the shared store (Deduper.Once, a short
// TTL), and a copy that finds it claimed does nothing.
func (a *Adapter) RunSocketMode(ctx context.Context) error {
	if a.cfg.AppToken == "" {
		return errors.New("slack: Socket Mode needs an app-level token (ELEVATE_SLACK_APP_TOKEN)")
	}
	client := socketmode.New(a.api, socketmode.OptionLog(socketLog{a.log}))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- client.RunContext(ctx) }()
	for {
		select {
		case <-ctx.Done():
			select {
			case <-errc:
			case <-time.After(5 * time.Second):
			}
			return nil
		case err := <-errc:
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("slack socket mode: %w", err)
		case ev := <-client.Events:
			a.socketEvent(ctx, client, ev)
		}
	}
}

// socketEvent handles one event of the Socket Mode client.
func (a *Adapter) socketEvent(ctx context.Context, client *socketmode.Client, ev socketmode.Event) {
	switch ev.Type {
	case socketmode.EventTypeConnected:
		a.socket.Store(true)
		a.log.Info().Msg("slack socket mode connected")
	case socketmode.EventTypeConnecting, socketmode.EventTypeDisconnect:
		a.socket.Store(false)
	case socketmode.EventTypeConnectionError:
		a.socket.Store(false)
		a.log.Warn().Any("error", ev.Data).Msg("slack socket mode connection error; retrying")
	case socketmode.EventTypeInvalidAuth:
		a.log.Error().Msg("slack socket mode: invalid app token")
	case socketmode.EventTypeErrorBadMessage, socketmode.EventTypeIncomingError, socketmode.EventTypeErrorWriteFailed:
		a.log.Warn().Str("type", string(ev.Type)).Msg("slack socket mode message error")
	case socketmode.EventTypeSlashCommand:
		// Acknowledged once it is in the inbox, or with its answer when it
		// changes nothing; when the store cannot take it, the
		// acknowledgement carries that answer, as over HTTP.
		sc, ok := ev.Data.(slackapi.SlashCommand)
		if !ok {
			a.ack(ctx, client, ev.Request, nil)
			return
		}
		// Off the event loop: the inbox write waits up to bot.StoreWait.
		go func() {
			answer, err := a.acceptCommand(sc)
			switch {
			case err == nil && answer != nil:
				a.ack(ctx, client, ev.Request, json.RawMessage(answer))
			case err == nil:
				a.ack(ctx, client, ev.Request, nil)
			case errors.Is(err, errMalformed) || errors.Is(err, errClosed):
				a.ack(ctx, client, ev.Request, nil)
				a.log.Warn().Err(err).Msg("slack socket mode: slash command ignored")
			default:
				a.log.Warn().Err(err).Str("slack_user", sc.UserID).Msg("slash command not accepted")
				a.ack(ctx, client, ev.Request, map[string]string{"response_type": "ephemeral", "text": errorText(err)})
			}
		}()
	case socketmode.EventTypeInteractive:
		ic, ok := ev.Data.(slackapi.InteractionCallback)
		if !ok {
			a.ack(ctx, client, ev.Request, nil)
			return
		}
		if ic.Type == slackapi.InteractionTypeViewSubmission {
			// The acknowledgement carries the modal's response: wait for it
			// off the event loop.
			go func() {
				resp, err := a.acceptInteraction(ic)
				if err != nil {
					a.log.Warn().Err(err).Msg("slack socket mode: submission ignored")
				}
				a.ack(ctx, client, ev.Request, resp)
			}()
			return
		}
		a.ack(ctx, client, ev.Request, nil)
		if _, err := a.acceptInteraction(ic); err != nil {
			a.log.Warn().Err(err).Msg("slack socket mode: interaction ignored")
		}
	case socketmode.EventTypeEventsAPI:
		a.ack(ctx, client, ev.Request, nil)
		if e, ok := ev.Data.(slackevents.EventsAPIEvent); ok {
			_ = a.acceptEvent(e)
		}
	}
}

// ack acknowledges an envelope, with payload when it is not nil.
func (a *Adapter) ack(ctx context.Context, client *socketmode.Client, req *socketmode.Request, payload any) {
	if req == nil || req.EnvelopeID == "" {
		return
	}
	if err := client.AckCtx(ctx, req.EnvelopeID, payload); err != nil {
		a.log.Warn().Err(err).Str("envelope_id", req.EnvelopeID).Msg("slack socket mode: ack failed")
	}
}

// socketLog routes slack-go's socketmode log lines to zerolog at debug.
type socketLog struct{ log zerolog.Logger }

func (l socketLog) Output(_ int, s string) error {
	l.log.Debug().Str("component", "socketmode").Msg(strings.TrimSpace(s))
	return nil
}
