package discord

import (
	"context"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"

	"github.com/elevate-pim/elevate/bot"
	"github.com/elevate-pim/elevate/core"
)

// commandName is the one slash command; everything is a subcommand of it.
const commandName = "elevate"

// maxChoices is Discord's limit on autocomplete choices.
const maxChoices = 25

// Commands returns the application commands the adapter registers: /elevate
// with a subcommand per verb and typed options.
func Commands() []*discordgo.ApplicationCommand {
	str := func(name, desc string, required bool, maxLen int) *discordgo.ApplicationCommandOption {
		return &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionString, Name: name, Description: desc, Required: required, MaxLength: maxLen}
	}
	role := func(desc string, required bool) *discordgo.ApplicationCommandOption {
		o := str("role", desc, required, 64)
		o.Autocomplete = true
		return o
	}
	sub := func(name, desc string, opts ...*discordgo.ApplicationCommandOption) *discordgo.ApplicationCommandOption {
		return &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionSubCommand, Name: name, Description: desc, Options: opts}
	}
	kind := str("kind", "eligible (default) or active", false, 0)
	kind.Choices = []*discordgo.ApplicationCommandOptionChoice{{Name: "eligible", Value: "eligible"}, {Name: "active", Value: "active"}}
	contexts := []discordgo.InteractionContextType{discordgo.InteractionContextGuild, discordgo.InteractionContextBotDM}
	cmds := []*discordgo.ApplicationCommand{{
		Name:        commandName,
		Type:        discordgo.ChatApplicationCommand,
		Description: "Just-in-time privileged access",
		Contexts:    &contexts,
		Options: []*discordgo.ApplicationCommandOption{
			sub("request", "Activate a role you are eligible for",
				role("Role to activate", true),
				str("duration", "How long, e.g. 2h or 30m (default: the role's default)", false, 20),
				str("start", "When to start, e.g. 14:00 or tomorrow 09:00 (default: now)", false, 40),
				str("ticket", "Ticket id, e.g. INC-4411", false, bot.MaxTicketLen),
				str("justification", "Why you need it", false, bot.MaxTextChars),
				str("code", "MFA code from your authenticator app", false, 8)),
			sub("status", "Your roles, windows and requests, and what waits for you"),
			sub("menu", "Buttons for the roles you may activate"),
			sub("drop", "End an active window early", role("Role or request id", true)),
			sub("extend", "Lengthen an active window", role("Role or request id", true),
				str("by", "How much longer, e.g. 30m", true, 20)),
			sub("cancel", "Withdraw a request that is not active yet", role("Role or request id", true)),
			sub("approve", "Approve a request", str("request", "Request id, e.g. r-7k2qx9", true, 16)),
			sub("deny", "Deny a request", str("request", "Request id, e.g. r-7k2qx9", true, 16),
				str("reason", "Why (asked for when left out)", false, bot.MaxTextChars)),
			sub("code", "Give the MFA code a request waits for", str("request", "Request id", true, 16),
				str("code", "MFA code from your authenticator app", true, 8)),
			sub("who", "Who holds or may activate a role (admins, readers)", str("role", "Role", true, 64)),
			sub("assign", "Create or update an assignment (admins)",
				str("principal", "Principal id or @mention", true, 256), str("role", "Role", true, 64), kind,
				str("for", "Length, e.g. 30d", false, 20), str("until", "End date, e.g. 2026-12-31", false, 40),
				str("from", "Start date, e.g. 2026-12-01", false, 40),
				&discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionBoolean, Name: "permanent", Description: "No end date"}),
			sub("unassign", "Remove an assignment (admins)",
				str("principal", "Principal id or @mention", true, 256), str("role", "Role", true, 64), kind),
			{Type: discordgo.ApplicationCommandOptionSubCommandGroup, Name: "mfa", Description: "Set up TOTP MFA",
				Options: []*discordgo.ApplicationCommandOption{
					sub("enroll", "Get a QR code for your authenticator app"),
					sub("verify", "Confirm your authenticator app with a first code", str("code", "The code your app shows", true, 8)),
				}},
			sub("audit", "Export the audit trail as CSV (admins, readers)",
				str("since", "From, e.g. 2026-01-01", false, 40), str("until", "Until, e.g. 2026-02-01", false, 40),
				str("role", "Only this role", false, 64), str("principal", "Only this principal", false, 256)),
			sub("help", "All commands"),
		},
	}}
	cmds[0].Options = append(cmds[0].Options, reviewOptions()...)
	return cmds
}

