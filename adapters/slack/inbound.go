package slack

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	slackapi "github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"github.com/elevate-pim/elevate/bot"
	"github.com/elevate-pim/elevate/core"
)

// errClosed refuses deliveries after Close.
var errClosed = errors.New("adapter is closed")

// errMalformed marks a verified payload that lacks what elevate needs (a
// user, a trigger id): answered with 400, and nothing happens.
var errMalformed = errors.New("malformed payload")

// Both transports, HTTP and Socket Mode, hand what they receive to the
// accept functions below: each validates the payload and, for commands and
// clicks, writes it to the store's inbox (one round trip) and returns, so
// that the transport acknowledges within milliseconds and only what is
// durably queued (a command that changes nothing is answered in its
// acknowledgement instead: answer.go). The work (identity, core, Slack calls) runs in the pool,
// or on another replica if this one dies.

// acceptCommand answers a slash command that changes nothing at once
// (answer: the acknowledgement's JSON body, not to be changed), or puts it
// in the inbox and runs it in the pool (answer nil: acknowledge with an
// empty 200). An error means nothing was queued: the store could not take
// it (the caller tells the user so) or the adapter is closed.
func (a *Adapter) acceptCommand(sc slackapi.SlashCommand) (answer []byte, err error) {
	if sc.UserID == "" || sc.TriggerID == "" {
		return nil, errMalformed
	}
	if !a.enter() {
		return nil, errClosed
	}
	defer a.leave()
	// Slack sends command text with &, < and > HTML-escaped.
	text := unescape(sc.Text)
	if body, ok := a.answerNow(sc.UserID, text); ok {
		return body, nil
	}
	return nil, a.accept(delivery{Kind: "command", User: sc.UserID, Text: text,
		ResponseURL: sc.ResponseURL, TriggerID: sc.TriggerID, Key: "command:" + sc.TriggerID})
}

// acceptInteraction puts a button click in the inbox, or works on a modal submission
// for at most SubmitWait and returns the response_action Slack should
// apply to the modal (nil: close it).
func (a *Adapter) acceptInteraction(ic slackapi.InteractionCallback) (any, error) {
	if !a.enter() {
		return nil, errClosed
	}
	defer a.leave()
	switch ic.Type {
	case slackapi.InteractionTypeBlockActions:
		if ic.User.ID == "" {
			return nil, errMalformed
		}
		// Slack sends one action per click: only the first elevate action
		// of a delivery runs, so that one request cannot queue thousands.
		for i, act := range ic.ActionCallback.BlockActions {
			if act == nil || !strings.HasPrefix(act.ActionID, actionPrefix) {
				continue
			}
			if act.ActionTs == "" && ic.TriggerID == "" {
				return nil, errMalformed
			}
			if rest := len(ic.ActionCallback.BlockActions) - i - 1; rest > 0 {
				a.log.Debug().Str("slack_user", ic.User.ID).Int("refused", rest).Msg("slack block_actions: only the first action of a delivery runs")
			}
			stamp := act.ActionTs
			if stamp == "" {
				stamp = ic.TriggerID
			}
			d := delivery{Kind: "action", User: ic.User.ID, Text: act.Value, Form: strings.HasPrefix(act.ActionID, formActionPrefix),
				ResponseURL: ic.ResponseURL, TriggerID: ic.TriggerID, Home: ic.View.Type == slackapi.VTHomeTab,
				Key: "action:" + ic.User.ID + ":" + stamp + ":" + act.BlockID + ":" + act.ActionID}
			if d.Home {
				d.ResponseURL = ""
			}
			if c := ic.Container; c.Type == "message" && c.ChannelID != "" && c.MessageTs != "" {
				if c.IsEphemeral {
					d.Ephemeral = true
				} else {
					d.Message = c.ChannelID + "/" + c.MessageTs
				}
			}
			if err := a.accept(d); err != nil {
				a.refuseClick(d, err)
			}
			return nil, nil
		}
		return nil, nil
	case slackapi.InteractionTypeViewSubmission:
		if ic.User.ID == "" || ic.View.ID == "" {
			return nil, errMalformed
		}
		sub, err := submissionOf(ic.View)
		if err != nil {
			return nil, nil // not an elevate form: nothing to do
		}
		return a.awaitSubmission(ic, sub), nil
	}
	return nil, nil
}

// acceptEvent queues an Events API event; only app_home_opened is used.
func (a *Adapter) acceptEvent(ev slackevents.EventsAPIEvent) error {
	if !a.enter() {
		return errClosed
	}
	defer a.leave()
	cb, ok := ev.Data.(*slackevents.EventsAPICallbackEvent)
	if !ok || cb.EventID == "" {
		return nil
	}
	home, ok := ev.InnerEvent.Data.(*slackevents.AppHomeOpenedEvent)
	if !ok || home.User == "" || (home.Tab != "" && home.Tab != "home") {
		return nil
	}
	a.pool.goJob("event", func() {
		ctx, cancel := a.jobContext()
		defer cancel()
		if a.once(ctx, a.newOrigin("event", home.User), "event:"+cb.EventID) {
			a.publishHome(ctx, home.User, nil)
		}
	})
	return nil
}

// jobContext bounds one background job. It is detached from the request
// that caused it: the work outlives the acknowledgement.
func (a *Adapter) jobContext() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), a.cfg.JobTimeout)
}

// chatContext bounds a user's interaction: the job's context, in which
// each store call waits at most bot.StoreWait, so that the user hears within
// the interaction's deadline (2.5 s) that the store cannot be reached.
func (a *Adapter) chatContext() (context.Context, context.CancelFunc) {
	ctx, cancel := a.jobContext()
	return core.WithStoreWait(ctx, bot.StoreWait), cancel
}

