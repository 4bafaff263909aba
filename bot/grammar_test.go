package bot_test

import (
	"strings"
	"testing"
	"time"

	"github.com/elevate-pim/elevate/bot"
	"github.com/elevate-pim/elevate/core"
)

// cet is deliberately not UTC, so that a parser which resolved times in UTC
// would be caught by the exact Start values below.
var cet = time.FixedZone("CET", 3600)

// now is Tuesday 2026-03-10 10:30 CET: 09:30 has passed today, 14:00 has not.
var now = time.Date(2026, 3, 10, 10, 30, 0, 0, cet)

// at is a wall-clock time in cet.
func at(mo time.Month, d, h, mi int) time.Time {
	return time.Date(2026, mo, d, h, mi, 0, 0, cet)
}

// parseCases are the accepted forms. FuzzParse seeds from them too.
var parseCases = []struct {
	in   string
	want bot.Command
}{
	// menu, help, status
	{"", bot.Command{Verb: bot.VerbMenu}},
	{"   \t ", bot.Command{Verb: bot.VerbMenu}},
	{"/elevate", bot.Command{Verb: bot.VerbMenu}},
	{" /ELEVATE  ", bot.Command{Verb: bot.VerbMenu}},
	{"help", bot.Command{Verb: bot.VerbHelp}},
	{"HELP", bot.Command{Verb: bot.VerbHelp}},
	{"status", bot.Command{Verb: bot.VerbStatus}},
	{"/elevate  Status ", bot.Command{Verb: bot.VerbStatus}},

	// request
	{"prod-db", bot.Command{Verb: bot.VerbRequest, Role: "prod-db"}},
	{"Prod-DB", bot.Command{Verb: bot.VerbRequest, Role: "prod-db"}},
	{"owner@billing-prod", bot.Command{Verb: bot.VerbRequest, Role: "owner@billing-prod"}},
	{"/elevate prod-db for 2h INC-4411 fixing replication lag",
		bot.Command{Verb: bot.VerbRequest, Role: "prod-db", Duration: 2 * time.Hour, Ticket: "INC-4411", Text: "fixing replication lag"}},
	{"prod-db for 2 hours fixing", bot.Command{Verb: bot.VerbRequest, Role: "prod-db", Duration: 2 * time.Hour, Text: "fixing"}},
	{"prod-db for 1 hour 30 minutes lag", bot.Command{Verb: bot.VerbRequest, Role: "prod-db", Duration: 90 * time.Minute, Text: "lag"}},
	{"prod-db FOR 1h30m", bot.Command{Verb: bot.VerbRequest, Role: "prod-db", Duration: 90 * time.Minute}},
	{"prod-db for 1d", bot.Command{Verb: bot.VerbRequest, Role: "prod-db", Duration: 24 * time.Hour}},
	{"prod-db for 90m", bot.Command{Verb: bot.VerbRequest, Role: "prod-db", Duration: 90 * time.Minute}},
	{"prod-db for 2h 30m", bot.Command{Verb: bot.VerbRequest, Role: "prod-db", Duration: 150 * time.Minute}},
	{"prod-db for 2h 5 servers down", bot.Command{Verb: bot.VerbRequest, Role: "prod-db", Duration: 2 * time.Hour, Text: "5 servers down"}},
	{"prod-db INC-4411 for 2h at 14:00 code 123456   fixing  the\tlag  ",
		bot.Command{Verb: bot.VerbRequest, Role: "prod-db", Duration: 2 * time.Hour, Start: at(3, 10, 14, 0), Ticket: "INC-4411", Code: "123456", Text: "fixing  the\tlag"}},
	{"prod-db at 14:00", bot.Command{Verb: bot.VerbRequest, Role: "prod-db", Start: at(3, 10, 14, 0)}},
	{"prod-db at 9:30", bot.Command{Verb: bot.VerbRequest, Role: "prod-db", Start: at(3, 11, 9, 30)}},   // passed: tomorrow
	{"prod-db at 10:29", bot.Command{Verb: bot.VerbRequest, Role: "prod-db", Start: at(3, 11, 10, 29)}}, // a minute ago: tomorrow
	{"prod-db at 10:30", bot.Command{Verb: bot.VerbRequest, Role: "prod-db", Start: at(3, 10, 10, 30)}}, // exactly now: today
	{"prod-db at 00:00", bot.Command{Verb: bot.VerbRequest, Role: "prod-db", Start: at(3, 11, 0, 0)}},
	{"prod-db at 2026-11-23T09:00", bot.Command{Verb: bot.VerbRequest, Role: "prod-db", Start: at(11, 23, 9, 0)}},
	{"prod-db at 2026-11-23t09:00:30", bot.Command{Verb: bot.VerbRequest, Role: "prod-db", Start: at(11, 23, 9, 0).Add(30 * time.Second)}},
	{"prod-db at 2026-11-23 09:00 migration", bot.Command{Verb: bot.VerbRequest, Role: "prod-db", Start: at(11, 23, 9, 0), Text: "migration"}},
	{"prod-db at 2026-11-23T09:00:00Z", bot.Command{Verb: bot.VerbRequest, Role: "prod-db", Start: at(11, 23, 10, 0)}},
	{"prod-db at 2026-11-23T09:00:00+05:00", bot.Command{Verb: bot.VerbRequest, Role: "prod-db", Start: at(11, 23, 5, 0)}},
	{"prod-db at tomorrow 09:00", bot.Command{Verb: bot.VerbRequest, Role: "prod-db", Start: at(3, 11, 9, 0)}},
	{"prod-db at Tomorrow 23:59 x", bot.Command{Verb: bot.VerbRequest, Role: "prod-db", Start: at(3, 11, 23, 59), Text: "x"}},
	{"prod-db at today 23:59", bot.Command{Verb: bot.VerbRequest, Role: "prod-db", Start: at(3, 10, 23, 59)}},
	{"prod-db in 30m", bot.Command{Verb: bot.VerbRequest, Role: "prod-db", Start: at(3, 10, 11, 0)}},
	{"prod-db in 1 hour 30 minutes for 1h", bot.Command{Verb: bot.VerbRequest, Role: "prod-db", Duration: time.Hour, Start: at(3, 10, 12, 0)}},
	{"prod-db ticket abc/def-1 x", bot.Command{Verb: bot.VerbRequest, Role: "prod-db", Ticket: "abc/def-1", Text: "x"}},
	{"prod-db Ticket INC-1", bot.Command{Verb: bot.VerbRequest, Role: "prod-db", Ticket: "INC-1"}},
	{"prod-db ticket " + strings.Repeat("t", 64), bot.Command{Verb: bot.VerbRequest, Role: "prod-db", Ticket: strings.Repeat("t", 64)}},
	{"prod-db OPS-7", bot.Command{Verb: bot.VerbRequest, Role: "prod-db", Ticket: "OPS-7"}},
	{"prod-db inc-4411 fixing", bot.Command{Verb: bot.VerbRequest, Role: "prod-db", Text: "inc-4411 fixing"}},         // lowercase: not a ticket
	{"prod-db I-1 fixing", bot.Command{Verb: bot.VerbRequest, Role: "prod-db", Text: "I-1 fixing"}},                   // one-letter project: not a ticket
	{"prod-db code 12345678", bot.Command{Verb: bot.VerbRequest, Role: "prod-db", Code: "12345678"}},                  // 8-digit TOTP
	{"prod-db fixing for 2h INC-1", bot.Command{Verb: bot.VerbRequest, Role: "prod-db", Text: "fixing for 2h INC-1"}}, // options only before the text
	{"prod-db for 2h\nline one\r\nline two", bot.Command{Verb: bot.VerbRequest, Role: "prod-db", Duration: 2 * time.Hour, Text: "line one line two"}},
	{"prod-db " + strings.Repeat("é", 500), bot.Command{Verb: bot.VerbRequest, Role: "prod-db", Text: strings.Repeat("é", 500)}}, // the limit counts characters
	{"r-abcd", bot.Command{Verb: bot.VerbRequest, Role: "r-abcd"}},
	{"menu", bot.Command{Verb: bot.VerbRequest, Role: "menu"}},

	// drop, cancel, extend
	{"drop prod-db", bot.Command{Verb: bot.VerbDrop, Role: "prod-db"}},
	{"Drop r-abc123", bot.Command{Verb: bot.VerbDrop, RequestID: "r-abc123"}},
	{"drop R-ABC123", bot.Command{Verb: bot.VerbDrop, RequestID: "r-abc123"}},
	{"drop r-abc", bot.Command{Verb: bot.VerbDrop, Role: "r-abc"}}, // too short for an id
	{"cancel r-abcd", bot.Command{Verb: bot.VerbCancel, RequestID: "r-abcd"}},
	{"cancel prod-db", bot.Command{Verb: bot.VerbCancel, Role: "prod-db"}},
	{"extend prod-db by 1h", bot.Command{Verb: bot.VerbExtend, Role: "prod-db", Duration: time.Hour}},
	{"extend r-abcd for 30m", bot.Command{Verb: bot.VerbExtend, RequestID: "r-abcd", Duration: 30 * time.Minute}},
	{"extend prod-db 2 hours", bot.Command{Verb: bot.VerbExtend, Role: "prod-db", Duration: 2 * time.Hour}},
	{"EXTEND Prod-Db BY 1 hour 30 minutes", bot.Command{Verb: bot.VerbExtend, Role: "prod-db", Duration: 90 * time.Minute}},

	// approve, deny, who
	{"approve r-abcd", bot.Command{Verb: bot.VerbApprove, RequestID: "r-abcd"}},
	{"approve r-0123456789ab", bot.Command{Verb: bot.VerbApprove, RequestID: "r-0123456789ab"}},
	{"deny r-abcd", bot.Command{Verb: bot.VerbDeny, RequestID: "r-abcd"}},
	{"deny r-abcd  not during the freeze ", bot.Command{Verb: bot.VerbDeny, RequestID: "r-abcd", Text: "not during the freeze"}},
	{"who prod-db", bot.Command{Verb: bot.VerbWho, Role: "prod-db"}},
	{"WHO Owner@Billing-Prod", bot.Command{Verb: bot.VerbWho, Role: "owner@billing-prod"}},

	// assign, unassign
	{"assign alice@example.com prod-db", bot.Command{Verb: bot.VerbAssign, Principal: "alice@example.com", Role: "prod-db", Kind: core.Eligible}},
	{"assign <@U123ABC> Prod-DB active for 8h",
		bot.Command{Verb: bot.VerbAssign, Principal: "<@U123ABC>", Role: "prod-db", Kind: core.Active, Duration: 8 * time.Hour}},
	{"assign alice prod-db for 1 week eligible", bot.Command{Verb: bot.VerbAssign, Principal: "alice", Role: "prod-db", Kind: core.Eligible, Duration: 7 * 24 * time.Hour}},
	{"assign alice prod-db eligible until 2026-12-31",
		bot.Command{Verb: bot.VerbAssign, Principal: "alice", Role: "prod-db", Kind: core.Eligible, Until: time.Date(2026, 12, 31, 0, 0, 0, 0, cet)}},
	{"assign alice prod-db permanent ACTIVE", bot.Command{Verb: bot.VerbAssign, Principal: "alice", Role: "prod-db", Kind: core.Active, Permanent: true}},
	{"assign alice prod-db from 2026-04-01 until 2026-05-01 09:00",
		bot.Command{Verb: bot.VerbAssign, Principal: "alice", Role: "prod-db", Kind: core.Eligible, Start: at(4, 1, 0, 0), Until: at(5, 1, 9, 0)}},
	{"assign alice prod-db until 09:00", bot.Command{Verb: bot.VerbAssign, Principal: "alice", Role: "prod-db", Kind: core.Eligible, Until: at(3, 11, 9, 0)}},
	{"assign alice prod-db from tomorrow 08:00 for 2d",
		bot.Command{Verb: bot.VerbAssign, Principal: "alice", Role: "prod-db", Kind: core.Eligible, Start: at(3, 11, 8, 0), Duration: 48 * time.Hour}},
	{"assign alice prod-db until 2026-12-31T18:00:00Z",
		bot.Command{Verb: bot.VerbAssign, Principal: "alice", Role: "prod-db", Kind: core.Eligible, Until: at(12, 31, 19, 0)}},
	{"unassign alice prod-db", bot.Command{Verb: bot.VerbUnassign, Principal: "alice", Role: "prod-db", Kind: core.Eligible}},
	{"unassign alice prod-db active", bot.Command{Verb: bot.VerbUnassign, Principal: "alice", Role: "prod-db", Kind: core.Active}},
	{"alerts", bot.Command{Verb: bot.VerbAlerts}},
	{"help alerts", bot.Command{Verb: bot.VerbHelpAlerts}},
	{"audit anchor", bot.Command{Verb: bot.VerbAnchor}},
	{"alerts dismiss a-abcd2345 accepted until the migration ends", bot.Command{Verb: bot.VerbAlertDismiss, AlertID: "a-abcd2345", Text: "accepted until the migration ends"}},
	{"alerts dismiss A-ABCD2345", bot.Command{Verb: bot.VerbAlertDismiss, AlertID: "a-abcd2345"}},
	{"alerts ack a-abcd2345", bot.Command{Verb: bot.VerbAlertAck, AlertID: "a-abcd2345"}},
	{"alerts revoke a-abcd2345", bot.Command{Verb: bot.VerbAlertRevoke, AlertID: "a-abcd2345"}},
	{"alerts remove a-abcd2345 U0EXTRA", bot.Command{Verb: bot.VerbAlertRemove, AlertID: "a-abcd2345", Principal: "U0EXTRA"}},
	{"convert alice prod-db", bot.Command{Verb: bot.VerbConvert, Principal: "alice", Role: "prod-db", Kind: core.Active}},
	{"reviews", bot.Command{Verb: bot.VerbReviews}},
	{"review rv-7k2m9q", bot.Command{Verb: bot.VerbReview, ReviewID: "rv-7k2m9q", Page: 1}},
	{"review RV-db-weekly-20270104 page 2", bot.Command{Verb: bot.VerbReview, ReviewID: "rv-db-weekly-20270104", Page: 2}},
	{"review keep rv-7k2m9q 12", bot.Command{Verb: bot.VerbReviewDecide, ReviewID: "rv-7k2m9q", Item: 12, Decision: core.DecisionKeep}},
	{"review remove rv-7k2m9q 3 left the team", bot.Command{Verb: bot.VerbReviewDecide, ReviewID: "rv-7k2m9q", Item: 3, Decision: core.DecisionRemove, Text: "left the team"}},
	{"review accept rv-7k2m9q", bot.Command{Verb: bot.VerbReviewAccept, ReviewID: "rv-7k2m9q"}},
	{"review stop rv-7k2m9q", bot.Command{Verb: bot.VerbReviewStop, ReviewID: "rv-7k2m9q"}},
	{"review report rv-7k2m9q", bot.Command{Verb: bot.VerbReviewReport, ReviewID: "rv-7k2m9q"}},
	{"review apply rv-7k2m9q", bot.Command{Verb: bot.VerbReviewApply, ReviewID: "rv-7k2m9q"}},
	{"review start prod-db", bot.Command{Verb: bot.VerbReviewStart, Role: "prod-db"}},
	{"review start prod-db for 3d reviewers bob group:dba self", bot.Command{Verb: bot.VerbReviewStart, Role: "prod-db", Duration: 72 * time.Hour, Text: "bob group:dba self"}},
	{"review start prod-db reviewers carol for 1d", bot.Command{Verb: bot.VerbReviewStart, Role: "prod-db", Duration: 24 * time.Hour, Text: "carol"}},
	{"CONVERT U123 Prod-DB", bot.Command{Verb: bot.VerbConvert, Principal: "U123", Role: "prod-db", Kind: core.Active}},

	// mfa, code
	{"mfa enroll", bot.Command{Verb: bot.VerbMFAEnroll}},
	{"MFA Verify 123456", bot.Command{Verb: bot.VerbMFAVerify, Code: "123456"}},
	{"mfa verify 123 456", bot.Command{Verb: bot.VerbMFAVerify, Code: "123456"}}, // as authenticator apps show it
	{"code r-abcd 654321", bot.Command{Verb: bot.VerbCode, RequestID: "r-abcd", Code: "654321"}},
	{"code r-abcd 0123 4567", bot.Command{Verb: bot.VerbCode, RequestID: "r-abcd", Code: "01234567"}},

	// audit
	{"audit", bot.Command{Verb: bot.VerbAudit}},
	{"audit since 2026-03-01 until 2026-03-10 role prod-db principal Alice",
		bot.Command{Verb: bot.VerbAudit, Since: at(3, 1, 0, 0), Until: at(3, 10, 0, 0), Role: "prod-db", Principal: "Alice"}},
	{"audit principal bob ROLE Prod-DB", bot.Command{Verb: bot.VerbAudit, Role: "prod-db", Principal: "bob"}},
	{"audit since 22:00", bot.Command{Verb: bot.VerbAudit, Since: at(3, 9, 22, 0)}}, // looks back: last night
	{"audit since 09:00", bot.Command{Verb: bot.VerbAudit, Since: at(3, 10, 9, 0)}},
	{"audit since 22:00 until 06:00", bot.Command{Verb: bot.VerbAudit, Since: at(3, 9, 22, 0), Until: at(3, 10, 6, 0)}},
	{"audit until 2026-03-10T12:00:00+01:00", bot.Command{Verb: bot.VerbAudit, Until: at(3, 10, 12, 0)}},
}

