package discord

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/elevate-pim/elevate/bot"
	"github.com/elevate-pim/elevate/core"
)

const (
	// dedupeTTL is how long an interaction id is remembered. Discord's
	// tokens live 15 minutes; a redelivery comes well within the hour.
	dedupeTTL = time.Hour
	// workTimeout bounds the work of one interaction, well inside the
	// 15 minutes its token can still carry the answer.
	workTimeout = time.Minute
)

// responder sends the first response to an interaction: the body of the
// HTTP reply in http mode, a POST to the callback endpoint over the gateway.
type responder func(body any) error

// task is the work an interaction asks for.
type task struct {
	verb bot.Verb // the slash command's verb; "" for clicks and modals
	run  func(ctx context.Context) (bot.Message, error)
}

// job is an accepted interaction's task on the pool and its outcome; msg,
// err and skipped are written before done closes, deferred before sent
// closes.
type job struct {
	i       *discordgo.Interaction
	caller  core.Caller
	task    task
	done    chan struct{}
	msg     bot.Message
	err     error
	skipped bool          // the inbox item was left to its lease: another run answers
	sent    chan struct{} // the first response has gone out
	// deferred says the first response was a deferral: the job's runner
	// follows up before it completes the inbox item.
	deferred bool
}

// userOf returns the Discord id of who caused i: a member in a guild, a
// user in a DM.
func userOf(i *discordgo.Interaction) string {
	switch {
	case i.Member != nil && i.Member.User != nil:
		return i.Member.User.ID
	case i.User != nil:
		return i.User.ID
	}
	return ""
}

// wellFormed reports whether i is an interaction the adapter can act on:
// a known type with an id, and for anything but a ping a token and a user.
func wellFormed(i *discordgo.Interaction) bool {
	if i.ID == "" || len(i.ID) > 64 {
		return false
	}
	switch i.Type {
	case discordgo.InteractionPing:
		return true
	case discordgo.InteractionApplicationCommand, discordgo.InteractionApplicationCommandAutocomplete:
		_, ok := i.Data.(discordgo.ApplicationCommandInteractionData)
		return ok && i.Token != "" && userOf(i) != ""
	case discordgo.InteractionMessageComponent:
		_, ok := i.Data.(discordgo.MessageComponentInteractionData)
		return ok && i.Token != "" && userOf(i) != ""
	case discordgo.InteractionModalSubmit:
		_, ok := i.Data.(discordgo.ModalSubmitInteractionData)
		return ok && i.Token != "" && userOf(i) != ""
	}
	return false
}

// handle answers one well-formed interaction through respond, exactly
// once, within AckWithin: with the answer when the work is done by then,
// or with a deferral that a follow-up completes; a slash command that
// changes nothing is answered in the response itself, with no inbox item
// (answerNow). An interaction seen before
// is not run again; it is answered only when answerAgain is set (an HTTP
// POST always needs a reply, while over the gateway the first delivery's
// handler answers and a second answer would be refused).
func (a *Adapter) handle(i *discordgo.Interaction, respond responder, answerAgain bool) {
	// Follow-ups go to the webhook of our application, whatever the payload says.
	i.AppID = a.cfg.AppID
	ctx, cancel := context.WithTimeout(core.WithStoreWait(context.Background(), bot.StoreWait), a.cfg.AckWithin)
	defer cancel()
	switch i.Type {
	case discordgo.InteractionPing:
		a.send(i, respond, &discordgo.InteractionResponse{Type: discordgo.InteractionResponsePong})
		return
	case discordgo.InteractionApplicationCommandAutocomplete:
		a.send(i, respond, a.autocomplete(ctx, i))
		return
	}
	command := i.Type == discordgo.InteractionApplicationCommand
	// Over HTTP every delivery is answered anyway, so a command that
	// changes nothing is answered before de-duplication, writing nothing.
	if command && answerAgain && a.answeredNow(i, respond) {
		return
	}
	fresh, err := a.dedupe.Once(ctx, "discord:interaction:"+i.ID, dedupeTTL)
	if err != nil {
		a.send(i, respond, message(a.errorMessage(i, "", fmt.Errorf("de-duplicate interaction: %w", err))))
		return
	}
	if !fresh {
		a.log.Info().Str("interaction_id", i.ID).Msg("discord interaction delivered again; not run again")
		if answerAgain {
			a.send(i, respond, duplicate(i))
		}
		return
	}
	// Over the gateway a replayed event must not be answered twice: it is
	// answered after de-duplication, and still without an inbox item.
	if command && !answerAgain && a.answeredNow(i, respond) {
		return
	}
	p, err := a.dir().PrincipalFor(core.PlatformDiscord, userOf(i))
	if err != nil {
		a.send(i, respond, message(a.errorMessage(i, "", err)))
		return
	}
	caller := core.Caller{Principal: p.ID, Source: core.PlatformDiscord}
	if _, err := a.task(i, caller); err != nil {
		a.send(i, respond, message(a.errorMessage(i, caller.Principal, err)))
		return
	}
	// Into the inbox before the first response, so that an acknowledged
	// interaction is answered even if this replica dies.
	held, err := a.accept(ctx, i)
	if err != nil {
		a.send(i, respond, message(a.errorMessage(i, caller.Principal, err)))
		return
	}
	caller.Delivery = core.PlatformDiscord + ":" + held.Ref
	t, _ := a.task(i, caller)
	a.run(i, respond, caller, t, held)
}