// runCommand runs a slash command as the user and replies.
func (a *Adapter) runCommand(ctx context.Context, o origin, d delivery) {
	c, err := a.caller(ctx, d.User)
	if err != nil {
		a.deliver(ctx, o, bot.Message{}, err)
		return
	}
	o.principal, c.Delivery = c.Principal, o.delivery
	m, err := a.bot.Handle(ctx, c, d.Text)
	a.deliver(ctx, o, m, err)
}

// runAction runs a clicked button: its value is the command it stands for
// (core authorizes it like a typed one), or a form to open.
func (a *Adapter) runAction(ctx context.Context, o origin, d delivery) {
	c, err := a.caller(ctx, d.User)
	if err != nil {
		a.deliver(ctx, o, bot.Message{}, err)
		return
	}
	o.principal, c.Delivery = c.Principal, o.delivery
	if d.Form {
		o.command = ""
		var f bot.Form
		if err := json.Unmarshal([]byte(d.Text), &f); err != nil || f.ID == "" {
			a.deliver(ctx, o, bot.Message{}, core.Errorf(core.EINVALID, "This button no longer works; run the command again."))
			return
		}
		a.deliver(ctx, o, bot.Message{Form: &f, Ephemeral: true}, nil)
		return
	}
	m, err := a.bot.Handle(ctx, c, d.Text)
	a.deliver(ctx, o, m, err)
}

// handoff passes a submission's modal response from the job to the
// request that waits for it, unless the request has stopped waiting.
type handoff struct {
	mu     sync.Mutex
	gaveUp bool
	ch     chan any
}

// hand gives r to the waiting request and reports whether it took it.
func (h *handoff) hand(r any) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.gaveUp {
		return false
	}
	h.ch <- r
	return true
}

// awaitSubmission puts a modal submission in the inbox and waits up to
// SubmitWait for the response to give the modal. When the inbox cannot
// take it (the store is unreachable), the modal stays open and says so:
// nothing was changed.
func (a *Adapter) awaitSubmission(ic slackapi.InteractionCallback, sub bot.Submission) any {
	h := &handoff{ch: make(chan any, 1)}
	view := ic.View
	d := delivery{Kind: "submission", User: ic.User.ID, View: &view, Key: submissionKey(ic.View, sub)}
	if _, err := a.acceptHanding(d, h); err != nil {
		a.log.Warn().Err(err).Str("slack_user", ic.User.ID).Msg("slack submission not accepted")
		if names := inputNames(ic.View); len(names) > 0 {
			return slackapi.NewErrorsViewSubmissionResponse(map[string]string{inputBlockPrefix + names[0]: truncate(errorText(err), maxSectionText)})
		}
		return nil
	}
	t := time.NewTimer(a.cfg.SubmitWait)
	defer t.Stop()
	select {
	case r := <-h.ch:
		return r
	case <-t.C:
	}
	h.mu.Lock()
	h.gaveUp = true
	h.mu.Unlock()
	select {
	case r := <-h.ch:
		return r
	default:
		return nil
	}
}

// submissionKey de-duplicates deliveries of a modal submission. A retry
// of one delivery repeats the view and its values; a user who corrects a
// refused value and submits again sends the same view id and hash (the
// hash changes only when elevate updates the view) with other values, so
// the values are part of the key.
func submissionKey(v slackapi.View, sub bot.Submission) string {
	names := make([]string, 0, len(sub.Values))
	for n := range sub.Values {
		names = append(names, n)
	}
	sort.Strings(names)
	h := sha256.New()
	for _, n := range names {
		fmt.Fprintf(h, "%d:%s=%d:%s;", len(n), n, len(sub.Values[n]), sub.Values[n])
	}
	return "view:" + v.ID + ":" + v.Hash + ":" + hex.EncodeToString(h.Sum(nil)[:16])
}

// runSubmission submits an inbox item's modal to the bot. Errors show on
// the modal (response_action "errors"), a follow-up form replaces it
// ("update"), and any other outcome closes it and follows by DM; when the
// waiting request has given up (or the item was taken over after a crash),
// everything follows by DM.
func (a *Adapter) runSubmission(ctx context.Context, o origin, d delivery, h *handoff) {
	if d.View == nil {
		o.log.Error().Msg("slack submission without its view dropped")
		return
	}
	ic := slackapi.InteractionCallback{View: *d.View}
	ic.User.ID = d.User
	sub, err := submissionOf(ic.View)
	if err != nil {
		h.hand(nil)
		return
	}
	o.requestID, o.role = sub.Hidden["request"], firstNonEmpty(sub.Values["role"], sub.Hidden["role"])
	o.message = sourceOf(ic.View)
	var m bot.Message
	c, err := a.caller(ctx, ic.User.ID)
	if err == nil {
		c.Delivery = o.delivery
		o.principal = c.Principal
		m, err = a.bot.Submit(ctx, c, sub)
	}
	switch {
	case err != nil && replyFor(err).onModal:
		if block := inputFor(inputNames(ic.View), err); block != "" {
			if h.hand(slackapi.NewErrorsViewSubmissionResponse(map[string]string{inputBlockPrefix + block: truncate(errorText(err), maxSectionText)})) {
				a.logFailure(o, err)
				return
			}
		}
	case err != nil:
		h.hand(nil)
	case m.Form != nil:
		if view, verr := modalFrom(m.Form, o.message); verr == nil && h.hand(slackapi.NewUpdateViewSubmissionResponse(&view)) {
			m.Form = nil
			if !visible(m) && m.File == nil {
				return
			}
		}
	default:
		h.hand(nil)
	}
	a.deliver(ctx, o, m, err)
}
