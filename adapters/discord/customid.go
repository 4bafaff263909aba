package discord

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/bwmarrin/discordgo"

	"github.com/elevate-pim/elevate/bot"
	"github.com/elevate-pim/elevate/core"
)

// Custom ids carry what a click or a submitted modal is about: a button's
// command ("elevate:approve r-7k2qx9") or a form's id and hidden values
// ("elevate-form:deny?request=r-7k2qx9"). They are ids, never authority:
// Discord hands them back as the client sent them, and core authorizes
// every action again.
const (
	maxCustomID   = 100
	commandPrefix = "elevate:"
	formPrefix    = "elevate-form:"
)

// Discord's limits on modals.
const (
	maxModalTitle   = 45
	maxInputLabel   = 45
	maxPlaceholder  = 100
	maxInputValue   = 4000
	maxModalInputs  = 5
	defaultCodeSize = 8
)

// commandCustomID is the custom id of a button that runs command.
func commandCustomID(command string) string { return commandPrefix + command }

// formCustomID is the custom id of a modal (or of the button opening it)
// for form id with its hidden values.
func formCustomID(id bot.FormID, hidden map[string]string) (string, error) {
	v := url.Values{}
	for k, val := range hidden {
		v.Set(k, val)
	}
	s := formPrefix + string(id)
	if len(v) > 0 {
		s += "?" + v.Encode()
	}
	if len(s) > maxCustomID {
		return "", fmt.Errorf("discord: custom id of form %s is %d bytes, over Discord's %d", id, len(s), maxCustomID)
	}
	return s, nil
}

// parseFormCustomID reads a custom id made by formCustomID.
func parseFormCustomID(s string) (bot.FormID, map[string]string, bool) {
	rest, ok := strings.CutPrefix(s, formPrefix)
	if !ok || len(s) > maxCustomID {
		return "", nil, false
	}
	id, query, _ := strings.Cut(rest, "?")
	v, err := url.ParseQuery(query)
	if err != nil || id == "" {
		return "", nil, false
	}
	hidden := map[string]string{}
	for k := range v {
		hidden[k] = v.Get(k)
	}
	return bot.FormID(id), hidden, true
}

// modal is the response that opens form f.
func modal(f *bot.Form) (*discordgo.InteractionResponse, error) {
	id, err := formCustomID(f.ID, f.Hidden)
	if err != nil {
		return nil, err
	}
	var inputs []discordgo.MessageComponent
	for _, in := range f.Inputs {
		if in.Kind == bot.InputSelect {
			// Modals hold text inputs; a select (the role of a request
			// form) is already fixed by the command and carried as hidden.
			continue
		}
		if len(inputs) == maxModalInputs {
			return nil, fmt.Errorf("discord: form %s has more than %d inputs", f.ID, maxModalInputs)
		}
		ti := discordgo.TextInput{
			CustomID:    in.Name,
			Label:       truncate(in.Label, maxInputLabel),
			Style:       discordgo.TextInputShort,
			Placeholder: truncate(in.Placeholder, maxPlaceholder),
			Value:       truncate(in.Value, maxInputValue),
			Required:    in.Required,
			MaxLength:   min(in.MaxLen, maxInputValue),
		}
		switch in.Kind {
		case bot.InputLong:
			ti.Style = discordgo.TextInputParagraph
		case bot.InputCode:
			ti.MinLength = 6
			if ti.MaxLength == 0 {
				ti.MaxLength = defaultCodeSize
			}
		}
		if ti.Label == "" {
			ti.Label = truncate(in.Name, maxInputLabel)
		}
		inputs = append(inputs, discordgo.ActionsRow{Components: []discordgo.MessageComponent{ti}})
	}
	title := truncate(f.Title, maxModalTitle)
	if title == "" {
		title = "elevate"
	}
	return &discordgo.InteractionResponse{Type: discordgo.InteractionResponseModal,
		Data: &discordgo.InteractionResponseData{CustomID: id, Title: title, Components: inputs}}, nil
}

// submission reads a submitted modal.
func submission(d discordgo.ModalSubmitInteractionData) (bot.Submission, error) {
	id, hidden, ok := parseFormCustomID(d.CustomID)
	if !ok {
		return bot.Submission{}, core.Errorf(core.EINVALID, "This form is not one of elevate's; run the command again.")
	}
	values := map[string]string{}
	for _, c := range d.Components {
		var row []discordgo.MessageComponent
		switch r := c.(type) {
		case *discordgo.ActionsRow:
			row = r.Components
		case discordgo.ActionsRow:
			row = r.Components
		}
		for _, in := range row {
			switch t := in.(type) {
			case *discordgo.TextInput:
				values[t.CustomID] = t.Value
			case discordgo.TextInput:
				values[t.CustomID] = t.Value
			}
		}
	}
	return bot.Submission{ID: id, Hidden: hidden, Values: values}, nil
}

// codeForm asks for the MFA code of a request that waits for it. It
// mirrors the bot's own code form, which a posted message cannot carry:
// the bot offers no command that returns it.
func codeForm(requestID string) *bot.Form {
	return &bot.Form{ID: bot.FormCode, Title: "MFA code", Submit: "Verify", Hidden: map[string]string{"request": requestID},
		Inputs: []bot.Input{{Name: "code", Label: "MFA code from your authenticator app", Kind: bot.InputCode, Required: true, MaxLen: defaultCodeSize}}}
}