func TestParse(t *testing.T) {
	for _, tc := range parseCases {
		t.Run(tc.in, func(t *testing.T) {
			got := mustParse(t, tc.in)
			assertCommand(t, got, tc.want)
		})
	}
}

// mustParse parses in at the fixed now and cet, failing the test on error.
func mustParse(t *testing.T, in string) bot.Command {
	t.Helper()
	c, err := bot.Parse(in, now, cet)
	if err != nil {
		t.Fatalf("Parse(%q): %v", in, err)
	}
	return c
}

// assertCommand compares field by field, with times compared as instants
// and required to be in cet so that replies render them in the user's zone.
func assertCommand(t *testing.T, got, want bot.Command) {
	t.Helper()
	for _, tm := range []struct {
		name      string
		got, want time.Time
	}{{"Start", got.Start, want.Start}, {"Until", got.Until, want.Until}, {"Since", got.Since, want.Since}} {
		if !tm.got.Equal(tm.want) {
			t.Errorf("%s = %v, want %v", tm.name, tm.got, tm.want)
		}
		if !tm.got.IsZero() && tm.got.Location() != cet {
			t.Errorf("%s location = %v, want CET", tm.name, tm.got.Location())
		}
	}
	got.Start, got.Until, got.Since = time.Time{}, time.Time{}, time.Time{}
	want.Start, want.Until, want.Since = time.Time{}, time.Time{}, time.Time{}
	if got != want {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}

// errorCases are rejected inputs and a part of the message the user sees.
var errorCases = []struct {
	in, msg string
}{
	// input limits
	{strings.Repeat("a", 2001), "The command is too long: 2001 bytes, the limit is 2000."},
	{"prod-db " + strings.Repeat("x", 2000), "too long"},
	{"prod-db \xff fixing", "not valid UTF-8"},
	{"prod-db fix\x07ing", "control character (U+0007)"},
	{"prod-db fix\x00", "control character (U+0000)"},
	{"prod-db fix\u0085", "control character (U+0085)"},
	{"prod-db fix\x1b[31m", "control character (U+001B)"},
	{"prod-db " + strings.Repeat("x", 501), "Justification is too long: 501 characters, the limit is 500."},
	{"prod-db for 2h " + strings.Repeat("é", 612), "Justification is too long: 612 characters, the limit is 500."},
	{"deny r-abcd " + strings.Repeat("no ", 200), "reason is too long: 599 characters, the limit is 500."},

	// not a role or command
	{"prod!db", `"prod!db" is not a role name or command; try /elevate help`},
	{"@channel please", `"@channel" is not a role name or command; try /elevate help`},
	{"-db", "is not a role name or command"},
	{strings.Repeat("a", 64), "is not a role name or command"},
	{"\u212Aafka", "is not a role name or command"}, // Kelvin sign: no Unicode case folding into "kafka"
	{"prod+db", "is not a role name or command"},

	// request options
	{"prod-db for", "Give a duration after for"},
	{"prod-db for xyz fixing", `Cannot read duration "xyz"`},
	{"prod-db for 2 hourz", `unknown unit "hourz"`},
	{"prod-db for 0m", "must be longer than zero"},
	{"prod-db for 99999 weeks", "too long"},
	{"prod-db for 2h for 3h", "The duration (for) is given twice."},
	{"prod-db at 14:00 in 1h", "The start time (at or in) is given twice."},
	{"prod-db in 1h in 2h", "given twice"},
	{"prod-db INC-1 ticket X-2", "The ticket is given twice."},
	{"prod-db INC-1 OPS-2", "The ticket is given twice."},
	{"prod-db code 123456 code 654321", "The MFA code is given twice."},
	{"prod-db at", "Give a time after at"},
	{"prod-db at 25:00", `Cannot read time "25:00"`},
	{"prod-db at 12:60", `Cannot read time "12:60"`},
	{"prod-db at 9:3", `Cannot read time "9:3"`},
	{"prod-db at noon", `Cannot read time "noon"`},
	{"prod-db at 2026-02-30 09:00", `Cannot read time "2026-02-30"`},
	{"prod-db at 2026-11-23", "Give a time of day with the date, e.g. 2026-11-23 09:00."},
	{"prod-db at tomorrow", "Give a time of day after tomorrow"},
	{"prod-db at tomorrow 9am", `Cannot read time "9am" after tomorrow`},
	{"prod-db at 2020-01-01 09:00", "The start time 2020-01-01 09:00 CET is in the past."},
	{"prod-db at 2026-03-10T10:00", "in the past"},
	{"prod-db at 2026-03-10T09:29:59Z", "in the past"},
	{"prod-db at today 09:00", "The start time 2026-03-10 09:00 CET is in the past."},
	{"prod-db in", "Give a duration after in"},
	{"prod-db in 0m", "must be longer than zero"},
	{"prod-db ticket", "Give the ticket id after ticket."},
	{"prod-db ticket " + strings.Repeat("t", 65), "The ticket id is too long: 65 characters, the limit is 64."},
	{"prod-db code", "Give the 6-8 digit code"},
	{"prod-db code 12345", "Give the 6-8 digit code"},
	{"prod-db code 123456789", "Give the 6-8 digit code"},
	{"prod-db code review", "Give the 6-8 digit code"},

	// commands that take no arguments
	{"status now", `Unexpected "now". Usage: /elevate status`},
	{"help me", `Unexpected "me". Usage: /elevate help`},
	{"mfa enroll again", `Unexpected "again". Usage: /elevate mfa enroll`},

	// drop, cancel, extend
	{"drop", "Give a role or a request id. Usage: /elevate drop <role|request-id>"},
	{"drop prod-db now", `Unexpected "now". Usage: /elevate drop`},
	{"drop Prod!", `"Prod!" is not a role name. Usage: /elevate drop`},
	{"cancel", "Usage: /elevate cancel <request-id|role>"},
	{"extend", "Usage: /elevate extend <role|request-id> [by|for] DUR"},
	{"extend prod-db", "Give a duration after the role, e.g. 2h or 30m. Usage: /elevate extend"},
	{"extend prod-db by", "Give a duration after by"},
	{"extend prod-db by 2 parsecs", `unknown unit "parsecs"`},
	{"extend prod-db 2h please", `Unexpected "please". Usage: /elevate extend`},
	{"extend r-abcd by 1 hour 30 minutes more", `Unexpected "more"`},

	// approve, deny, who
	{"approve", "Give the request id. Usage: /elevate approve <request-id>"},
	{"approve prod-db", `"prod-db" is not a request id; they look like r-7k2m9q. Usage: /elevate approve`},
	{"approve r-abcd r-efgh", `Unexpected "r-efgh". Usage: /elevate approve`},
	{"approve r-abc", "is not a request id"},
	{"approve r-abcdefghijklm", "is not a request id"},
	{"deny", "Usage: /elevate deny <request-id> [reason]"},
	{"deny because", `"because" is not a request id`},
	{"who", "Give a role name. Usage: /elevate who <role>"},
	{"who prod-db staging", `Unexpected "staging". Usage: /elevate who`},
	{"who #prod", `"#prod" is not a role name`},

	// reviews
	{"review", "Give a review id. Usage: /elevate review <review-id>"},
	{"review prod-db", `"prod-db" is not a review id; they look like rv-7k2m9q.`},
	{"review rv-abc page", "Give the page number."},
	{"review rv-abc page 0", `"0" is not the page number.`},
	{"review keep rv-abc", "Give the item number. Usage: /elevate review keep|remove"},
	{"review remove rv-abc x", `"x" is not the item number.`},
	{"review accept rv-abc now", `Unexpected "now". Usage: /elevate review accept`},
	{"review start", "Give a role name. Usage: /elevate review start"},
	{"review start prod-db reviewers", "Name the reviewers after reviewers."},
	{"review start prod-db for 1d for 2d", "The duration (for) is given twice."},
	{"review start prod-db soon", `Unexpected "soon". Usage: /elevate review start`},
	{"reviews all", `Unexpected "all". Usage: /elevate reviews`},

	// assign, unassign
	{"assign", "Give the principal. Usage: /elevate assign"},
	{"assign alice", "Give a role name. Usage: /elevate assign"},
	{"assign alice prod-db for 2h permanent", "Give the end once: for DUR, until DATE or permanent."},
	{"assign alice prod-db until 2026-12-31 for 2h", "Give the end once"},
	{"assign alice prod-db active eligible", "Give eligible or active once."},
	{"assign alice prod-db from 2026-04-01 from 2026-04-02", "The start (from) is given twice."},
	{"assign alice prod-db until 2020-01-01", "The end 2020-01-01 00:00 CET is in the past."},
	{"assign alice prod-db from 2026-05-01 until 2026-04-01", "The end 2026-04-01 00:00 CET is not after the start 2026-05-01 00:00 CET."},
	{"assign alice prod-db until", "Give a time after until"},
	{"assign alice prod-db for", "Give a duration after for"},
	{"assign alice prod-db for ever", `Cannot read duration "ever"`},
	{"assign alice prod-db forever", `Unexpected "forever". Usage: /elevate assign`},
	{strings.Repeat("p", 300), "is not a role name or command"},
	{"assign " + strings.Repeat("p", 257) + " prod-db", "The principal is too long: 257 bytes, the limit is 256."},
	{"unassign alice", "Give a role name. Usage: /elevate unassign"},
	{"unassign alice prod-db permanent", `Unexpected "permanent". Usage: /elevate unassign`},
	{"unassign alice prod-db active active", "Give eligible or active once."},
	{"alerts close a-abcd2345", `Unknown alerts command "close". Usage: /elevate alerts`},
	{"alerts dismiss", "Give the alert id. Usage: /elevate alerts dismiss <alert-id> <reason>"},
	{"alerts dismiss r-abcd23 why", `"r-abcd23" is not an alert id`},
	{"alerts revoke a-abcd2345 now", `Unexpected "now". Usage: /elevate alerts revoke`},
	{"alerts remove a-abcd2345", "Give the principal. Usage: /elevate alerts remove"},
	{"help me", `Unexpected "me". Usage: /elevate help`},
	{"convert", "Give the principal. Usage: /elevate convert <principal> <role>"},
	{"convert alice", "Give a role name. Usage: /elevate convert"},
	{"convert alice prod-db eligible", `Unexpected "eligible". Usage: /elevate convert`},

	// mfa, code
	{"mfa", "Say what to do with MFA. Usage: /elevate mfa enroll, or /elevate mfa verify <code>"},
	{"mfa reset", `Unknown MFA command "reset"`},
	{"mfa verify", "Give the 6-8 digit code from your authenticator app. Usage: /elevate mfa verify <code>"},
	{"mfa verify 12ab56", `"12ab56" is not a 6-8 digit code.`},
	{"mfa verify 123456 please", `"123456 please" is not a 6-8 digit code.`},
	{"code", "Give the request id. Usage: /elevate code <request-id> <code>"},
	{"code 123456", `"123456" is not a request id`},
	{"code r-abcd", "Give the 6-8 digit code"},
	{"code r-abcd 12", `"12" is not a 6-8 digit code.`},

	// audit
	{"audit since", "Give a time after since"},
	{"audit since yesterday", `Cannot read time "yesterday"`},
	{"audit role", "Give a role name. Usage: /elevate audit"},
	{"audit principal", "Give the principal. Usage: /elevate audit"},
	{"audit everything", `Unexpected "everything". Usage: /elevate audit`},
	{"audit role a role b", "role is given twice."},
	{"audit since 2026-03-10 until 2026-03-01", "The end 2026-03-01 00:00 CET is not after the start 2026-03-10 00:00 CET."},
}

func TestParseErrors(t *testing.T) {
	for _, tc := range errorCases {
		name := tc.in
		if len(name) > 60 {
			name = name[:60]
		}
		t.Run(name, func(t *testing.T) {
			c, err := bot.Parse(tc.in, now, cet)
			if err == nil {
				t.Fatalf("Parse(%q) = %+v, want an error", tc.in, c)
			}
			if code := core.ErrorCode(err); code != core.EINVALID {
				t.Errorf("code = %q, want %q (err %v)", code, core.EINVALID, err)
			}
			if msg := core.ErrorMessage(err); !strings.Contains(msg, tc.msg) {
				t.Errorf("message = %q, want it to contain %q", msg, tc.msg)
			}
			if c != (bot.Command{}) {
				t.Errorf("command on error = %+v, want zero", c)
			}
		})
	}
}

// A quoted token in a message is shortened, so that one long word cannot
// turn an error reply into a wall of text.
func TestParseErrorQuotesAreShort(t *testing.T) {
	_, err := bot.Parse("approve "+strings.Repeat("x", 1500), now, cet)
	if msg := core.ErrorMessage(err); len(msg) > 200 || !strings.Contains(msg, "…") {
		t.Errorf("message is %d bytes: %q", len(msg), msg)
	}
}

func TestParseNilLocationUsesNowsLocation(t *testing.T) {
	c, err := bot.Parse("prod-db at 14:00", now, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := at(3, 10, 14, 0); !c.Start.Equal(want) {
		t.Errorf("Start = %v, want %v", c.Start, want)
	}
}

// "in DUR" must not carry now's monotonic clock reading into the command,
// where it would make == comparisons and serialization behave differently.
func TestParseStartHasNoMonotonicReading(t *testing.T) {
	wall := time.Now()
	c, err := bot.Parse("prod-db in 30m", wall, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	if c.Start != c.Start.Round(0) {
		t.Errorf("Start %v carries a monotonic reading", c.Start)
	}
}

func TestUsageListsEveryForm(t *testing.T) {
	u := bot.Usage()
	for _, form := range []string{
		"/elevate <role> [for DUR] [at TIME | in DUR] [ticket ID",
		"[code NNNNNN] <justification>",
		"/elevate status", "/elevate drop <role|request-id>", "/elevate extend <role|request-id> [by|for] DUR",
		"/elevate cancel <request-id|role>", "/elevate approve <request-id>", "/elevate deny <request-id> [reason]",
		"/elevate who <role>", "/elevate code <request-id> <code>", "/elevate mfa enroll", "/elevate mfa verify <code>",
		"/elevate assign <principal> <role> [eligible|active] [for DUR | until DATE | permanent] [from DATE]",
		"/elevate unassign <principal> <role> [eligible|active]", "/elevate convert <principal> <role>",
		"/elevate audit [since DATE] [until DATE] [role R] [principal P]", "/elevate help",
		"/elevate reviews", "/elevate review <review-id> [page N]", "/elevate review keep|remove <review-id> <item> [reason]",
		"/elevate review accept <review-id>", "/elevate review stop <review-id>", "/elevate review report <review-id>",
		"/elevate review apply <review-id>",
	} {
		if !strings.Contains(u, form) {
			t.Errorf("Usage() lacks %q", form)
		}
	}
}

func TestIsRequestID(t *testing.T) {
	for s, want := range map[string]bool{
		"r-abcd": true, "r-7k2m9q": true, "r-0123456789ab": true,
		"r-abc": false, "r-0123456789abc": false, "R-ABCD": false, "r-ab_d": false,
		"x-abcd": false, "r-": false, "": false, " r-abcd": false, "r-abcd\n": false,
	} {
		if got := bot.IsRequestID(s); got != want {
			t.Errorf("IsRequestID(%q) = %v, want %v", s, got, want)
		}
	}
}

// BenchmarkParse keeps the grammar cheap on the slash-command path, whose
// acknowledgement budget is a p99 of 2 ms for the whole handler.
func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := bot.Parse("/elevate prod-db for 1 hour 30 minutes at tomorrow 09:00 INC-4411 fixing replication lag", now, cet); err != nil {
			b.Fatal(err)
		}
	}
}
