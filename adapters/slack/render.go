package slack

import (
	"encoding/json"
	"strconv"
	"strings"
	"unicode/utf8"

	slackapi "github.com/slack-go/slack"
	"github.com/slack-go/slack/slackutilsx"

	"github.com/elevate-pim/elevate/bot"
)

// Block Kit limits (https://docs.slack.dev/reference/block-kit/blocks).
const (
	maxHeader        = 150
	maxSectionText   = 3000
	maxFieldText     = 2000
	maxSectionFields = 10
	maxActions       = 25
	maxButtonLabel   = 75
	maxButtonValue   = 2000
	maxBlocks        = 50
	maxFallback      = 4000
)

// Action ids: every elevate button's action_id starts with actionPrefix. A
// command button (elevate:N) carries its bot command as its value; a form
// button (elevate:form:N) carries a form to open, for messages posted
// where no trigger id was at hand to open it directly.
const (
	actionPrefix     = "elevate:"
	formActionPrefix = "elevate:form:"
)

// toneMarks prefix titles by tone, so outcomes read at a glance.
var toneMarks = map[bot.Tone]string{
	bot.ToneSuccess: "✅ ",
	bot.ToneWarning: "⚠️ ",
	bot.ToneDanger:  "⛔ ",
}

// plain returns a plain_text object. All bot strings are plain text:
// plain_text is never parsed for mentions, links or formatting, so user
// text (justifications, reasons) stays inert. Emoji shortcodes are off too.
func plain(s string, limit int) *slackapi.TextBlockObject {
	return slackapi.NewTextBlockObject(slackapi.PlainTextType, truncate(s, limit), false, false)
}

// truncate cuts s to at most limit runes, marking the cut.
func truncate(s string, limit int) string {
	if len(s) <= limit || utf8.RuneCountInString(s) <= limit { // no more runes than bytes
		return s
	}
	r := []rune(s)
	return string(r[:limit-1]) + "…"
}

// escape makes text safe for Slack's message "text" field, which Slack
// parses for <!channel>, <@U…> and <url|label> even with mrkdwn off.
func escape(s string) string { return slackutilsx.EscapeMessage(s) }

// unescape undoes the HTML escaping Slack applies to slash command text,
// so that the bot sees what the user typed.
func unescape(s string) string { return unescaper.Replace(s) }

var unescaper = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&")

// blocks renders m as Block Kit: a header for the title, a section for the
// text, sections of fields, and actions for the buttons (and for a form
// that could not be opened directly).
func blocks(m bot.Message) []slackapi.Block {
	var out []slackapi.Block
	mark := toneMarks[m.Tone]
	switch {
	case m.Title != "":
		out = append(out, slackapi.NewHeaderBlock(plain(mark+m.Title, maxHeader)))
		if m.Text != "" {
			out = append(out, slackapi.NewSectionBlock(plain(m.Text, maxSectionText), nil, nil))
		}
	case m.Text != "":
		out = append(out, slackapi.NewSectionBlock(plain(mark+m.Text, maxSectionText), nil, nil))
	}
	for i := 0; i < len(m.Fields); i += maxSectionFields {
		var fields []*slackapi.TextBlockObject
		for _, f := range m.Fields[i:min(i+maxSectionFields, len(m.Fields))] {
			fields = append(fields, plain(f.Label+": "+f.Value, maxFieldText))
		}
		out = append(out, slackapi.NewSectionBlock(nil, fields, nil))
	}
	elems := buttons(m.Buttons, 0)
	if m.Form != nil {
		if b := formButton(m.Form, len(elems)); b != nil {
			elems = append(elems, b)
		}
	}
	for i := 0; i < len(elems); i += maxActions {
		out = append(out, slackapi.NewActionBlock("elevate:actions:"+strconv.Itoa(i/maxActions), elems[i:min(i+maxActions, len(elems))]...))
	}
	if len(out) == 0 {
		out = append(out, slackapi.NewSectionBlock(plain("elevate", maxSectionText), nil, nil))
	}
	if len(out) > maxBlocks {
		out = out[:maxBlocks]
	}
	return out
}

// buttons renders command buttons, numbering action ids from first.
func buttons(bs []bot.Button, first int) []slackapi.BlockElement {
	var out []slackapi.BlockElement
	for i, b := range bs {
		if b.Command == "" || len(b.Command) > maxButtonValue {
			continue
		}
		el := slackapi.NewButtonBlockElement(actionPrefix+strconv.Itoa(first+i), b.Command, plain(b.Label, maxButtonLabel))
		el.Style = buttonStyle(b.Style)
		out = append(out, el)
	}
	return out
}

func buttonStyle(s bot.Style) slackapi.Style {
	switch s {
	case bot.StylePrimary:
		return slackapi.StylePrimary
	case bot.StyleDanger:
		return slackapi.StyleDanger
	}
	return slackapi.StyleDefault
}

// formButton is a button that opens f when clicked (the click brings the
// trigger id a modal needs). It is nil when f does not fit a button value.
func formButton(f *bot.Form, n int) slackapi.BlockElement {
	value, err := json.Marshal(f)
	if err != nil || len(value) > maxButtonValue {
		return nil
	}
	label := f.Title
	if label == "" {
		label = "Open form"
	}
	el := slackapi.NewButtonBlockElement(formActionPrefix+strconv.Itoa(n), string(value), plain(label, maxButtonLabel))
	el.Style = slackapi.StylePrimary
	return el
}

// fallback is the message's plain-text "text": what notifications and
// clients without Block Kit show. It is escaped, and sent with mrkdwn,
// parse and link_names off.
func fallback(m bot.Message) string {
	var lines []string
	if m.Title != "" {
		lines = append(lines, toneMarks[m.Tone]+m.Title)
	}
	if m.Text != "" {
		lines = append(lines, m.Text)
	}
	for _, f := range m.Fields {
		lines = append(lines, f.Label+": "+f.Value)
	}
	if len(lines) == 0 {
		lines = append(lines, "elevate")
	}
	return escape(truncate(strings.Join(lines, "\n"), maxFallback))
}

// msgOptions are the chat.postMessage / chat.update / response_url options
// that carry m: Block Kit plus the fallback text, with every kind of
// parsing that could turn text into a mention or link switched off.
func msgOptions(m bot.Message) []slackapi.MsgOption {
	return []slackapi.MsgOption{
		slackapi.MsgOptionText(fallback(m), false),
		slackapi.MsgOptionBlocks(blocks(m)...),
		slackapi.MsgOptionDisableMarkdown(),
		slackapi.MsgOptionParse(false),
		slackapi.MsgOptionLinkNames(false),
		slackapi.MsgOptionDisableLinkUnfurl(),
		slackapi.MsgOptionDisableMediaUnfurl(),
	}
}

// visible reports whether m has anything to show besides a form or file.
func visible(m bot.Message) bool {
	return m.Title != "" || m.Text != "" || len(m.Fields) > 0 || len(m.Buttons) > 0
}