// options indexes a subcommand's options by name.
type options map[string]*discordgo.ApplicationCommandInteractionDataOption

func index(opts []*discordgo.ApplicationCommandInteractionDataOption) options {
	o := options{}
	for _, opt := range opts {
		if opt != nil {
			o[opt.Name] = opt
		}
	}
	return o
}

// str returns a string option, trimmed; values of other JSON types count
// as absent (payloads are untrusted: discordgo's StringValue would panic).
func (o options) str(name string) string {
	if opt := o[name]; opt != nil {
		if s, ok := opt.Value.(string); ok {
			return strings.TrimSpace(s)
		}
	}
	return ""
}

func (o options) boolean(name string) bool {
	if opt := o[name]; opt != nil {
		b, _ := opt.Value.(bool)
		return b
	}
	return false
}

// subcommand returns the invoked subcommand's name ("mfa verify" for a
// group) and its options.
func subcommand(d discordgo.ApplicationCommandInteractionData) (string, options) {
	if len(d.Options) == 0 || d.Options[0] == nil {
		return "", options{}
	}
	sub := d.Options[0]
	if sub.Type == discordgo.ApplicationCommandOptionSubCommandGroup {
		if len(sub.Options) == 0 || sub.Options[0] == nil {
			return sub.Name, options{}
		}
		return sub.Name + " " + sub.Options[0].Name, index(sub.Options[0].Options)
	}
	return sub.Name, index(sub.Options)
}

