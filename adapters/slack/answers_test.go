package slack

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/elevate-pim/elevate/bot"
)

// TestAnswerCacheServesOnlyItsOwnRendering: messages that differ in any
// field the acknowledgement shows each get their own body, equal to
// encoding that message afresh, even when they are asked for after one
// another and in any order; the cache stays within its bound.
func TestAnswerCacheServesOnlyItsOwnRendering(t *testing.T) {
	base := bot.Message{Title: "Your access", Text: "ab", Ephemeral: true, Tone: bot.ToneInfo,
		Fields:  []bot.Field{{Label: "Eligible", Value: "prod-db"}},
		Buttons: []bot.Button{{Label: "Approve", Command: "approve r-1", Style: bot.StylePrimary}}}
	variants := map[string]func(m *bot.Message){
		"base":           func(*bot.Message) {},
		"in channel":     func(m *bot.Message) { m.Ephemeral = false },
		"tone":           func(m *bot.Message) { m.Tone = bot.ToneSuccess },
		"title":          func(m *bot.Message) { m.Title = "Your access!" },
		"text":           func(m *bot.Message) { m.Text = "ac" },
		"title and text": func(m *bot.Message) { m.Title, m.Text = "Your accessa", "b" },
		"field label":    func(m *bot.Message) { m.Fields = []bot.Field{{Label: "Active", Value: "prod-db"}} },
		"field value":    func(m *bot.Message) { m.Fields = []bot.Field{{Label: "Eligible", Value: "staging"}} },
		"field split":    func(m *bot.Message) { m.Fields = []bot.Field{{Label: "Eligiblep", Value: "rod-db"}} },
		"no fields":      func(m *bot.Message) { m.Fields = nil },
		"two fields":     func(m *bot.Message) { m.Fields = append(m.Fields, bot.Field{Label: "Active", Value: "ops"}) },
		"button label": func(m *bot.Message) {
			m.Buttons = []bot.Button{{Label: "Deny", Command: "approve r-1", Style: bot.StylePrimary}}
		},
		"button command": func(m *bot.Message) {
			m.Buttons = []bot.Button{{Label: "Approve", Command: "approve r-2", Style: bot.StylePrimary}}
		},
		"button style": func(m *bot.Message) {
			m.Buttons = []bot.Button{{Label: "Approve", Command: "approve r-1", Style: bot.StyleDanger}}
		},
		"no buttons": func(m *bot.Message) { m.Buttons = nil },
	}
	var c answerCache
	bodies := map[string]string{}
	for round := range 2 {
		for name, change := range variants {
			m := base
			m.Fields, m.Buttons = append([]bot.Field(nil), base.Fields...), append([]bot.Button(nil), base.Buttons...)
			change(&m)
			got, err := c.body(m)
			if err != nil {
				t.Fatal(err)
			}
			want, err := json.Marshal(ackBody(m))
			if err != nil {
				t.Fatal(err)
			}
			var g, w any
			if json.Unmarshal(got, &g) != nil || json.Unmarshal(want, &w) != nil || !jsonEqual(g, w) {
				t.Errorf("round %d, %s: body %s, want %s", round, name, got, want)
			}
			bodies[name] = string(got)
		}
	}
	seen := map[string]string{}
	for name, b := range bodies {
		if other, ok := seen[b]; ok {
			t.Errorf("%s and %s got the same body", name, other)
		}
		seen[b] = name
	}

	big := bot.Message{Text: strings.Repeat("x", maxSectionText)}
	for i := range 3000 {
		big.Title = strings.Repeat("t", i%100) + string(rune('a'+i%26))
		if _, err := c.body(big); err != nil {
			t.Fatal(err)
		}
	}
	if c.bytes > maxAnswerBytes {
		t.Errorf("the cache holds %d bytes, more than %d", c.bytes, maxAnswerBytes)
	}
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}
