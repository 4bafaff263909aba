package discord

import (
	"strings"

	"github.com/bwmarrin/discordgo"

	"github.com/elevate-pim/elevate/bot"
	"github.com/elevate-pim/elevate/core"
)

// maxReviewers bounds the reviewers of an ad hoc review given in one option.
const maxReviewers = 20

// reviewOptions are /elevate reviews and the /elevate review group: the
// review commands of the chat grammar with typed options.
func reviewOptions() []*discordgo.ApplicationCommandOption {
	str := func(name, desc string, required bool, maxLen int) *discordgo.ApplicationCommandOption {
		return &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionString, Name: name, Description: desc, Required: required, MaxLength: maxLen}
	}
	num := func(name, desc string, required bool) *discordgo.ApplicationCommandOption {
		one := 1.0
		return &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionInteger, Name: name, Description: desc, Required: required, MinValue: &one, MaxValue: 1_000_000}
	}
	id := func() *discordgo.ApplicationCommandOption {
		return str("review", "Review id, e.g. rv-7k2qx9", true, 90)
	}
	sub := func(name, desc string, opts ...*discordgo.ApplicationCommandOption) *discordgo.ApplicationCommandOption {
		return &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionSubCommand, Name: name, Description: desc, Options: opts}
	}
	reason := func() *discordgo.ApplicationCommandOption {
		return str("reason", "Why (asked for when the review requires one)", false, bot.MaxTextChars)
	}
	return []*discordgo.ApplicationCommandOption{
		sub("reviews", "Open access reviews and the items waiting for you"),
		{Type: discordgo.ApplicationCommandOptionSubCommandGroup, Name: "review", Description: "Access reviews",
			Options: []*discordgo.ApplicationCommandOption{
				sub("show", "A review's progress and your undecided items", id(), num("page", "Page of your items (default 1)", false)),
				sub("keep", "Keep an item of a review", id(), num("item", "Item number", true), reason()),
				sub("remove", "Remove an item of a review", id(), num("item", "Item number", true), reason()),
				sub("accept", "Decide all your items as recommended", id()),
				sub("start", "Start an access review (admins)", str("role", "Role to review", true, 64),
					str("for", "How long reviewers have, e.g. 7d (default 7d)", false, 20),
					str("reviewers", "Principals, group:G, self, approvers or manager, space-separated (default: approvers)", false, 1000)),
				sub("stop", "End a review now and apply it (admins)", id()),
				sub("report", "A review's report as CSV (admins, readers)", id()),
				sub("apply", "Carry out the removals a closed review left (admins, its owners)", id()),
			}},
	}
}

// reviewCommand maps the review subcommands to bot commands; ok is false
// for any other subcommand.
func (a *Adapter) reviewCommand(name string, in *input) (c bot.Command, ok bool) {
	verbs := map[string]bot.Verb{"reviews": bot.VerbReviews, "review show": bot.VerbReview, "review keep": bot.VerbReviewDecide,
		"review remove": bot.VerbReviewDecide, "review accept": bot.VerbReviewAccept, "review start": bot.VerbReviewStart,
		"review stop": bot.VerbReviewStop, "review report": bot.VerbReviewReport, "review apply": bot.VerbReviewApply}
	v, ok := verbs[name]
	if !ok {
		return bot.Command{}, false
	}
	c.Verb = v
	switch name {
	case "reviews":
		return c, true
	case "review start":
		c.Role, c.Duration = in.role("role"), in.duration("for")
		in.require(c.Role, "role")
		c.Text = a.reviewers(in, "reviewers")
		return c, true
	}
	c.ReviewID = in.reviewID("review")
	switch name {
	case "review show":
		c.Page = max(in.number("page"), 1)
	case "review keep", "review remove":
		c.Decision = core.DecisionKeep
		if name == "review remove" {
			c.Decision = core.DecisionRemove
		}
		c.Item = in.number("item")
		if c.Item == 0 {
			in.fail("Give the item option: the item's number in the review.")
		}
		c.Text = in.text("reason", "The reason", bot.MaxTextChars)
	}
	return c, true
}

// reviewID reads a review id option.
func (in *input) reviewID(name string) string {
	s := strings.ToLower(in.o.str(name))
	if !bot.IsReviewID(s) {
		in.fail("%q is not a review id; they look like rv-7k2qx9.", truncate(in.o.str(name), 40))
		return ""
	}
	return s
}

// number reads a positive whole-number option (0 when absent). Payloads
// are untrusted: a value of another JSON type, or out of range, is refused.
func (in *input) number(name string) int {
	opt := in.o[name]
	if opt == nil {
		return 0
	}
	f, ok := opt.Value.(float64)
	if !ok || f != float64(int(f)) || f < 1 || f > 1_000_000 {
		in.fail("The %s option must be a whole number from 1.", name)
		return 0
	}
	return int(f)
}

// reviewers reads an ad hoc review's reviewers: principal ids or Discord
// mentions of enrolled users, group:NAME, self, approvers or manager.
func (a *Adapter) reviewers(in *input, name string) string {
	s := in.text(name, "The reviewers", 1000)
	words := strings.Fields(s)
	if len(words) > maxReviewers {
		in.fail("At most %d reviewers, not %d.", maxReviewers, len(words))
		return ""
	}
	for i, w := range words {
		if m := mention.FindStringSubmatch(w); m != nil {
			p, err := a.dir().PrincipalFor(core.PlatformDiscord, m[1]+m[2])
			if err != nil {
				in.fail("Discord user %s is not enrolled in elevate.", m[1]+m[2])
				return ""
			}
			words[i] = p.ID
		}
	}
	return strings.Join(words, " ")
}
