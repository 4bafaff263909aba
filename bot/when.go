package bot

import (
	"strings"
	"time"
	"unicode/utf8"

	"github.com/elevate-pim/elevate/core"
)

// timeHint is appended to every "cannot read" message so that the user sees
// the accepted forms instead of guessing again.
const timeHint = "use a form like 14:00, tomorrow 09:00, 2026-11-23 09:00 or 2026-11-23T09:00:00+01:00"

// maxWhenBytes bounds the text ParseWhen accepts; a start time is a few
// tokens, and the bound keeps error messages that quote the input short.
const maxWhenBytes = 100

// lean says which occurrence a bare clock time ("14:00") means. A start or an
// end lies ahead of the user, so the next 14:00; an audit bound looks back,
// so the last 14:00 ("audit since 22:00" at 09:00 means last night).
type lean int

const (
	leanFuture lean = iota
	leanPast
)

// ParseWhen parses a start time typed as text, as a request form collects it:
// "now", "in 30m" / "in 1 hour 30 minutes", "14:00" or "9:30" (the next
// time the clock shows it in loc), "today 14:00", "tomorrow 09:00",
// "2026-11-23 09:00", "2026-11-23T09:00" (both in loc) or full RFC3339.
// A time before now is an error: an activation cannot start in the past.
// A nil loc means now's location.
func ParseWhen(s string, now time.Time, loc *time.Location) (time.Time, error) {
	if loc == nil {
		loc = now.Location()
	}
	if len(s) > maxWhenBytes || !utf8.ValidString(s) {
		return time.Time{}, core.Errorf(core.EINVALID, "Cannot read the start time: %s.", timeHint)
	}
	fields := strings.Fields(s)
	if len(fields) == 0 {
		return time.Time{}, core.Errorf(core.EINVALID, "Empty start time: %s, or in 30m.", timeHint)
	}
	switch asciiLower(fields[0]) {
	case "now":
		if len(fields) > 1 {
			return time.Time{}, core.Errorf(core.EINVALID, "Unexpected %s after the start time: %s.", quote(fields[1]), timeHint)
		}
		return now.In(loc), nil
	case "in":
		d, err := core.ParseDuration(strings.Join(fields[1:], " "))
		if err != nil {
			return time.Time{}, err
		}
		return now.Add(d).In(loc), nil
	}
	t, n, err := parseTime(fields, now, loc, leanFuture, false)
	if err != nil {
		return time.Time{}, err
	}
	if n != len(fields) {
		return time.Time{}, core.Errorf(core.EINVALID, "Unexpected %s after the start time: %s.", quote(fields[n]), timeHint)
	}
	if err := notPast("start time", t, now); err != nil {
		return time.Time{}, err
	}
	return t, nil
}

// parseTime reads a point in time from the first one or two fields and
// reports how many it used. dateOnly allows a bare YYYY-MM-DD (midnight in
// loc), which suits assignment and audit bounds but not an activation start,
// where midnight is rarely what anyone means.
func parseTime(fields []string, now time.Time, loc *time.Location, l lean, dateOnly bool) (time.Time, int, error) {
	first := fields[0]
	day := now.In(loc)
	switch w := asciiLower(first); w {
	case "today", "tomorrow":
		if len(fields) < 2 {
			return time.Time{}, 0, core.Errorf(core.EINVALID, "Give a time of day after %s, e.g. %s 09:00.", w, w)
		}
		h, m, ok := parseClock(fields[1])
		if !ok {
			return time.Time{}, 0, core.Errorf(core.EINVALID, "Cannot read time %s after %s: use HH:MM, e.g. %s 09:00.", quote(fields[1]), w, w)
		}
		offset := 0
		if w == "tomorrow" {
			offset = 1
		}
		return time.Date(day.Year(), day.Month(), day.Day()+offset, h, m, 0, 0, loc), 2, nil
	}
	if h, m, ok := parseClock(first); ok {
		return resolveClock(h, m, day, loc, l), 1, nil
	}
	up := asciiUpper(first) // RFC 3339 allows a lowercase "t" and "z"
	if d, err := time.ParseInLocation(time.DateOnly, up, loc); err == nil {
		if len(fields) > 1 {
			if h, m, ok := parseClock(fields[1]); ok {
				return time.Date(d.Year(), d.Month(), d.Day(), h, m, 0, 0, loc), 2, nil
			}
		}
		if dateOnly {
			return d, 1, nil
		}
		return time.Time{}, 0, core.Errorf(core.EINVALID, "Give a time of day with the date, e.g. %s 09:00.", first)
	}
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05"} {
		if t, err := time.ParseInLocation(layout, up, loc); err == nil {
			return t, 1, nil
		}
	}
	if t, err := time.Parse(time.RFC3339, up); err == nil {
		return t.In(loc), 1, nil
	}
	return time.Time{}, 0, core.Errorf(core.EINVALID, "Cannot read time %s: %s.", quote(first), timeHint)
}

// parseClock reads a 24-hour "H:MM" or "HH:MM". Minutes always take two
// digits so that "9:3" is not silently read as 09:03.
func parseClock(s string) (hour, minute int, ok bool) {
	hh, mm, found := strings.Cut(s, ":")
	if !found || len(hh) < 1 || len(hh) > 2 || len(mm) != 2 || !isDigits(hh) || !isDigits(mm) {
		return 0, 0, false
	}
	hour = int(hh[0] - '0')
	if len(hh) == 2 {
		hour = hour*10 + int(hh[1]-'0')
	}
	minute = int(mm[0]-'0')*10 + int(mm[1]-'0')
	if hour > 23 || minute > 59 {
		return 0, 0, false
	}
	return hour, minute, true
}

// resolveClock places a clock time on the day it most likely means: today,
// or the next (leanFuture) or previous (leanPast) day when today's occurrence
// lies on the wrong side of now. day is now in loc.
func resolveClock(hour, minute int, day time.Time, loc *time.Location, l lean) time.Time {
	t := time.Date(day.Year(), day.Month(), day.Day(), hour, minute, 0, 0, loc)
	switch {
	case l == leanFuture && t.Before(day):
		t = time.Date(day.Year(), day.Month(), day.Day()+1, hour, minute, 0, 0, loc)
	case l == leanPast && t.After(day):
		t = time.Date(day.Year(), day.Month(), day.Day()-1, hour, minute, 0, 0, loc)
	}
	return t
}

// notPast rejects a time before now, naming it the way the user sees it.
func notPast(what string, t, now time.Time) error {
	if t.Before(now) {
		return core.Errorf(core.EINVALID, "The %s %s is in the past.", what, formatTime(t))
	}
	return nil
}

// formatTime renders a time in messages, in the location it was read in.
func formatTime(t time.Time) string {
	return t.Format("2006-01-02 15:04 MST")
}
