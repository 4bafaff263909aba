package discord

import (
	"fmt"
	"strings"

	"github.com/bwmarrin/discordgo"
	"github.com/rs/zerolog"
)

// sessionLogLevel is how much discordgo logs for a zerolog level. It never
// goes below informational: discordgo's debug lines print the identify
// packet (with the bot token) and raw gateway events (with interaction
// tokens), and secrets never reach the log.
func sessionLogLevel(l zerolog.Level) int {
	switch {
	case l <= zerolog.InfoLevel:
		return discordgo.LogInformational
	case l == zerolog.WarnLevel:
		return discordgo.LogWarning
	default:
		return discordgo.LogError
	}
}

// ZerologLogger returns a discordgo.Logger (the package's global log hook)
// that writes discordgo's lines to log at the matching level, with the
// field component=discordgo.
func ZerologLogger(log func() *zerolog.Logger) func(msgL, caller int, format string, a ...any) {
	return func(msgL, _ int, format string, a ...any) {
		l := log()
		ev := l.Debug()
		switch msgL {
		case discordgo.LogError:
			ev = l.Error()
		case discordgo.LogWarning:
			ev = l.Warn()
		case discordgo.LogInformational:
			ev = l.Info()
		}
		ev.Str("component", "discordgo").Msg(strings.TrimSpace(fmt.Sprintf(format, a...)))
	}
}