// answeredNow answers i through respond when it changes nothing
// (answerNow), and reports whether it did.
func (a *Adapter) answeredNow(i *discordgo.Interaction, respond responder) bool {
	resp, ok := a.answerNow(i)
	if ok {
		a.send(i, respond, resp)
	}
	return ok
}

// task maps an interaction to the bot call it stands for.
func (a *Adapter) task(i *discordgo.Interaction, caller core.Caller) (task, error) {
	switch d := i.Data.(type) {
	case discordgo.ApplicationCommandInteractionData:
		cmd, err := a.command(d)
		if err != nil {
			return task{}, err
		}
		return task{verb: cmd.Verb, run: func(ctx context.Context) (bot.Message, error) { return a.bot.Run(ctx, caller, cmd) }}, nil
	case discordgo.MessageComponentInteractionData:
		if text, ok := strings.CutPrefix(d.CustomID, commandPrefix); ok {
			return task{run: func(ctx context.Context) (bot.Message, error) { return a.bot.Handle(ctx, caller, text) }}, nil
		}
		if id, hidden, ok := parseFormCustomID(d.CustomID); ok {
			return task{run: func(ctx context.Context) (bot.Message, error) { return a.openForm(ctx, caller, id, hidden) }}, nil
		}
		return task{}, core.Errorf(core.EINVALID, "This button is not one of elevate's.")
	case discordgo.ModalSubmitInteractionData:
		s, err := submission(d)
		if err != nil {
			return task{}, err
		}
		return task{run: func(ctx context.Context) (bot.Message, error) { return a.bot.Submit(ctx, caller, s) }}, nil
	}
	return task{}, core.Errorf(core.EINVALID, "This kind of interaction is not supported.")
}

// openForm answers a click on a button that stands for a form (a posted
// message cannot open a modal itself) with that form.
func (a *Adapter) openForm(ctx context.Context, c core.Caller, id bot.FormID, hidden map[string]string) (bot.Message, error) {
	switch id {
	case bot.FormDeny:
		return a.bot.Run(ctx, c, bot.Command{Verb: bot.VerbDeny, RequestID: hidden["request"]})
	case bot.FormRequest:
		return a.bot.Run(ctx, c, bot.Command{Verb: bot.VerbRequest, Role: hidden["role"]})
	case bot.FormCode:
		return bot.Message{Form: codeForm(hidden["request"]), Ephemeral: true}, nil
	}
	return bot.Message{}, core.Errorf(core.EINVALID, "Unknown form %q.", truncate(string(id), 20))
}

// run does t on the pool, as the inbox item held, and answers i: directly
// when the work is done within AckWithin, otherwise with a deferral that
// the item's runner follows up. A full backlog, or an item the pool
// started too late, is deferred and left to the item's lease: whichever
// replica claims it then answers.
func (a *Adapter) run(i *discordgo.Interaction, respond responder, caller core.Caller, t task, held core.Job) {
	j := &job{i: i, caller: caller, task: t, done: make(chan struct{}), sent: make(chan struct{})}
	a.waiting.Store(held.Ref, j)
	ok := a.pool.submit(func() {
		defer a.waiting.Delete(held.Ref)
		ctx, cancel := context.WithTimeout(core.WithStoreWait(context.Background(), bot.StoreWait), workTimeout)
		defer cancel()
		if err := a.svc.RunHeld(ctx, held); err != nil {
			a.log.Warn().Err(err).Str("interaction_id", i.ID).Msg("discord interaction not completed; its lease hands it on")
		}
		select {
		case <-j.done:
		default: // not run here: left to the lease
			j.skipped = true
			close(j.done)
		}
	})
	if !ok {
		a.waiting.Delete(held.Ref)
		a.log.Warn().Str("interaction_id", i.ID).Str("principal", caller.Principal).Msg("discord work backlog full: the interaction waits for its lease")
		a.send(i, respond, deferral(i))
		return
	}
	defer close(j.sent)
	timer := time.NewTimer(a.cfg.AckWithin)
	defer timer.Stop()
	select {
	case <-j.done:
		if resp, ok := a.initial(i, caller, t, j); ok {
			a.send(i, respond, resp)
			return
		}
	case <-timer.C:
	}
	j.deferred = true
	a.send(i, respond, deferral(i))
}

// initial is the first response carrying a finished job's answer, or false
// when the answer needs a follow-up: files travel as multipart uploads,
// which a first response over HTTP cannot carry, and MFA enrollment goes
// to a DM.
func (a *Adapter) initial(i *discordgo.Interaction, caller core.Caller, t task, j *job) (*discordgo.InteractionResponse, bool) {
	if j.skipped {
		return nil, false
	}
	if j.err != nil {
		return message(a.errorMessage(i, caller.Principal, j.err)), true
	}
	m := j.msg
	if m.Form != nil && i.Type != discordgo.InteractionModalSubmit {
		resp, err := modal(m.Form)
		if err != nil {
			return message(a.errorMessage(i, caller.Principal, err)), true
		}
		return resp, true
	}
	if m.File != nil || t.verb == bot.VerbMFAEnroll {
		return nil, false
	}
	if replaces(i, m) {
		return update(m), true
	}
	return message(m), true
}

