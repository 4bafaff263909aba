// Package bot is elevate's platform-neutral chat layer. It parses the
// command grammar that Slack, Discord and the console share, decides which
// form to ask for when a command leaves something out, and renders a neutral
// message model that each adapter translates to its platform. Keeping this
// out of the adapters is what makes "/elevate prod-db for 2h" mean the same
// thing everywhere.
package bot

import (
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/elevate-pim/elevate/core"
)

// Verb is what a command asks for.
type Verb string

// The verbs of the grammar. Their values are stable, readable strings, so
// that logs and audit entries name a command the way its user typed it.
const (
	VerbMenu     Verb = "menu" // bare "/elevate": the adapter shows buttons
	VerbRequest  Verb = "request"
	VerbStatus   Verb = "status"
	VerbDrop     Verb = "drop"
	VerbExtend   Verb = "extend"
	VerbCancel   Verb = "cancel"
	VerbApprove  Verb = "approve"
	VerbDeny     Verb = "deny"
	VerbWho      Verb = "who"
	VerbAssign   Verb = "assign"
	VerbUnassign Verb = "unassign"
	VerbConvert  Verb = "convert"

	VerbReviews      Verb = "reviews"       // open reviews and my pending items
	VerbReview       Verb = "review"        // one review's progress and my page of it
	VerbReviewDecide Verb = "review decide" // keep or remove one item
	VerbReviewAccept Verb = "review accept" // accept all recommendations
	VerbReviewStart  Verb = "review start"  // an ad hoc review (admins)
	VerbReviewStop   Verb = "review stop"   // end a review now (admins)
	VerbReviewReport Verb = "review report" // the report file (admins, readers)
	VerbReviewApply  Verb = "review apply"  // carry out a closed review's pending removals (admins, owners)
	VerbMFAEnroll    Verb = "mfa enroll"
	VerbMFAVerify    Verb = "mfa verify"
	VerbCode         Verb = "code"
	VerbAudit        Verb = "audit"
	VerbHelp         Verb = "help"
	VerbHelpAlerts   Verb = "help alerts"    // one line per alert kind
	VerbAlerts       Verb = "alerts"         // the open alerts (admins, readers)
	VerbAlertDismiss Verb = "alerts dismiss" // dismiss an alert with a reason (admins)
	VerbAlertAck     Verb = "alerts ack"     // acknowledge an incident alert (admins)
	VerbAlertRevoke  Verb = "alerts revoke"  // revoke a break-glass activation now (admins)
	VerbAlertRemove  Verb = "alerts remove"  // remove a reported subject (admins)
	VerbAnchor       Verb = "audit anchor"   // post the audit head now
)

// Limits on what a user may type. They are exported so that forms can set
// the same maximum lengths on their inputs as the grammar enforces.
const (
	MaxInputBytes = 2000 // a whole command line
	MaxTextChars  = 500  // a justification or a deny reason, in characters
	MaxTicketLen  = 64   // a ticket id given with "ticket", in characters
)

// maxPrincipalBytes bounds a principal token; real ids, mentions and emails
// are far shorter, and the bound keeps stored keys and messages small.
const maxPrincipalBytes = 256

// Command is a parsed command line. Fields a command does not use stay zero;
// a zero field in a request means "not given", so the bot asks for it in a
// form rather than failing.
type Command struct {
	Verb      Verb
	Role      string              // request, drop, extend, cancel, who, assign, unassign, audit filter
	RequestID string              // drop/extend/cancel/approve/deny/code when given an id (r-xxxx)
	Duration  time.Duration       // request "for", extend "by", assign "for"
	Start     time.Time           // request "at"/"in"; assign "from"
	Until     time.Time           // assign "until", audit "until"
	Since     time.Time           // audit "since"
	Ticket    string              // request: "ticket X" or a bare id like INC-4411
	Code      string              // TOTP code (6-8 digits)
	Text      string              // justification (request), reason (deny, review keep/remove), reviewers (review start, space-separated)
	Principal string              // assign/unassign/convert target; audit "principal" filter
	Kind      core.AssignmentKind // assign/unassign: eligible (default) | active
	Permanent bool                // assign ... permanent

	ReviewID string              // review commands
	Item     int                 // review keep/remove: the item's number
	Decision core.ReviewDecision // review keep/remove
	Page     int                 // review ID page N (from 1)

	AlertID string // alerts dismiss/ack/revoke/remove; the subject of remove is in Principal
}

