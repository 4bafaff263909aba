package slack

import (
	slackapi "github.com/slack-go/slack"

	"github.com/elevate-pim/elevate/bot"
	"github.com/elevate-pim/elevate/core"
)

// A slash command that changes nothing (bot.ReadOnly: help, status, the menu, who, the
// review and alert listings, and any command that does not parse) is
// answered in its acknowledgement: the answer is the body of the 200, so
// the command is neither queued in the inbox nor posted to its
// response_url. Nothing then has to survive this replica: if it dies
// before the 200, Slack tells the user the command failed, and nothing
// happened. Commands that change state, open a modal or send a file go
// through the inbox as before.

// answerNow runs the slash command text of slackUser in the request when
// it changes nothing, and returns the acknowledgement's body (JSON) that
// answers it. ok is false when the command must go through the inbox: it
// may change something, or who its user is takes a users.info call to find
// out.
func (a *Adapter) answerNow(slackUser, text string) (answer []byte, ok bool) {
	p, known, err := a.knownPrincipal(slackUser)
	if !known {
		return nil, false
	}
	var (
		m   bot.Message
		cmd bot.Command
	)
	if err == nil {
		if cmd, err = bot.Parse(text, a.svc.Clock().Now(), a.bot.Location()); err == nil {
			if !bot.ReadOnly(cmd.Verb) {
				return nil, false
			}
			m, err = a.bot.Answer(core.Caller{Principal: p.ID, Source: Platform}, cmd)
		}
	}
	if err != nil {
		o := a.newOrigin("command", slackUser)
		o.command = text
		if p != nil {
			o.principal = p.ID
		}
		a.logFailure(o, err)
		m = errorMessage(err)
	}
	if m.Form != nil || m.File != nil {
		return nil, false // a read that needs a modal or an upload: the inbox path opens or sends it
	}
	if ev := a.log.Debug(); ev.Enabled() {
		principal := ""
		if p != nil {
			principal = p.ID
		}
		ev.Str("kind", "command").Str("slack_user", slackUser).Str("principal", principal).Str("verb", string(cmd.Verb)).
			Bool("error", err != nil).Msg("slack command answered in its acknowledgement")
	}
	body, err := a.answers.body(m)
	if err != nil {
		a.log.Error().Err(err).Str("slack_user", slackUser).Msg("could not encode an answer; the inbox path answers instead")
		return nil, false
	}
	return body, true
}

// ackAnswer is the body of an acknowledgement that answers its slash
// command: what a response_url post of the answer carries. Its blocks are
// a plain slice, which encoding/json writes in one pass (slack-go's Blocks
// marshals itself, and the result is then parsed again to compact it).
type ackAnswer struct {
	ResponseType string           `json:"response_type"`
	Text         string           `json:"text"`
	Blocks       []slackapi.Block `json:"blocks"`
}

// ackBody is the acknowledgement that carries m as its command's reply.
func ackBody(m bot.Message) *ackAnswer {
	typ := slackapi.ResponseTypeEphemeral
	if !m.Ephemeral {
		typ = slackapi.ResponseTypeInChannel
	}
	return &ackAnswer{ResponseType: typ, Text: fallback(m), Blocks: blocks(m)}
}
