package core

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// maxDuration bounds parsed durations (10 years) so arithmetic cannot overflow.
const maxDuration = 10 * 365 * 24 * time.Hour

// unitWords maps unit spellings to their length.
var unitWords = map[string]time.Duration{
	"s": time.Second, "sec": time.Second, "secs": time.Second, "second": time.Second, "seconds": time.Second,
	"m": time.Minute, "min": time.Minute, "mins": time.Minute, "minute": time.Minute, "minutes": time.Minute,
	"h": time.Hour, "hr": time.Hour, "hrs": time.Hour, "hour": time.Hour, "hours": time.Hour,
	"d": 24 * time.Hour, "day": 24 * time.Hour, "days": 24 * time.Hour,
	"w": 7 * 24 * time.Hour, "week": 7 * 24 * time.Hour, "weeks": 7 * 24 * time.Hour,
}

// ParseDuration parses the durations people type: "30m", "2h", "1h30m",
// "1d", "2 hours", "1 hour 30 minutes", "90 min". The result is positive.
func ParseDuration(s string) (time.Duration, error) {
	in := strings.ToLower(strings.TrimSpace(s))
	if in == "" {
		return 0, Invalidf(FieldDuration, "Empty duration: use a form like 30m, 2h, 1h30m or 1d.")
	}
	var total time.Duration
	rest := in
	for rest != "" {
		rest = strings.TrimLeftFunc(rest, unicode.IsSpace)
		i := 0
		for i < len(rest) && (rest[i] >= '0' && rest[i] <= '9') {
			i++
		}
		if i == 0 || i > 6 {
			return 0, Invalidf(FieldDuration, "Cannot read duration %q: use a form like 30m, 2h, 1h30m or 1d.", s)
		}
		n, _ := strconv.Atoi(rest[:i])
		rest = strings.TrimLeftFunc(rest[i:], unicode.IsSpace)
		j := 0
		for j < len(rest) && rest[j] >= 'a' && rest[j] <= 'z' {
			j++
		}
		unit, ok := unitWords[rest[:j]]
		if !ok {
			return 0, Invalidf(FieldDuration, "Cannot read duration %q: unknown unit %q.", s, rest[:j])
		}
		rest = rest[j:]
		total += time.Duration(n) * unit
		if total > maxDuration {
			return 0, Invalidf(FieldDuration, "Duration %q is too long.", s)
		}
	}
	if total <= 0 {
		return 0, Invalidf(FieldDuration, "Duration %q must be longer than zero.", s)
	}
	return total, nil
}

// FormatDuration renders d compactly for people: "2h", "1h30m", "1d2h", "45s".
func FormatDuration(d time.Duration) string {
	if d <= 0 {
		return "0m"
	}
	if d < time.Minute {
		return fmt.Sprintf("%ds", int(d.Round(time.Second)/time.Second))
	}
	d = d.Round(time.Minute)
	days, d := d/(24*time.Hour), d%(24*time.Hour)
	hours, d := d/time.Hour, d%time.Hour
	mins := d / time.Minute
	var b strings.Builder
	if days > 0 {
		fmt.Fprintf(&b, "%dd", days)
	}
	if hours > 0 {
		fmt.Fprintf(&b, "%dh", hours)
	}
	if mins > 0 {
		fmt.Fprintf(&b, "%dm", mins)
	}
	return b.String()
}
