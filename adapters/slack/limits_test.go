package slack

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	slackapi "github.com/slack-go/slack"

	"github.com/elevate-pim/elevate/bot"
)

// TestBlockKitLimits: whatever the bot says, what goes to Slack stays
// inside Block Kit's limits, which Slack enforces by refusing the message.
func TestBlockKitLimits(t *testing.T) {
	long := strings.Repeat("é", 5000)
	m := bot.Message{Title: long, Text: long}
	for i := range 23 {
		m.Fields = append(m.Fields, bot.Field{Label: "f" + strconv.Itoa(i), Value: long})
	}
	for i := range 30 {
		m.Buttons = append(m.Buttons, bot.Button{Label: long, Command: "cancel r-" + strconv.Itoa(i)})
	}
	bs := blocks(m)
	actions, fields := 0, 0
	ids := map[string]bool{}
	for _, b := range bs {
		switch b := b.(type) {
		case *slackapi.HeaderBlock:
			if n := utf8.RuneCountInString(b.Text.Text); n > maxHeader {
				t.Errorf("header of %d runes", n)
			}
		case *slackapi.SectionBlock:
			if b.Text != nil && utf8.RuneCountInString(b.Text.Text) > maxSectionText {
				t.Errorf("section text of %d runes", utf8.RuneCountInString(b.Text.Text))
			}
			if len(b.Fields) > maxSectionFields {
				t.Errorf("section with %d fields", len(b.Fields))
			}
			fields += len(b.Fields)
		case *slackapi.ActionBlock:
			if len(b.Elements.ElementSet) > maxActions {
				t.Errorf("actions block with %d elements", len(b.Elements.ElementSet))
			}
			for _, el := range b.Elements.ElementSet {
				btn := el.(*slackapi.ButtonBlockElement)
				if ids[btn.ActionID] {
					t.Errorf("duplicate action id %s", btn.ActionID)
				}
				ids[btn.ActionID] = true
				if utf8.RuneCountInString(btn.Text.Text) > maxButtonLabel {
					t.Errorf("button label of %d runes", utf8.RuneCountInString(btn.Text.Text))
				}
			}
			actions += len(b.Elements.ElementSet)
		}
	}
	if fields != 23 || actions != 30 {
		t.Errorf("rendered %d fields and %d buttons, want 23 and 30", fields, actions)
	}
	if n := utf8.RuneCountInString(fallback(m)); n > maxFallback*2 {
		t.Errorf("fallback of %d runes", n)
	}

	f := &bot.Form{ID: bot.FormRequest, Title: "Activate a-role-with-a-very-long-name", Submit: long, Hidden: map[string]string{"role": "x"}}
	var opts []string
	for i := range 150 {
		opts = append(opts, "role-"+strconv.Itoa(i))
	}
	f.Inputs = []bot.Input{{Name: "role", Label: long, Kind: bot.InputSelect, Options: opts, Value: "role-3"}, {Name: "j", Kind: bot.InputLong, MaxLen: 99999, Value: long}}
	v, err := modalOf(f)
	if err != nil {
		t.Fatal(err)
	}
	if utf8.RuneCountInString(v.Title.Text) > maxModalTitle || utf8.RuneCountInString(v.Submit.Text) > maxModalTitle {
		t.Errorf("modal title %q / submit of %d runes", v.Title.Text, utf8.RuneCountInString(v.Submit.Text))
	}
	sel := v.Blocks.BlockSet[0].(*slackapi.InputBlock).Element.(*slackapi.SelectBlockElement)
	if len(sel.Options) != maxOptions || sel.InitialOption == nil || sel.InitialOption.Value != "role-3" {
		t.Errorf("select has %d options, initial %+v", len(sel.Options), sel.InitialOption)
	}
	text := v.Blocks.BlockSet[1].(*slackapi.InputBlock).Element.(*slackapi.PlainTextInputBlockElement)
	if text.MaxLength != maxInputLen || !text.Multiline {
		t.Errorf("text input max_length %d multiline %v", text.MaxLength, text.Multiline)
	}
	if _, err := json.Marshal(v); err != nil || !slackapi.ValidateUniqueBlockID(v) {
		t.Fatalf("modal does not marshal or has duplicate block ids: %v", err)
	}

	// A submitted modal reads back into the submission the bot expects.
	var view slackapi.View
	state := `{"values":{"elevate:in:role":{"value":{"type":"static_select","selected_option":{"value":"role-7"}}},"elevate:in:j":{"value":{"type":"plain_text_input","value":"why"}},"other":{"value":{"value":"ignored"}}}}`
	body := `{"id":"V1","callback_id":"elevate:form","private_metadata":` + strconv.Quote(v.PrivateMetadata) + `,"state":` + state + `}`
	if err := json.Unmarshal([]byte(body), &view); err != nil {
		t.Fatal(err)
	}
	sub, err := submissionOf(view)
	if err != nil || sub.ID != bot.FormRequest || sub.Hidden["role"] != "x" || sub.Values["role"] != "role-7" || sub.Values["j"] != "why" || len(sub.Values) != 2 {
		t.Errorf("submission = %+v, %v", sub, err)
	}
	view.CallbackID = "someone-else"
	if _, err := submissionOf(view); err == nil {
		t.Error("a foreign modal was read as an elevate form")
	}
}
