package bot_test

import (
	"strings"
	"testing"
	"time"

	"github.com/elevate-pim/elevate/bot"
	"github.com/elevate-pim/elevate/core"
)

func TestParseWhen(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Time
	}{
		{"now", now},
		{" NOW ", now},
		{"in 30m", at(3, 10, 11, 0)},
		{"in 1 hour 30 minutes", at(3, 10, 12, 0)},
		{"14:00", at(3, 10, 14, 0)},
		{"9:30", at(3, 11, 9, 30)}, // already passed today: tomorrow
		{"10:30", now},             // exactly now: today
		{"today 10:31", at(3, 10, 10, 31)},
		{"tomorrow 09:00", at(3, 11, 9, 0)},
		{"2026-11-23 09:00", at(11, 23, 9, 0)},
		{"2026-11-23T09:00", at(11, 23, 9, 0)},
		{"2026-11-23T09:00:00Z", at(11, 23, 10, 0)},
	} {
		got, err := bot.ParseWhen(tc.in, now, cet)
		if err != nil {
			t.Errorf("ParseWhen(%q): %v", tc.in, err)
			continue
		}
		if !got.Equal(tc.want) || got.Location() != cet {
			t.Errorf("ParseWhen(%q) = %v, want %v in CET", tc.in, got, tc.want)
		}
	}
}

func TestParseWhenErrors(t *testing.T) {
	for _, tc := range []struct{ in, msg string }{
		{"", "Empty start time"},
		{"   ", "Empty start time"},
		{"in", "Empty duration"},
		{"in soon", `Cannot read duration "soon"`},
		{"now please", `Unexpected "please" after the start time`},
		{"14:00 sharp", `Unexpected "sharp" after the start time`},
		{"today 09:00", "The start time 2026-03-10 09:00 CET is in the past."},
		{"2026-03-10T10:29:59+01:00", "in the past"},
		{"2026-11-23", "Give a time of day with the date"},
		{"someday", `Cannot read time "someday"`},
		{"\xff", "Cannot read the start time"},
		{strings.Repeat("1", 101), "Cannot read the start time"},
	} {
		_, err := bot.ParseWhen(tc.in, now, cet)
		if core.ErrorCode(err) != core.EINVALID || !strings.Contains(core.ErrorMessage(err), tc.msg) {
			t.Errorf("ParseWhen(%q) error = %v, want EINVALID containing %q", tc.in, err, tc.msg)
		}
	}
}

// Across a daylight-saving change, "tomorrow 09:00" is 09:00 on the wall
// clock, not 24 hours after today's 09:00.
func TestParseWhenAcrossDST(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip("no tz database:", err)
	}
	before := time.Date(2026, 3, 28, 12, 0, 0, 0, berlin) // clocks go forward on the 29th
	got, err := bot.ParseWhen("tomorrow 09:00", before, berlin)
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2026, 3, 29, 9, 0, 0, 0, berlin); !got.Equal(want) {
		t.Errorf("got %v, want %v", got, want)
	}
	got, err = bot.ParseWhen("11:00", before, berlin) // passed: tomorrow's 11:00, 22 h later
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2026, 3, 29, 11, 0, 0, 0, berlin); !got.Equal(want) || got.Sub(before) != 22*time.Hour {
		t.Errorf("got %v (in %v), want %v", got, got.Sub(before), want)
	}
}
