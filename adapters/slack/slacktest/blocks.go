package slacktest

import (
	"encoding/json"
	"sort"
)

// Button is an interactive button found in Block Kit JSON.
type Button struct {
	BlockID  string
	ActionID string
	Value    string
	Text     string
	Style    string
}

// Text is one text object (plain_text or mrkdwn) found in Block Kit JSON.
type Text struct {
	Type string
	Text string
}

// Input is an input block of a modal.
type Input struct {
	BlockID     string
	ActionID    string
	Element     string // plain_text_input, static_select, ...
	Optional    bool
	Initial     string // initial_value, or the initial option's value
	Options     []string
	Multiline   bool
	MaxLength   int
	LabelText   string
	Placeholder string
}

// Buttons returns the buttons in raw, a message's blocks or a view, in order.
func Buttons(raw json.RawMessage) []Button {
	var out []Button
	walk(decode(raw), "", func(blockID string, m map[string]any) {
		if m["type"] != "button" {
			return
		}
		b := Button{BlockID: blockID, ActionID: str(m["action_id"]), Value: str(m["value"]), Style: str(m["style"])}
		if t, ok := m["text"].(map[string]any); ok {
			b.Text = str(t["text"])
		}
		out = append(out, b)
	})
	return out
}

// Texts returns every text object in raw, in order.
func Texts(raw json.RawMessage) []Text {
	var out []Text
	walk(decode(raw), "", func(_ string, m map[string]any) {
		typ := str(m["type"])
		if s, ok := m["text"].(string); ok && (typ == "plain_text" || typ == "mrkdwn") {
			out = append(out, Text{Type: typ, Text: s})
		}
	})
	return out
}

// Inputs returns the input blocks of a view, in order.
func Inputs(view json.RawMessage) []Input {
	var out []Input
	walk(decode(view), "", func(blockID string, m map[string]any) {
		if m["type"] != "input" {
			return
		}
		in := Input{BlockID: str(m["block_id"])}
		in.Optional, _ = m["optional"].(bool)
		if l, ok := m["label"].(map[string]any); ok {
			in.LabelText = str(l["text"])
		}
		el, _ := m["element"].(map[string]any)
		in.ActionID, in.Element = str(el["action_id"]), str(el["type"])
		in.Initial = str(el["initial_value"])
		in.Multiline, _ = el["multiline"].(bool)
		if n, ok := el["max_length"].(float64); ok {
			in.MaxLength = int(n)
		}
		if p, ok := el["placeholder"].(map[string]any); ok {
			in.Placeholder = str(p["text"])
		}
		if o, ok := el["initial_option"].(map[string]any); ok {
			in.Initial = str(o["value"])
		}
		if opts, ok := el["options"].([]any); ok {
			for _, o := range opts {
				if om, ok := o.(map[string]any); ok {
					in.Options = append(in.Options, str(om["value"]))
				}
			}
		}
		out = append(out, in)
	})
	return out
}

func decode(raw json.RawMessage) any {
	var v any
	_ = json.Unmarshal(raw, &v)
	return v
}

// walk calls f on every object in v, with the block_id of the block it is in.
func walk(v any, blockID string, f func(blockID string, m map[string]any)) {
	switch x := v.(type) {
	case map[string]any:
		if id, ok := x["block_id"].(string); ok {
			blockID = id
		}
		f(blockID, x)
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			walk(x[k], blockID, f)
		}
	case []any:
		for _, c := range x {
			walk(c, blockID, f)
		}
	}
}

func str(v any) string {
	s, _ := v.(string)
	return s
}
