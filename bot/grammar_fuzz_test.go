package bot_test

import (
	"regexp"
	"testing"
	"unicode/utf8"

	"github.com/elevate-pim/elevate/bot"
	"github.com/elevate-pim/elevate/core"
)

// fuzzRolePattern restates the role shape so the fuzz target checks Parse
// against the contract rather than against the implementation's own regexp.
var fuzzRolePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._@-]{0,62}$`)

var verbs = map[bot.Verb]bool{
	bot.VerbMenu: true, bot.VerbRequest: true, bot.VerbStatus: true, bot.VerbDrop: true,
	bot.VerbExtend: true, bot.VerbCancel: true, bot.VerbApprove: true, bot.VerbDeny: true,
	bot.VerbWho: true, bot.VerbAssign: true, bot.VerbUnassign: true, bot.VerbMFAEnroll: true,
	bot.VerbMFAVerify: true, bot.VerbCode: true, bot.VerbAudit: true, bot.VerbHelp: true, bot.VerbConvert: true,
	bot.VerbHelpAlerts: true, bot.VerbAlerts: true, bot.VerbAlertDismiss: true, bot.VerbAlertAck: true, bot.VerbAlertRevoke: true, bot.VerbAlertRemove: true, bot.VerbAnchor: true,
	bot.VerbReviews: true, bot.VerbReview: true, bot.VerbReviewDecide: true, bot.VerbReviewAccept: true,
	bot.VerbReviewStart: true, bot.VerbReviewStop: true, bot.VerbReviewReport: true, bot.VerbReviewApply: true,
}

// FuzzParse checks the invariants every caller relies on, whatever a user
// (or a replayed payload) types.
func FuzzParse(f *testing.F) {
	for _, tc := range parseCases {
		f.Add(tc.in)
	}
	for _, tc := range errorCases {
		f.Add(tc.in)
	}
	f.Fuzz(func(t *testing.T, in string) {
		c, err := bot.Parse(in, now, cet)
		if err != nil {
			if core.ErrorCode(err) != core.EINVALID {
				t.Fatalf("Parse(%q): code %q, want %q: %v", in, core.ErrorCode(err), core.EINVALID, err)
			}
			return
		}
		if !verbs[c.Verb] {
			t.Fatalf("Parse(%q): unknown verb %q", in, c.Verb)
		}
		if c.Verb == bot.VerbRequest && !fuzzRolePattern.MatchString(c.Role) {
			t.Fatalf("Parse(%q): request for role %q", in, c.Role)
		}
		if n := utf8.RuneCountInString(c.Text); n > bot.MaxTextChars {
			t.Fatalf("Parse(%q): text of %d characters", in, n)
		}
		if c.Duration < 0 {
			t.Fatalf("Parse(%q): negative duration %v", in, c.Duration)
		}
		for _, r := range c.Code {
			if r < '0' || r > '9' {
				t.Fatalf("Parse(%q): code %q is not all digits", in, c.Code)
			}
		}
		if !c.Start.IsZero() && c.Verb == bot.VerbRequest && c.Start.Before(now) {
			t.Fatalf("Parse(%q): start %v before now", in, c.Start)
		}
		if c.RequestID != "" && !bot.IsRequestID(c.RequestID) {
			t.Fatalf("Parse(%q): request id %q", in, c.RequestID)
		}
	})
}

// FuzzParseWhen checks that a start time typed into a form never panics and
// never lands in the past.
func FuzzParseWhen(f *testing.F) {
	for _, s := range []string{"now", "in 30m", "14:00", "9:30", "tomorrow 09:00", "today 23:59",
		"2026-11-23 09:00", "2026-11-23T09:00", "2026-11-23T09:00:00Z", "in 1 hour 30 minutes", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, err := bot.ParseWhen(in, now, cet)
		if err != nil {
			if core.ErrorCode(err) != core.EINVALID {
				t.Fatalf("ParseWhen(%q): %v", in, err)
			}
			return
		}
		if got.Before(now) {
			t.Fatalf("ParseWhen(%q) = %v, before now", in, got)
		}
	})
}
