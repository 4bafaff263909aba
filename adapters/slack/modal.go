package slack

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"

	slackapi "github.com/slack-go/slack"

	"github.com/elevate-pim/elevate/bot"
	"github.com/elevate-pim/elevate/core"
)

// Modal limits and ids.
const (
	callbackForm     = "elevate:form" // callback_id of every elevate modal
	inputBlockPrefix = "elevate:in:"  // block_id of an input: the prefix and the input's name
	inputAction      = "value"        // action_id of every input element
	maxModalTitle    = 24
	maxMetadata      = 3000
	maxLabel         = 2000
	maxPlaceholder   = 150
	maxOptions       = 100
	maxOptionValue   = 150
	maxInputLen      = 3000
)

// errNotOurs marks a payload that is not an elevate modal.
var errNotOurs = errors.New("not an elevate form")

// formMeta is what a modal carries through Slack unchanged, in
// private_metadata: which form it is and the form's hidden values.
type formMeta struct {
	Form   bot.FormID        `json:"form"`
	Hidden map[string]string `json:"hidden,omitempty"`
	// Source is "channel/ts" of the posted message whose button opened the
	// modal: an answer that replaces that message edits it there.
	Source string `json:"source,omitempty"`
}

// modalOf renders a form as a modal.
func modalOf(f *bot.Form) (slackapi.ModalViewRequest, error) { return modalFrom(f, "") }

// modalFrom renders a form opened by a button of the message source.
func modalFrom(f *bot.Form, source string) (slackapi.ModalViewRequest, error) {
	meta, err := json.Marshal(formMeta{Form: f.ID, Hidden: f.Hidden, Source: source})
	if err != nil {
		return slackapi.ModalViewRequest{}, err
	}
	if len(meta) > maxMetadata {
		return slackapi.ModalViewRequest{}, errors.New("form's hidden values are too long for a modal")
	}
	title, submit := f.Title, f.Submit
	if title == "" {
		title = "elevate"
	}
	if submit == "" {
		submit = "Submit"
	}
	v := slackapi.ModalViewRequest{
		Type:            slackapi.VTModal,
		Title:           plain(title, maxModalTitle),
		Submit:          plain(submit, maxModalTitle),
		Close:           plain("Cancel", maxModalTitle),
		CallbackID:      callbackForm,
		PrivateMetadata: string(meta),
	}
	for _, in := range f.Inputs {
		v.Blocks.BlockSet = append(v.Blocks.BlockSet, inputBlock(in))
	}
	if len(v.Blocks.BlockSet) == 0 {
		return slackapi.ModalViewRequest{}, errors.New("form has no inputs")
	}
	return v, nil
}

// inputBlock renders one form input: a static_select for a choice, a
// plain_text_input otherwise.
func inputBlock(in bot.Input) *slackapi.InputBlock {
	label := in.Label
	if label == "" {
		label = in.Name
	}
	var el slackapi.BlockElement
	if in.Kind == bot.InputSelect && selectable(in.Options) {
		var opts []*slackapi.OptionBlockObject
		var initial *slackapi.OptionBlockObject
		for _, o := range in.Options[:min(len(in.Options), maxOptions)] {
			opt := slackapi.NewOptionBlockObject(o, plain(o, maxButtonLabel), nil)
			opts = append(opts, opt)
			if o == in.Value {
				initial = opt
			}
		}
		sel := slackapi.NewOptionsSelectBlockElement(slackapi.OptTypeStatic, nil, inputAction, opts...)
		sel.InitialOption = initial
		el = sel
	} else {
		t := slackapi.NewPlainTextInputBlockElement(nil, inputAction)
		t.InitialValue = truncate(in.Value, maxInputLen)
		t.Multiline = in.Kind == bot.InputLong
		if in.MaxLen > 0 {
			t.MaxLength = min(in.MaxLen, maxInputLen)
		}
		switch {
		case in.Placeholder != "":
			t.Placeholder = plain(in.Placeholder, maxPlaceholder)
		case in.Kind == bot.InputCode:
			t.Placeholder = plain("123456", maxPlaceholder)
		}
		el = t
	}
	b := slackapi.NewInputBlock(inputBlockPrefix+in.Name, plain(label, maxLabel), nil, el)
	b.Optional = !in.Required
	return b
}

// selectable reports whether options fit a static_select.
func selectable(opts []string) bool {
	return len(opts) > 0 && !slices.ContainsFunc(opts, func(o string) bool { return o == "" || len(o) > maxOptionValue })
}

// sourceOf returns the message whose button opened an elevate modal, if any.
func sourceOf(v slackapi.View) string {
	var meta formMeta
	_ = json.Unmarshal([]byte(v.PrivateMetadata), &meta)
	return meta.Source
}

// submissionOf reads a submitted elevate modal back into a bot.Submission.
func submissionOf(v slackapi.View) (bot.Submission, error) {
	if v.CallbackID != callbackForm {
		return bot.Submission{}, errNotOurs
	}
	var meta formMeta
	if err := json.Unmarshal([]byte(v.PrivateMetadata), &meta); err != nil || meta.Form == "" {
		return bot.Submission{}, errNotOurs
	}
	s := bot.Submission{ID: meta.Form, Hidden: meta.Hidden, Values: map[string]string{}}
	if s.Hidden == nil {
		s.Hidden = map[string]string{}
	}
	if v.State == nil {
		return s, nil
	}
	for blockID, actions := range v.State.Values {
		name, ok := strings.CutPrefix(blockID, inputBlockPrefix)
		if !ok || name == "" {
			continue
		}
		act, ok := actions[inputAction]
		if !ok {
			continue
		}
		value := act.Value
		if act.SelectedOption.Value != "" {
			value = act.SelectedOption.Value
		}
		s.Values[name] = value
	}
	return s, nil
}

// inputNames lists the names of a view's inputs, in order.
func inputNames(v slackapi.View) []string {
	var out []string
	for _, b := range v.Blocks.BlockSet {
		if in, ok := b.(*slackapi.InputBlock); ok {
			if name, ok := strings.CutPrefix(in.BlockID, inputBlockPrefix); ok {
				out = append(out, name)
			}
		}
	}
	if len(out) == 0 && v.State != nil {
		for blockID := range v.State.Values {
			if name, ok := strings.CutPrefix(blockID, inputBlockPrefix); ok {
				out = append(out, name)
			}
		}
		slices.Sort(out)
	}
	return out
}

// inputFor picks the input err is about, so that Slack shows it under that
// field: the input core names in the error, else the first input.
func inputFor(names []string, err error) string {
	if f := string(core.ErrorField(err)); slices.Contains(names, f) {
		return f
	}
	if len(names) > 0 {
		return names[0]
	}
	return ""
}
