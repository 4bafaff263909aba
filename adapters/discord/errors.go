package discord

import (
	"github.com/bwmarrin/discordgo"

	"github.com/elevate-pim/elevate/bot"
	"github.com/elevate-pim/elevate/core"
)

// errorReply is how one error code is shown.
type errorReply struct {
	title string
	tone  bot.Tone
}

// errorReplies maps core's error codes to Discord replies: the one table of
// the adapter. Every error reply is ephemeral: it concerns only the caller.
var errorReplies = map[string]errorReply{
	core.EINVALID:     {"That did not work", bot.ToneWarning},
	core.ENOTFOUND:    {"Not found", bot.ToneWarning},
	core.EFORBIDDEN:   {"Not allowed", bot.ToneDanger},
	core.ECONFLICT:    {"Cannot do that now", bot.ToneWarning},
	core.ELOCKED:      {"MFA locked", bot.ToneDanger},
	core.EINTERNAL:    {"Something went wrong", bot.ToneDanger},
	core.EUNAVAILABLE: {"Temporarily unavailable", bot.ToneWarning},
}

// internalText is all a user learns of an internal error; the details are logged.
const internalText = "Something went wrong on elevate's side. It has been logged; try again in a moment."

// errorMessage renders err for the caller of interaction i, logging
// internal errors with what is needed to find them.
func (a *Adapter) errorMessage(i *discordgo.Interaction, principal string, err error) bot.Message {
	code := core.ErrorCode(err)
	reply, ok := errorReplies[code]
	if !ok {
		code, reply = core.EINTERNAL, errorReplies[core.EINTERNAL]
	}
	text := core.ErrorMessage(err)
	switch code {
	case core.EINTERNAL:
		a.log.Error().Err(err).Str("interaction_id", i.ID).Str("principal", principal).
			Str("kind", i.Type.String()).Msg("discord interaction failed")
		text = internalText
	case core.EUNAVAILABLE:
		a.log.Warn().Err(err).Str("interaction_id", i.ID).Str("principal", principal).
			Str("kind", i.Type.String()).Msg("discord interaction failed: store unavailable")
	}
	return bot.Message{Title: reply.title, Text: text, Tone: reply.tone, Ephemeral: true}
}
