package discord

import (
	"github.com/bwmarrin/discordgo"

	"github.com/elevate-pim/elevate/bot"
	"github.com/elevate-pim/elevate/core"
)

// A slash command that changes nothing (bot.ReadOnly: help, status, the
// menu, who, reviews, a review's page), and one that cannot run (it does
// not parse, or its user is not enrolled), is answered in the
// interaction's first response itself (type 4): no inbox item, no
// follow-up, and over HTTP no de-duplication either (a POST delivered again
// is answered again, which changes nothing). Nothing then has to survive
// this replica: if it dies before responding, Discord tells the user the
// interaction failed, and nothing happened. The answer waits for the store
// at most bot.StoreWait, so it goes out within Discord's 3 s, saying so
// when the store cannot be reached. Commands that change state, clicks and
// form submissions go through the inbox.

// answerNow runs application command i when it changes nothing and
// returns its first response. ok is false when i must go through the
// inbox: it may change something, or its answer is a file, which only a
// follow-up can carry.
func (a *Adapter) answerNow(i *discordgo.Interaction) (resp *discordgo.InteractionResponse, ok bool) {
	d, ok := i.Data.(discordgo.ApplicationCommandInteractionData)
	if !ok {
		return nil, false
	}
	var (
		m         bot.Message
		cmd       bot.Command
		principal string
	)
	p, err := a.dir().PrincipalFor(core.PlatformDiscord, userOf(i))
	if err == nil {
		principal = p.ID
		if cmd, err = a.command(d); err == nil {
			if !bot.ReadOnly(cmd.Verb) {
				return nil, false
			}
			m, err = a.bot.Answer(core.Caller{Principal: p.ID, Source: core.PlatformDiscord}, cmd)
		}
	}
	if err != nil {
		m = a.errorMessage(i, principal, err)
	}
	if m.File != nil {
		return nil, false
	}
	if ev := a.log.Debug(); ev.Enabled() {
		ev.Str("interaction_id", i.ID).Str("principal", principal).Str("verb", string(cmd.Verb)).Bool("error", err != nil).
			Msg("discord command answered in its response")
	}
	if m.Form != nil {
		if resp, err := modal(m.Form); err == nil {
			return resp, true
		}
	}
	return message(m), true
}
