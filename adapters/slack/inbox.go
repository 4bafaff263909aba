package slack

import (
	"context"
	"encoding/json"
	"time"

	slackapi "github.com/slack-go/slack"

	"github.com/elevate-pim/elevate/bot"
	"github.com/elevate-pim/elevate/core"
)

// answerLifetime is how long Slack accepts answers on a response_url: an
// inbox item older than this is dropped (with an alert) instead of run.
const answerLifetime = 30 * time.Minute

// delivery is a slash command or button click as the inbox keeps it: what
// any replica needs to run it and answer its user.
type delivery struct {
	Kind        string `json:"kind"`           // "command" or "action"
	User        string `json:"user"`           // Slack user id
	Text        string `json:"text"`           // the command text, or the button's value
	Form        bool   `json:"form,omitempty"` // the button opens the form in Text
	ResponseURL string `json:"response_url,omitempty"`
	TriggerID   string `json:"trigger_id,omitempty"`
	Home        bool   `json:"home,omitempty"`      // clicked in App Home: the answer shows there
	Message     string `json:"message,omitempty"`   // "channel/ts" of the posted message whose button was clicked
	Ephemeral   bool   `json:"ephemeral,omitempty"` // the clicked message was an ephemeral reply
	Key         string `json:"key"`                 // de-duplicates repeated deliveries of it
	// View is a submitted modal (kind "submission"), with its state.
	View *slackapi.View `json:"view,omitempty"`
}

// accept puts d in the store's inbox, then runs it in the pool: the
// transport acknowledges d only after accept returns nil, so that an
// acknowledged delivery is answered even if this replica dies. The write
// waits at most bot.StoreWait.
func (a *Adapter) accept(d delivery) error {
	_, err := a.acceptHanding(d, nil)
	return err
}

// acceptHanding is accept for a delivery whose first answer h waits for
// (a modal submission): the replica that runs the item on the spot hands
// it there; one that takes it over after a crash finds no one waiting
// and answers by DM.
func (a *Adapter) acceptHanding(d delivery, h *handoff) (core.Job, error) {
	payload, err := json.Marshal(d)
	if err != nil {
		return core.Job{}, err
	}
	ctx, cancel := context.WithTimeout(core.WithStoreWait(context.Background(), bot.StoreWait), bot.StoreWait)
	defer cancel()
	j, err := a.svc.Accept(ctx, Platform, payload)
	if err != nil {
		return core.Job{}, err
	}
	if h != nil {
		a.waiting.Store(j.Ref, h)
	}
	a.pool.goJob(d.Kind, func() {
		a.runAccepted(j, d)
		if h, ok := a.waiting.LoadAndDelete(j.Ref); ok {
			h.(*handoff).hand(nil) // not run here (a repeat, or its lease hands it on): close the modal
		}
	})
	return j, nil
}

// refuseClick tells the user of a click the inbox could not take (the store
// is unreachable) that nothing happened. The click is acknowledged all
// the same: it carries no answer, and Slack would show a bare failure.
func (a *Adapter) refuseClick(d delivery, err error) {
	a.log.Warn().Err(err).Str("slack_user", d.User).Msg("slack click not accepted")
	a.pool.goJob("refusal", func() {
		ctx, cancel := a.jobContext()
		defer cancel()
		o := a.newOrigin(d.Kind, d.User)
		o.responseURL, o.home = d.ResponseURL, d.Home
		a.deliver(ctx, o, bot.Message{}, err)
	})
}

// runAccepted runs an item this replica has just accepted, unless it is a
// repeated delivery (Slack retried, or someone replayed a signed request).
// Only the accepting replica asks: one that takes the item over after a
// crash must run it even though it was seen.
func (a *Adapter) runAccepted(j core.Job, d delivery) {
	ctx, cancel := a.chatContext()
	defer cancel()
	fresh, err := a.dedupe.Once(ctx, "slack:"+d.Key, DedupeTTL)
	if err == nil && !fresh {
		a.log.Debug().Str("kind", d.Kind).Str("slack_user", d.User).Msg("duplicate delivery ignored")
		if err := a.svc.Discard(ctx, j); err != nil {
			a.log.Warn().Err(err).Str("job", j.ID()).Msg("could not discard a duplicate delivery; it runs after its lease")
		}
		return
	}
	if err := a.svc.RunHeld(ctx, j); err != nil {
		a.log.Warn().Err(err).Str("job", j.ID()).Msg("slack delivery not completed; its lease hands it on")
	}
}

// runInbox runs an inbox item and answers its user: on the replica that
// accepted it, or on any replica after that one died.
func (a *Adapter) runInbox(ctx context.Context, h *core.Held) error {
	var d delivery
	if err := json.Unmarshal(h.Job().Payload, &d); err != nil {
		a.log.Error().Err(err).Str("job", h.Job().ID()).Msg("unreadable slack inbox item dropped")
		return nil
	}
	if _, ok := core.StoreWait(ctx); !ok {
		// Taken over by the scheduler: bound it as a chat interaction.
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(core.WithStoreWait(ctx, bot.StoreWait), a.cfg.JobTimeout)
		defer cancel()
	}
	o := a.newOrigin(d.Kind, d.User)
	o.delivery = string(Platform) + ":" + h.Job().Ref
	o.responseURL, o.triggerID, o.home, o.command = d.ResponseURL, d.TriggerID, d.Home, d.Text
	o.message, o.ephemeral = d.Message, d.Ephemeral
	o.log.Debug().Str("inbox", h.Job().Ref).Msg("slack delivery")
	switch d.Kind {
	case "command":
		a.runCommand(ctx, o, d)
	case "action":
		a.runAction(ctx, o, d)
	case "submission":
		wait := &handoff{gaveUp: true} // taken over: nobody waits, the answer goes by DM
		if w, ok := a.waiting.LoadAndDelete(h.Job().Ref); ok {
			wait = w.(*handoff)
		}
		a.runSubmission(ctx, o, d, wait)
	default:
		o.log.Error().Msg("slack inbox item of unknown kind dropped")
	}
	return nil
}
