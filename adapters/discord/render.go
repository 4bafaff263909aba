package discord

import (
	"bytes"
	"strings"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"

	"github.com/elevate-pim/elevate/bot"
)

// Discord's limits on message parts.
const (
	maxContent     = 2000
	maxEmbedTitle  = 256
	maxEmbedDesc   = 4096
	maxEmbedFields = 25
	maxFieldName   = 256
	maxFieldValue  = 1024
	maxButtonLabel = 80
	maxRows        = 5
	maxPerRow      = 5
	inlineField    = 32 // values up to this long sit side by side
)

// Embed colours by tone.
var toneColours = map[bot.Tone]int{
	"":              0x5865F2, // blurple
	bot.ToneInfo:    0x5865F2,
	bot.ToneSuccess: 0x57F287,
	bot.ToneWarning: 0xFEE75C,
	bot.ToneDanger:  0xED4245,
}

// noMentions is the allowed_mentions of every message: parse nothing, so
// "@everyone" or "<@&ROLE>" in user text pings nobody. The list must be
// empty, not absent: an absent list lets Discord parse mentions.
func noMentions() *discordgo.MessageAllowedMentions {
	return &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{}}
}

// rendered is a bot.Message in Discord's terms.
type rendered struct {
	content    string
	embeds     []*discordgo.MessageEmbed
	components []discordgo.MessageComponent
	files      []*discordgo.File
	flags      discordgo.MessageFlags
	dropped    int // buttons that did not fit or whose custom id was too long
}

// render translates m. Forms cannot open from a posted message, so a form
// becomes a button that opens it.
func render(m bot.Message) rendered {
	r := rendered{embeds: []*discordgo.MessageEmbed{}, components: []discordgo.MessageComponent{}}
	if m.Form != nil && m.Text == "" && m.Title == "" {
		m.Text = "More details are needed: use the button to open the form."
	}
	if m.Title != "" || len(m.Fields) > 0 {
		e := &discordgo.MessageEmbed{
			Type:        discordgo.EmbedTypeRich,
			Title:       fit(m.Title, maxEmbedTitle),
			Description: fit(m.Text, maxEmbedDesc),
			Color:       toneColours[m.Tone],
		}
		for _, f := range m.Fields {
			if len(e.Fields) == maxEmbedFields {
				break
			}
			name, value := fit(f.Label, maxFieldName), fit(f.Value, maxFieldValue)
			if name == "" {
				name = "\u200b" // Discord rejects empty field names and values
			}
			if value == "" {
				value = "\u200b"
			}
			e.Fields = append(e.Fields, &discordgo.MessageEmbedField{Name: name, Value: value, Inline: utf8.RuneCountInString(f.Value) <= inlineField})
		}
		r.embeds = append(r.embeds, e)
	} else {
		r.content = fit(m.Text, maxContent)
	}
	buttons := m.Buttons
	if m.Form != nil {
		if id, err := formCustomID(m.Form.ID, m.Form.Hidden); err == nil {
			buttons = append([]bot.Button{{Label: formLabel(m.Form), Command: id, Style: bot.StylePrimary}}, buttons...)
		} else {
			r.dropped++
		}
	}
	r.components, r.dropped = rows(buttons, m.Form != nil, r.dropped)
	if m.File != nil {
		r.files = []*discordgo.File{{Name: m.File.Name, ContentType: m.File.Type, Reader: bytes.NewReader(m.File.Data)}}
	}
	if m.Ephemeral {
		r.flags = discordgo.MessageFlagsEphemeral
	}
	return r
}

// formLabel is the label of the button that opens f.
func formLabel(f *bot.Form) string {
	if f.Title != "" {
		return f.Title
	}
	return "Open form"
}

// rows lays buttons out in action rows of five. The first button is a
// form opener (already a full custom id) when opener is set.
func rows(buttons []bot.Button, opener bool, dropped int) ([]discordgo.MessageComponent, int) {
	out := []discordgo.MessageComponent{}
	seen := map[string]bool{}
	var row []discordgo.MessageComponent
	for k, b := range buttons {
		id := b.Command
		if !(opener && k == 0) {
			id = commandCustomID(b.Command)
		}
		if len(id) > maxCustomID || seen[id] || len(out) == maxRows {
			dropped++
			continue
		}
		seen[id] = true
		label := truncate(b.Label, maxButtonLabel)
		if label == "" {
			label = truncate(b.Command, maxButtonLabel)
		}
		row = append(row, discordgo.Button{Label: label, Style: buttonStyle(b.Style), CustomID: id})
		if len(row) == maxPerRow {
			out = append(out, discordgo.ActionsRow{Components: row})
			row = nil
		}
	}
	if len(row) > 0 {
		if len(out) < maxRows {
			out = append(out, discordgo.ActionsRow{Components: row})
		} else {
			dropped += len(row)
		}
	}
	return out, dropped
}

func buttonStyle(s bot.Style) discordgo.ButtonStyle {
	switch s {
	case bot.StylePrimary:
		return discordgo.PrimaryButton
	case bot.StyleDanger:
		return discordgo.DangerButton
	}
	return discordgo.SecondaryButton
}

// markdown holds the characters Discord gives meaning to anywhere in a
// line. Every bot string is plain text, so each of them is escaped: user
// text cannot bold, strike, quote, link, spoil, mention or start a heading.
const markdown = "\\*_~`|>#[]()@<"

// lineStart holds the characters that mean something only at the start of
// a line: list bullets.
const lineStart = "-+"

// escapes reports whether r needs a backslash, given whether it starts a line.
func escapes(r rune, first bool) bool {
	if r >= utf8.RuneSelf {
		return false
	}
	return strings.ContainsRune(markdown, r) || (first && strings.ContainsRune(lineStart, r))
}

// escape makes s render literally in Discord markdown.
func escape(s string) string {
	var b strings.Builder
	b.Grow(len(s) + len(s)/8)
	first := true
	for _, r := range s {
		if escapes(r, first) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
		first = r == '\n' || (first && (r == ' ' || r == '\t'))
	}
	return b.String()
}

// fit escapes s and shortens it to at most limit characters, cutting
// before an escape sequence rather than inside it.
func fit(s string, limit int) string {
	e := escape(s)
	if utf8.RuneCountInString(e) <= limit {
		return e
	}
	var b strings.Builder
	n := 0
	first := true
	for _, r := range s {
		w := 1
		if escapes(r, first) {
			w = 2
		}
		if n+w > limit-1 {
			break
		}
		if w == 2 {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
		n += w
		first = r == '\n' || (first && (r == ' ' || r == '\t'))
	}
	b.WriteString("…")
	return b.String()
}

// truncate shortens plain text (labels, titles) that Discord shows without markdown.
func truncate(s string, limit int) string {
	if utf8.RuneCountInString(s) <= limit {
		return s
	}
	return string([]rune(s)[:limit-1]) + "…"
}