// command maps a slash command's typed options to a bot.Command, so that
// free text (a justification that says "for 2h") is never re-parsed as
// grammar. Every error is EINVALID with a message for the user.
func (a *Adapter) command(d discordgo.ApplicationCommandInteractionData) (bot.Command, error) {
	if d.Name != commandName {
		return bot.Command{}, core.Errorf(core.EINVALID, "Unknown command /%s.", truncate(d.Name, 32))
	}
	name, o := subcommand(d)
	in := input{o: o, now: a.clock.Now(), loc: a.bot.Location()}
	var c bot.Command
	switch name {
	case "", "menu":
		c.Verb = bot.VerbMenu
	case "help":
		c.Verb = bot.VerbHelp
	case "status":
		c.Verb = bot.VerbStatus
	case "request":
		c = bot.Command{Verb: bot.VerbRequest, Role: in.role("role"), Duration: in.duration("duration"), Start: in.start("start"),
			Ticket: in.text("ticket", "Ticket", bot.MaxTicketLen), Text: in.text("justification", "Justification", bot.MaxTextChars), Code: in.code("code")}
		in.require(c.Role, "role")
	case "drop", "cancel", "extend":
		c.Verb = bot.Verb(name)
		target := in.role("role")
		in.require(target, "role")
		if bot.IsRequestID(target) {
			c.RequestID = target
		} else {
			c.Role = target
		}
		if name == "extend" {
			c.Duration = in.duration("by")
			in.require(o.str("by"), "by")
		}
	case "approve", "deny", "code":
		c = bot.Command{Verb: bot.Verb(name), RequestID: in.requestID("request")}
		if name == "deny" {
			c.Text = in.text("reason", "The reason", bot.MaxTextChars)
		}
		if name == "code" {
			c.Code = in.code("code")
			in.require(c.Code, "code")
		}
	case "who":
		c = bot.Command{Verb: bot.VerbWho, Role: in.role("role")}
		in.require(c.Role, "role")
	case "assign", "unassign":
		c = bot.Command{Verb: bot.Verb(name), Principal: a.principal(&in, "principal"), Role: in.role("role"), Kind: core.Eligible}
		in.require(c.Principal, "principal")
		in.require(c.Role, "role")
		switch k := o.str("kind"); k {
		case "", "eligible":
		case "active":
			c.Kind = core.Active
		default:
			in.fail("Kind must be eligible or active, not %q.", truncate(k, 20))
		}
		if name == "assign" {
			c.Duration = in.duration("for")
			shape := bot.Command{Verb: bot.VerbAssign, Principal: "x", Role: "y", Kind: core.Eligible}
			c.Until = in.date("assign x y until", "until", shape, func(c bot.Command) time.Time { return c.Until })
			c.Start = in.date("assign x y from", "from", shape, func(c bot.Command) time.Time { return c.Start })
			c.Permanent = o.boolean("permanent")
			if n := btoi(c.Duration > 0) + btoi(!c.Until.IsZero()) + btoi(c.Permanent); n > 1 {
				in.fail("Give the end once: for, until or permanent.")
			}
		}
	case "mfa enroll":
		c.Verb = bot.VerbMFAEnroll
	case "mfa verify":
		c = bot.Command{Verb: bot.VerbMFAVerify, Code: in.code("code")}
		in.require(c.Code, "code")
	case "audit":
		c = bot.Command{Verb: bot.VerbAudit, Role: in.role("role"), Principal: a.principal(&in, "principal"),
			Since: in.date("audit since", "since", bot.Command{Verb: bot.VerbAudit}, func(c bot.Command) time.Time { return c.Since }),
			Until: in.date("audit until", "until", bot.Command{Verb: bot.VerbAudit}, func(c bot.Command) time.Time { return c.Until })}
		if !c.Since.IsZero() && !c.Until.IsZero() && !c.Until.After(c.Since) {
			in.fail("The end is not after the start.")
		}
	default:
		var ok bool
		if c, ok = a.reviewCommand(name, &in); !ok {
			in.fail("Unknown subcommand %q; try /elevate help.", truncate(name, 32))
		}
	}
	if in.err != nil {
		return bot.Command{}, in.err
	}
	return c, nil
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// input reads typed options, keeping the first problem.
type input struct {
	o   options
	now time.Time
	loc *time.Location
	err error
}

func (in *input) fail(format string, args ...any) {
	if in.err == nil {
		in.err = core.Errorf(core.EINVALID, format, args...)
	}
}

func (in *input) keep(err error) {
	if in.err == nil && err != nil {
		in.err = err
	}
}

func (in *input) require(v, name string) {
	if v == "" {
		in.fail("Give the %s option.", name)
	}
}

// text returns a free-text option: valid UTF-8, no control characters
// (they could fake lines in messages), at most limit characters.
func (in *input) text(name, what string, limit int) string {
	s := in.o.str(name)
	switch {
	case !utf8.ValidString(s):
		in.fail("%s is not valid UTF-8 text.", what)
	case strings.IndexFunc(s, unicode.IsControl) >= 0:
		in.fail("%s contains a control character; type it again without it.", what)
	case utf8.RuneCountInString(s) > limit:
		in.fail("%s is too long: the limit is %d characters.", what, limit)
	default:
		return s
	}
	return ""
}

// rolePattern is the shape of role names (and request ids) after lowercasing.
var rolePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._@-]{0,62}$`)

// role returns a role name (or request id) option, lowercased as the grammar does.
func (in *input) role(name string) string {
	s := in.o.str(name)
	if s == "" {
		return ""
	}
	lower := strings.Map(func(r rune) rune {
		if r >= 'A' && r <= 'Z' {
			return r + ('a' - 'A')
		}
		return r
	}, s)
	if !rolePattern.MatchString(lower) {
		in.fail("%q is not a role name.", truncate(s, 40))
		return ""
	}
	return lower
}

func (in *input) requestID(name string) string {
	s := strings.ToLower(in.o.str(name))
	if !bot.IsRequestID(s) {
		in.fail("%q is not a request id; they look like r-7k2qx9.", truncate(in.o.str(name), 40))
		return ""
	}
	return s
}

func (in *input) duration(name string) time.Duration {
	s := in.o.str(name)
	if s == "" {
		return 0
	}
	d, err := core.ParseDuration(s)
	in.keep(err)
	return d
}

func (in *input) start(name string) time.Time {
	s := in.o.str(name)
	if s == "" {
		return time.Time{}
	}
	t, err := bot.ParseWhen(s, in.now, in.loc)
	in.keep(err)
	return t
}

// code returns a TOTP code option, ignoring the spaces apps show in it.
func (in *input) code(name string) string {
	s := strings.Join(strings.Fields(in.o.str(name)), "")
	if s == "" {
		return ""
	}
	if len(s) < 6 || len(s) > 8 || strings.IndexFunc(s, func(r rune) bool { return r < '0' || r > '9' }) >= 0 {
		in.fail("%q is not a 6-8 digit code.", truncate(s, 20))
		return ""
	}
	return s
}

// date reads a date option with the grammar's own rules (audit bounds lean
// to the past, assignment dates to the future) by parsing "prefix VALUE"
// and taking one field of the result. A value that parses into anything
// but shape plus that date (a keyword smuggled into the option) is refused.
func (in *input) date(prefix, name string, shape bot.Command, pick func(bot.Command) time.Time) time.Time {
	s := in.o.str(name)
	if s == "" {
		return time.Time{}
	}
	c, err := bot.Parse(prefix+" "+s, in.now, in.loc)
	if err != nil {
		in.keep(err)
		return time.Time{}
	}
	t := pick(c)
	c.Since, c.Until, c.Start = time.Time{}, time.Time{}, time.Time{}
	if t.IsZero() || c != shape {
		in.fail("Cannot read %s %q: give a date like 2026-11-23 or 2026-11-23 09:00.", name, truncate(s, 40))
		return time.Time{}
	}
	return t
}

// mention matches a Discord user mention, <@123> or <@!123>, or a bare snowflake.
var mention = regexp.MustCompile(`^(?:<@!?([0-9]{1,25})>|([0-9]{15,25}))$`)

// principal reads a principal option: a principal id, or a Discord user
// (mention or id) mapped to the principal configured for it.
func (a *Adapter) principal(in *input, name string) string {
	s := in.text(name, "The principal", 256)
	m := mention.FindStringSubmatch(s)
	if m == nil {
		return s
	}
	uid := m[1] + m[2]
	p, err := a.dir().PrincipalFor(core.PlatformDiscord, uid)
	if err != nil {
		in.fail("Discord user %s is not enrolled in elevate.", uid)
		return ""
	}
	return p.ID
}

// autocompleteResponse is an autocomplete answer. discordgo's response
// type omits an empty choices list, which Discord refuses, so the adapter
// sends its own.
type autocompleteResponse struct {
	Type discordgo.InteractionResponseType `json:"type"`
	Data struct {
		Choices []*discordgo.ApplicationCommandOptionChoice `json:"choices"`
	} `json:"data"`
}

// autocomplete answers the role option with the caller's eligible roles
// that match what they typed so far. Unknown users get no choices.
func (a *Adapter) autocomplete(ctx context.Context, i *discordgo.Interaction) *autocompleteResponse {
	resp := &autocompleteResponse{Type: discordgo.InteractionApplicationCommandAutocompleteResult}
	resp.Data.Choices = []*discordgo.ApplicationCommandOptionChoice{}
	d, ok := i.Data.(discordgo.ApplicationCommandInteractionData)
	if !ok || d.Name != commandName {
		return resp
	}
	name, o := subcommand(d)
	switch name {
	case "request", "drop", "extend", "cancel":
	default:
		return resp
	}
	focused := o["role"]
	if focused == nil || !focused.Focused {
		return resp
	}
	p, err := a.dir().PrincipalFor(core.PlatformDiscord, userOf(i))
	if err != nil {
		return resp
	}
	roles, err := a.svc.EligibleRoles(ctx, p.ID)
	if err != nil {
		a.log.Error().Err(err).Str("principal", p.ID).Msg("discord autocomplete: eligible roles")
		return resp
	}
	typed := strings.ToLower(o.str("role"))
	for _, r := range roles {
		if len(resp.Data.Choices) == maxChoices {
			break
		}
		if strings.Contains(r, typed) {
			resp.Data.Choices = append(resp.Data.Choices, &discordgo.ApplicationCommandOptionChoice{Name: r, Value: r})
		}
	}
	return resp
}