// replaces reports whether m is the new state of the message whose button
// caused i (a reviewer's page after a decision), to be edited in place.
func replaces(i *discordgo.Interaction, m bot.Message) bool {
	return m.Replace && i.Message != nil && (i.Type == discordgo.InteractionMessageComponent || i.Type == discordgo.InteractionModalSubmit)
}

// update is a first response that edits the message whose button was
// clicked into m (type 7); a message keeps its own ephemerality.
func update(m bot.Message) *discordgo.InteractionResponse {
	r := render(m)
	return &discordgo.InteractionResponse{Type: discordgo.InteractionResponseUpdateMessage,
		Data: &discordgo.InteractionResponseData{Content: r.content, Embeds: r.embeds, Components: r.components, AllowedMentions: noMentions()}}
}

// finish completes a deferred interaction with its answer.
func (a *Adapter) finish(i *discordgo.Interaction, caller core.Caller, t task, j *job) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*restTimeout)
	defer cancel()
	m := j.msg
	switch {
	case j.err != nil:
		m = a.errorMessage(i, caller.Principal, j.err)
	case t.verb == bot.VerbMFAEnroll && m.File != nil:
		if err := a.dm(ctx, userOf(i), m); err != nil {
			// DMs closed: the ephemeral reply is seen by the caller alone too.
			a.log.Warn().Err(err).Str("principal", caller.Principal).Msg("discord: MFA enrollment DM failed; answering ephemerally")
		} else {
			m = bot.Message{Title: "Check your DMs", Text: "I sent you the QR code and secret in a direct message. Scan it, then confirm with /elevate mfa verify.",
				Tone: bot.ToneInfo, Ephemeral: true}
		}
	}
	if err := a.followUp(ctx, i, m); err != nil {
		a.log.Error().Err(err).Str("interaction_id", i.ID).Str("principal", caller.Principal).Str("request_id", m.RequestID).
			Msg("discord follow-up failed; the user saw only the deferral")
	}
}

// followUp delivers the answer to a deferred interaction: an edit of the
// deferred response for commands and modals, a new message after a
// deferred click, or an edit of the clicked message (the original of a
// deferred update) when the answer replaces it.
func (a *Adapter) followUp(ctx context.Context, i *discordgo.Interaction, m bot.Message) error {
	r := render(m)
	if i.Type == discordgo.InteractionMessageComponent && !replaces(i, m) {
		_, err := a.session.FollowupMessageCreate(i, true, &discordgo.WebhookParams{Content: r.content, Embeds: r.embeds, Components: r.components,
			Files: r.files, AllowedMentions: noMentions(), Flags: r.flags}, discordgo.WithContext(ctx))
		return err
	}
	_, err := a.session.InteractionResponseEdit(i, &discordgo.WebhookEdit{Content: &r.content, Embeds: &r.embeds, Components: &r.components,
		Files: r.files, AllowedMentions: noMentions()}, discordgo.WithContext(ctx))
	return err
}

// send hands a first response to respond, logging a failure: the user then
// sees "This interaction failed", and the log says why.
func (a *Adapter) send(i *discordgo.Interaction, respond responder, body any) {
	if err := respond(body); err != nil {
		a.log.Error().Err(err).Str("interaction_id", i.ID).Str("kind", i.Type.String()).Msg("discord interaction response failed")
	}
}

// message is a first response that shows m (a form in it as a button).
func message(m bot.Message) *discordgo.InteractionResponse {
	r := render(m)
	return &discordgo.InteractionResponse{Type: discordgo.InteractionResponseChannelMessageWithSource,
		Data: &discordgo.InteractionResponseData{Content: r.content, Embeds: r.embeds, Components: r.components,
			AllowedMentions: noMentions(), Flags: r.flags}}
}

// deferral acknowledges i for a follow-up: a click keeps its message as it
// is (type 6); a command or modal shows "thinking" to the caller alone
// (type 5, ephemeral), since most answers concern only them.
func deferral(i *discordgo.Interaction) *discordgo.InteractionResponse {
	if i.Type == discordgo.InteractionMessageComponent {
		return &discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredMessageUpdate}
	}
	return &discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredChannelMessageWithSource,
		Data: &discordgo.InteractionResponseData{Flags: discordgo.MessageFlagsEphemeral}}
}

// duplicate answers an interaction delivered again without doing anything.
func duplicate(i *discordgo.Interaction) *discordgo.InteractionResponse {
	if i.Type == discordgo.InteractionMessageComponent {
		return &discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredMessageUpdate}
	}
	return message(bot.Message{Text: "Already handled.", Tone: bot.ToneInfo, Ephemeral: true})
}