var (
	// rolePattern is the shape of a role name after lowercasing; config
	// validation uses the same shape, so anything else cannot be a role.
	rolePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._@-]{0,62}$`)
	// requestIDPattern is the shape of the ids core hands out.
	requestIDPattern = regexp.MustCompile(`^r-[a-z0-9]{4,12}$`)
	// ticketPattern is a Jira-style key. It is case-sensitive so that an
	// ordinary word with a hyphen and digits ("covid-19") stays justification.
	ticketPattern = regexp.MustCompile(`^[A-Z][A-Z0-9]{1,9}-[0-9]{1,9}$`)
)

// IsRequestID reports whether s has the shape of a request id ("r-" and 4-12
// lowercase letters or digits), which is how drop, extend and cancel tell an
// id from a role name.
func IsRequestID(s string) bool { return requestIDPattern.MatchString(s) }

// usages holds one line per command form, in the order help lists them.
// Error messages quote the line of the command that failed, so the grammar
// and its help cannot drift apart.
var usages = []struct {
	verb Verb
	line string
	what string
}{
	{VerbMenu, "/elevate", "open the menu"},
	{VerbRequest, "/elevate <role> [for DUR] [at TIME | in DUR] [ticket ID | INC-123] [code NNNNNN] <justification>", "activate a role"},
	{VerbStatus, "/elevate status", "your requests and active roles"},
	{VerbDrop, "/elevate drop <role|request-id>", "end an activation early"},
	{VerbExtend, "/elevate extend <role|request-id> [by|for] DUR", "ask for more time"},
	{VerbCancel, "/elevate cancel <request-id|role>", "withdraw a request that is not active yet"},
	{VerbApprove, "/elevate approve <request-id>", "approve a request"},
	{VerbDeny, "/elevate deny <request-id> [reason]", "deny a request"},
	{VerbWho, "/elevate who <role>", "who holds or may activate a role"},
	{VerbCode, "/elevate code <request-id> <code>", "give the MFA code a request waits for"},
	{VerbMFAEnroll, "/elevate mfa enroll", "set up your authenticator app"},
	{VerbMFAVerify, "/elevate mfa verify <code>", "confirm your authenticator app"},
	{VerbAssign, "/elevate assign <principal> <role> [eligible|active] [for DUR | until DATE | permanent] [from DATE]", "assign a role (admins)"},
	{VerbUnassign, "/elevate unassign <principal> <role> [eligible|active]", "remove an assignment (admins)"},
	{VerbConvert, "/elevate convert <principal> <role>", "turn standing (active) access into eligibility (admins)"},
	{VerbAudit, "/elevate audit [since DATE] [until DATE] [role R] [principal P]", "export the audit trail"},
	{VerbReviews, "/elevate reviews", "open access reviews and the items waiting for you"},
	{VerbReview, "/elevate review <review-id> [page N]", "a review's progress and your items in it"},
	{VerbReviewDecide, "/elevate review keep|remove <review-id> <item> [reason]", "decide on an item of a review"},
	{VerbReviewAccept, "/elevate review accept <review-id>", "decide all your items as recommended"},
	{VerbReviewStart, "/elevate review start <role> [for DUR] [reviewers P group:G self approvers manager ...]", "start an access review (admins)"},
	{VerbReviewStop, "/elevate review stop <review-id>", "end a review now and apply it (admins)"},
	{VerbReviewReport, "/elevate review report <review-id>", "a review's report: a row per item (admins, readers)"},
	{VerbReviewApply, "/elevate review apply <review-id>", "carry out the removals a closed review left to an admin (auto_apply: false; admins, its owners)"},
	{VerbAlerts, "/elevate alerts", "open security alerts (admins, readers)"},
	{VerbAlertDismiss, "/elevate alerts dismiss <alert-id> <reason>", "dismiss an alert; it reopens when new subjects appear (admins)"},
	{VerbAlertAck, "/elevate alerts ack <alert-id> [note]", "acknowledge a break-glass use or other incident (admins)"},
	{VerbAlertRevoke, "/elevate alerts revoke <alert-id>", "end a break-glass activation now (admins)"},
	{VerbAlertRemove, "/elevate alerts remove <alert-id> <subject>", "remove a member outside elevate, or a deactivated account's access (admins)"},
	{VerbAnchor, "/elevate audit anchor", "post the audit head to the alerts channel (admins, readers)"},
	{VerbHelp, "/elevate help [alerts]", "this text, or what each alert means"},
}

// Usage returns the help text listing every command form.
func Usage() string { return usage() }

// usage builds the help text once: it depends only on the grammar.
var usage = sync.OnceValue(func() string {
	var b strings.Builder
	b.WriteString("Commands:\n")
	for _, u := range usages {
		fmt.Fprintf(&b, "  %s\n      %s\n", u.line, u.what)
	}
	b.WriteString("DUR: 30m, 2h, 1h30m, 1d, 2 hours, 1 hour 30 minutes.\n")
	b.WriteString("TIME: 14:00 (the next one), tomorrow 09:00, 2026-11-23 09:00, 2026-11-23T09:00 or RFC 3339.\n")
	b.WriteString("DATE: 2026-11-23 (midnight) or any TIME.\n")
	b.WriteString("Request ids look like r-7k2m9q. Anything the command leaves out is asked for in a form.\n")
	return b.String()
})

// usageOf returns the usage line of one verb.
func usageOf(v Verb) string {
	for _, u := range usages {
		if u.verb == v {
			return u.line
		}
	}
	return "/elevate help"
}

// Parse parses the text after the slash command. now and loc resolve times
// like "at 14:00"; a nil loc means now's location. Every error is a
// *core.Error with code EINVALID and a message fit to show the user.
func Parse(text string, now time.Time, loc *time.Location) (Command, error) {
	if loc == nil {
		loc = now.Location()
	}
	src, err := normalize(text)
	if err != nil {
		return Command{}, err
	}
	toks := tokenize(src)
	if len(toks) > 0 && toks[0].lower == "/elevate" {
		toks = toks[1:]
	}
	if len(toks) == 0 {
		return Command{Verb: VerbMenu}, nil
	}
	p := &parser{src: src, toks: toks, i: 1, now: now, loc: loc}
	var c Command
	switch toks[0].lower {
	case "help":
		if !p.done() && p.peek().lower == "alerts" {
			p.i++
			c, err = p.bare(VerbHelpAlerts)
		} else {
			c, err = p.bare(VerbHelp)
		}
	case "alerts":
		c, err = p.alerts()
	case "status":
		c, err = p.bare(VerbStatus)
	case "drop":
		c, err = p.target(VerbDrop)
	case "cancel":
		c, err = p.target(VerbCancel)
	case "extend":
		c, err = p.extend()
	case "approve":
		c, err = p.approve()
	case "deny":
		c, err = p.deny()
	case "who":
		c, err = p.who()
	case "assign":
		c, err = p.assign()
	case "unassign":
		c, err = p.unassign()
	case "convert":
		c, err = p.convert()
	case "reviews":
		c, err = p.bare(VerbReviews)
	case "review":
		c, err = p.review()
	case "mfa":
		c, err = p.mfa()
	case "code":
		c, err = p.code()
	case "audit":
		c, err = p.audit()
	default:
		// Any other first word is a role: config forbids roles named like
		// sub-commands, so this cannot shadow one.
		p.i = 0
		c, err = p.request()
	}
	if err != nil {
		return Command{}, err
	}
	return c, nil
}

// normalize checks the raw text and turns line breaks into spaces, so that a
// justification pasted over several lines reads as one.
func normalize(text string) (string, error) {
	if len(text) > MaxInputBytes {
		return "", core.Errorf(core.EINVALID, "The command is too long: %d bytes, the limit is %d.", len(text), MaxInputBytes)
	}
	if !utf8.ValidString(text) {
		return "", core.Errorf(core.EINVALID, "The command is not valid UTF-8 text.")
	}
	text = lineBreaks.Replace(text)
	for _, r := range text {
		if r != '\t' && unicode.IsControl(r) {
			return "", core.Errorf(core.EINVALID, "The command contains a control character (%U); type it again without it.", r)
		}
	}
	return text, nil
}

// lineBreaks maps every line or paragraph break to a space. A justification
// must stay on one line in every message it is copied into.
var lineBreaks = strings.NewReplacer("\r\n", " ", "\r", " ", "\n", " ", "\u2028", " ", "\u2029", " ")

// token is one whitespace-separated word and where it starts in the
// normalized text, so that a justification can be cut from the text with
// its own spacing.
type token struct {
	text  string
	lower string // ASCII-lowercased, for case-insensitive keywords and roles
	off   int
}

// tokenize splits s at Unicode whitespace.
func tokenize(s string) []token {
	var toks []token
	start := -1
	for i, r := range s {
		if unicode.IsSpace(r) {
			if start >= 0 {
				toks = append(toks, newToken(s[start:i], start))
				start = -1
			}
		} else if start < 0 {
			start = i
		}
	}
	if start >= 0 {
		toks = append(toks, newToken(s[start:], start))
	}
	return toks
}

func newToken(text string, off int) token {
	return token{text: text, lower: asciiLower(text), off: off}
}

// parser walks the tokens of one command; i is the next unread token.
type parser struct {
	src  string
	toks []token
	i    int
	now  time.Time
	loc  *time.Location
}

func (p *parser) done() bool { return p.i >= len(p.toks) }

func (p *parser) peek() token { return p.toks[p.i] }

func (p *parser) next() token {
	t := p.toks[p.i]
	p.i++
	return t
}

// rest returns the unread text with its own spacing, and consumes it.
func (p *parser) rest() string {
	if p.done() {
		return ""
	}
	s := strings.TrimRightFunc(p.src[p.toks[p.i].off:], unicode.IsSpace)
	p.i = len(p.toks)
	return s
}

// usageErr is a bad-input error that ends with the usage line of v, so the
// user sees how to type the command right.
func usageErr(v Verb, format string, args ...any) error {
	return core.Errorf(core.EINVALID, "%s Usage: %s", fmt.Sprintf(format, args...), usageOf(v))
}

// end rejects anything left after a complete command.
func (p *parser) end(v Verb) error {
	if p.done() {
		return nil
	}
	return usageErr(v, "Unexpected %s.", quote(p.peek().text))
}

// bare parses a command that takes no arguments.
func (p *parser) bare(v Verb) (Command, error) {
	if err := p.end(v); err != nil {
		return Command{}, err
	}
	return Command{Verb: v}, nil
}

// request parses "<role> [options] <justification>". Options come right
// after the role, in any order, each once; the first token that starts no
// option begins the justification.
func (p *parser) request() (Command, error) {
	first := p.next()
	if !rolePattern.MatchString(first.lower) {
		return Command{}, core.Errorf(core.EINVALID, "%s is not a role name or command; try /elevate help", quote(first.text))
	}
	c := Command{Verb: VerbRequest, Role: first.lower}
	var haveFor, haveStart, haveTicket, haveCode bool
	for !p.done() {
		t := p.peek()
		switch {
		case t.lower == "for":
			if haveFor {
				return Command{}, usageErr(VerbRequest, "The duration (for) is given twice.")
			}
			p.i++
			d, err := p.duration(VerbRequest, "for")
			if err != nil {
				return Command{}, err
			}
			c.Duration, haveFor = d, true
		case t.lower == "at" || t.lower == "in":
			if haveStart {
				return Command{}, usageErr(VerbRequest, "The start time (at or in) is given twice.")
			}
			p.i++
			start, err := p.start(t.lower)
			if err != nil {
				return Command{}, err
			}
			c.Start, haveStart = start, true
		case t.lower == "ticket" || ticketPattern.MatchString(t.text):
			if haveTicket {
				return Command{}, usageErr(VerbRequest, "The ticket is given twice.")
			}
			p.i++
			if t.lower == "ticket" {
				if p.done() {
					return Command{}, usageErr(VerbRequest, "Give the ticket id after ticket.")
				}
				id := p.next().text
				if n := utf8.RuneCountInString(id); n > MaxTicketLen {
					return Command{}, core.Errorf(core.EINVALID, "The ticket id is too long: %d characters, the limit is %d.", n, MaxTicketLen)
				}
				c.Ticket = id
			} else {
				c.Ticket = t.text
			}
			haveTicket = true
		case t.lower == "code":
			if haveCode {
				return Command{}, usageErr(VerbRequest, "The MFA code is given twice.")
			}
			p.i++
			if p.done() || !isCode(p.peek().text) {
				return Command{}, usageErr(VerbRequest, "Give the 6-8 digit code from your authenticator app after code.")
			}
			c.Code, haveCode = p.next().text, true
		default:
			text, err := p.text("Justification")
			if err != nil {
				return Command{}, err
			}
			c.Text = text
		}
	}
	return c, nil
}

// start reads the argument of "at" or "in" and rejects a start in the past.
func (p *parser) start(word string) (time.Time, error) {
	if word == "in" {
		d, err := p.duration(VerbRequest, "in")
		if err != nil {
			return time.Time{}, err
		}
		return p.now.Add(d).In(p.loc), nil
	}
	t, err := p.time(VerbRequest, "at", leanFuture, false)
	if err != nil {
		return time.Time{}, err
	}
	if err := notPast("start time", t, p.now); err != nil {
		return time.Time{}, err
	}
	return t, nil
}

// maxDurationTokens is how many tokens a duration may span ("1 hour 30 minutes").
const maxDurationTokens = 4

// duration reads DUR: the longest run of up to four tokens that
// core.ParseDuration accepts, so "2 hours fixing" stops before "fixing".
func (p *parser) duration(v Verb, after string) (time.Duration, error) {
	if p.done() {
		return 0, usageErr(v, "Give a duration after %s, e.g. 2h or 30m.", after)
	}
	for n := min(maxDurationTokens, len(p.toks)-p.i); n >= 1; n-- {
		if d, err := core.ParseDuration(p.join(n)); err == nil {
			p.i += n
			return d, nil
		}
	}
	// Nothing parsed: explain with the span the user most likely meant as
	// the duration, which is "2 hourz" rather than just "2".
	n := 1
	if isDigits(p.peek().text) && p.i+1 < len(p.toks) {
		n = 2
	}
	_, err := core.ParseDuration(p.join(n))
	return 0, err
}

// join returns the next n token texts joined by single spaces.
func (p *parser) join(n int) string {
	parts := make([]string, n)
	for k := range parts {
		parts[k] = p.toks[p.i+k].text
	}
	return strings.Join(parts, " ")
}

// time reads a TIME (or, with dateOnly, a DATE) after the word after.
func (p *parser) time(v Verb, after string, l lean, dateOnly bool) (time.Time, error) {
	if p.done() {
		return time.Time{}, usageErr(v, "Give a time after %s, e.g. 14:00 or tomorrow 09:00.", after)
	}
	fields := make([]string, 0, 2)
	for k := p.i; k < len(p.toks) && k < p.i+2; k++ {
		fields = append(fields, p.toks[k].text)
	}
	t, n, err := parseTime(fields, p.now, p.loc, l, dateOnly)
	if err != nil {
		return time.Time{}, err
	}
	p.i += n
	return t, nil
}

// text takes the rest of the line as free text and enforces its limit.
func (p *parser) text(what string) (string, error) {
	s := p.rest()
	if n := utf8.RuneCountInString(s); n > MaxTextChars {
		return "", core.Errorf(core.EINVALID, "%s is too long: %d characters, the limit is %d.", what, n, MaxTextChars)
	}
	return s, nil
}

// role reads a role argument.
func (p *parser) role(v Verb) (string, error) {
	if p.done() {
		return "", usageErr(v, "Give a role name.")
	}
	t := p.next()
	if !rolePattern.MatchString(t.lower) {
		return "", usageErr(v, "%s is not a role name.", quote(t.text))
	}
	return t.lower, nil
}

// requestID reads a request id argument. Ids are handed out in lowercase;
// a user who types one in capitals still means the same request.
func (p *parser) requestID(v Verb) (string, error) {
	if p.done() {
		return "", usageErr(v, "Give the request id.")
	}
	t := p.next()
	if !IsRequestID(t.lower) {
		return "", usageErr(v, "%s is not a request id; they look like r-7k2m9q.", quote(t.text))
	}
	return t.lower, nil
}

// target reads the <role|request-id> argument of drop, extend and cancel
// into c: an id-shaped token is an id, anything else must be a role.
func (p *parser) target(v Verb) (Command, error) {
	c := Command{Verb: v}
	if p.done() {
		return Command{}, usageErr(v, "Give a role or a request id.")
	}
	if t := p.peek(); IsRequestID(t.lower) {
		c.RequestID = p.next().lower
	} else {
		role, err := p.role(v)
		if err != nil {
			return Command{}, err
		}
		c.Role = role
	}
	if v == VerbExtend {
		return c, nil
	}
	return c, p.end(v)
}

// extend parses "extend <role|request-id> [by|for] DUR".
func (p *parser) extend() (Command, error) {
	c, err := p.target(VerbExtend)
	if err != nil {
		return Command{}, err
	}
	after := "the role"
	if !p.done() && (p.peek().lower == "by" || p.peek().lower == "for") {
		after = p.next().lower
	}
	if c.Duration, err = p.duration(VerbExtend, after); err != nil {
		return Command{}, err
	}
	return c, p.end(VerbExtend)
}

// approve parses "approve <request-id>".
func (p *parser) approve() (Command, error) {
	id, err := p.requestID(VerbApprove)
	if err != nil {
		return Command{}, err
	}
	return Command{Verb: VerbApprove, RequestID: id}, p.end(VerbApprove)
}

// deny parses "deny <request-id> [reason...]". The reason may be left out:
// the bot asks for it in a form, since approvers often click first.
func (p *parser) deny() (Command, error) {
	id, err := p.requestID(VerbDeny)
	if err != nil {
		return Command{}, err
	}
	reason, err := p.text("The reason")
	if err != nil {
		return Command{}, err
	}
	return Command{Verb: VerbDeny, RequestID: id, Text: reason}, nil
}

// who parses "who <role>".
func (p *parser) who() (Command, error) {
	role, err := p.role(VerbWho)
	if err != nil {
		return Command{}, err
	}
	return Command{Verb: VerbWho, Role: role}, p.end(VerbWho)
}

// principal reads an assign/unassign target as typed: platform ids and
// mentions are case-sensitive, so it is not lowercased.
func (p *parser) principal(v Verb) (string, error) {
	if p.done() {
		return "", usageErr(v, "Give the principal.")
	}
	s := p.next().text
	if len(s) > maxPrincipalBytes {
		return "", core.Errorf(core.EINVALID, "The principal is too long: %d bytes, the limit is %d.", len(s), maxPrincipalBytes)
	}
	return s, nil
}

// assignee reads "<principal> <role>", shared by assign and unassign.
func (p *parser) assignee(v Verb) (Command, error) {
	principal, err := p.principal(v)
	if err != nil {
		return Command{}, err
	}
	role, err := p.role(v)
	if err != nil {
		return Command{}, err
	}
	return Command{Verb: v, Principal: principal, Role: role, Kind: core.Eligible}, nil
}

// kind reads "eligible" or "active" into c, once.
func (p *parser) kind(v Verb, c *Command, seen *bool) error {
	if *seen {
		return usageErr(v, "Give eligible or active once.")
	}
	*seen = true
	c.Kind = core.AssignmentKind(p.next().lower)
	return nil
}

// assign parses "assign <principal> <role> [eligible|active]
// [for DUR | until DATE | permanent] [from DATE]", options in any order.
func (p *parser) assign() (Command, error) {
	c, err := p.assignee(VerbAssign)
	if err != nil {
		return Command{}, err
	}
	var haveKind, haveEnd, haveFrom bool
	for !p.done() {
		w := p.peek().lower
		switch w {
		case "eligible", "active":
			if err := p.kind(VerbAssign, &c, &haveKind); err != nil {
				return Command{}, err
			}
		case "for", "until", "permanent":
			if haveEnd {
				return Command{}, usageErr(VerbAssign, "Give the end once: for DUR, until DATE or permanent.")
			}
			haveEnd = true
			p.i++
			switch w {
			case "for":
				c.Duration, err = p.duration(VerbAssign, "for")
			case "until":
				c.Until, err = p.time(VerbAssign, "until", leanFuture, true)
			default:
				c.Permanent = true
			}
			if err != nil {
				return Command{}, err
			}
		case "from":
			if haveFrom {
				return Command{}, usageErr(VerbAssign, "The start (from) is given twice.")
			}
			haveFrom = true
			p.i++
			if c.Start, err = p.time(VerbAssign, "from", leanFuture, true); err != nil {
				return Command{}, err
			}
		default:
			return Command{}, p.end(VerbAssign)
		}
	}
	if !c.Until.IsZero() {
		if err := notPast("end", c.Until, p.now); err != nil {
			return Command{}, err
		}
		if !c.Start.IsZero() && !c.Until.After(c.Start) {
			return Command{}, core.Errorf(core.EINVALID, "The end %s is not after the start %s.", formatTime(c.Until), formatTime(c.Start))
		}
	}
	return c, nil
}

// unassign parses "unassign <principal> <role> [eligible|active]".
func (p *parser) unassign() (Command, error) {
	c, err := p.assignee(VerbUnassign)
	if err != nil {
		return Command{}, err
	}
	var haveKind bool
	for !p.done() {
		switch p.peek().lower {
		case "eligible", "active":
			if err := p.kind(VerbUnassign, &c, &haveKind); err != nil {
				return Command{}, err
			}
		default:
			return Command{}, p.end(VerbUnassign)
		}
	}
	return c, nil
}

// convert parses "convert <principal> <role>".
func (p *parser) convert() (Command, error) {
	c, err := p.assignee(VerbConvert)
	if err != nil {
		return Command{}, err
	}
	c.Kind = core.Active
	return c, p.end(VerbConvert)
}

// mfa parses "mfa enroll" and "mfa verify <code>".
func (p *parser) mfa() (Command, error) {
	const both = "Usage: /elevate mfa enroll, or /elevate mfa verify <code>"
	if p.done() {
		return Command{}, core.Errorf(core.EINVALID, "Say what to do with MFA. %s", both)
	}
	switch p.next().lower {
	case "enroll":
		return p.bare(VerbMFAEnroll)
	case "verify":
		code, err := p.totp(VerbMFAVerify)
		if err != nil {
			return Command{}, err
		}
		return Command{Verb: VerbMFAVerify, Code: code}, nil
	default:
		return Command{}, core.Errorf(core.EINVALID, "Unknown MFA command %s. %s", quote(p.toks[p.i-1].text), both)
	}
}

// code parses "code <request-id> <code>".
func (p *parser) code() (Command, error) {
	id, err := p.requestID(VerbCode)
	if err != nil {
		return Command{}, err
	}
	code, err := p.totp(VerbCode)
	if err != nil {
		return Command{}, err
	}
	return Command{Verb: VerbCode, RequestID: id, Code: code}, nil
}

// totp reads a TOTP code that ends the command. Authenticator apps show
// codes in groups ("123 456"), so the rest of the line is read with its
// spaces removed; no other text may follow.
func (p *parser) totp(v Verb) (string, error) {
	if p.done() {
		return "", usageErr(v, "Give the 6-8 digit code from your authenticator app.")
	}
	var b strings.Builder
	for _, t := range p.toks[p.i:] {
		b.WriteString(t.text)
	}
	code := b.String()
	if !isCode(code) {
		return "", usageErr(v, "%s is not a 6-8 digit code.", quote(p.rest()))
	}
	p.i = len(p.toks)
	return code, nil
}

// audit parses "audit [since DATE] [until DATE] [role R] [principal P]".
func (p *parser) audit() (Command, error) {
	if !p.done() && p.peek().lower == "anchor" {
		p.i++
		return p.bare(VerbAnchor)
	}
	c := Command{Verb: VerbAudit}
	seen := map[string]bool{}
	for !p.done() {
		w := p.peek().lower
		switch w {
		case "since", "until", "role", "principal":
		default:
			return Command{}, p.end(VerbAudit)
		}
		if seen[w] {
			return Command{}, usageErr(VerbAudit, "%s is given twice.", w)
		}
		seen[w] = true
		p.i++
		var err error
		switch w {
		case "since":
			c.Since, err = p.time(VerbAudit, w, leanPast, true)
		case "until":
			c.Until, err = p.time(VerbAudit, w, leanPast, true)
		case "role":
			c.Role, err = p.role(VerbAudit)
		default:
			c.Principal, err = p.principal(VerbAudit)
		}
		if err != nil {
			return Command{}, err
		}
	}
	if !c.Since.IsZero() && !c.Until.IsZero() && !c.Until.After(c.Since) {
		return Command{}, core.Errorf(core.EINVALID, "The end %s is not after the start %s.", formatTime(c.Until), formatTime(c.Since))
	}
	return c, nil
}

// isCode reports whether s is a 6-8 digit TOTP code.
func isCode(s string) bool { return len(s) >= 6 && len(s) <= 8 && isDigits(s) }

// isDigits reports whether s is non-empty and all ASCII digits.
func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// asciiLower lowercases ASCII letters only. Unicode case folding would let
// look-alikes such as the Kelvin sign "K" turn into a real role's "k".
func asciiLower(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'A' && r <= 'Z' {
			return r + ('a' - 'A')
		}
		return r
	}, s)
}

// asciiUpper uppercases ASCII letters only, for the same reason as asciiLower.
func asciiUpper(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' {
			return r - ('a' - 'A')
		}
		return r
	}, s)
}

// maxQuoteChars bounds how much of a user's token an error message repeats.
const maxQuoteChars = 40

// quote renders user input inside a message, shortened so that a 2000-byte
// token does not become a 2000-byte error.
func quote(s string) string {
	if utf8.RuneCountInString(s) > maxQuoteChars {
		s = string([]rune(s)[:maxQuoteChars]) + "…"
	}
	return fmt.Sprintf("%q", s)
}
