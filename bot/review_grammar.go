package bot

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/elevate-pim/elevate/core"
)

// reviewIDPattern is the shape of review ids: "rv-" and a random id or a
// definition's name and start date ("rv-db-quarterly-20270104").
var reviewIDPattern = regexp.MustCompile(`^rv-[a-z0-9][a-z0-9._@-]{0,80}$`)

// IsReviewID reports whether s has the shape of a review id.
func IsReviewID(s string) bool { return reviewIDPattern.MatchString(s) }

// maxReviewers bounds the reviewers of an ad hoc review typed in chat.
const maxReviewers = 20

// review parses the review sub-commands: "review <id> [page N]",
// "review keep|remove <id> <item> [reason]", "review accept <id>",
// "review start <role> [for DUR] [reviewers ...]", "review stop <id>",
// "review report <id>" and "review apply <id>".
func (p *parser) review() (Command, error) {
	if p.done() {
		return Command{}, usageErr(VerbReview, "Give a review id.")
	}
	switch w := p.next().lower; w {
	case "keep", "remove":
		c, err := p.reviewID(VerbReviewDecide)
		if err != nil {
			return Command{}, err
		}
		c.Decision = core.ReviewDecision(w)
		if c.Item, err = p.number(VerbReviewDecide, "the item number"); err != nil {
			return Command{}, err
		}
		c.Text, err = p.text("The reason")
		return c, err
	case "accept", "stop", "report", "apply":
		v := map[string]Verb{"accept": VerbReviewAccept, "stop": VerbReviewStop, "report": VerbReviewReport, "apply": VerbReviewApply}[w]
		c, err := p.reviewID(v)
		if err != nil {
			return Command{}, err
		}
		return c, p.end(v)
	case "start":
		return p.reviewStart()
	default:
		p.i--
		c, err := p.reviewID(VerbReview)
		if err != nil {
			return Command{}, err
		}
		c.Page = 1
		if !p.done() && p.peek().lower == "page" {
			p.i++
			if c.Page, err = p.number(VerbReview, "the page number"); err != nil {
				return Command{}, err
			}
		}
		return c, p.end(VerbReview)
	}
}

// reviewID reads a review id into a command of verb v.
func (p *parser) reviewID(v Verb) (Command, error) {
	if p.done() {
		return Command{}, usageErr(v, "Give the review id.")
	}
	t := p.next()
	if !IsReviewID(t.lower) {
		return Command{}, usageErr(v, "%s is not a review id; they look like rv-7k2m9q.", quote(t.text))
	}
	return Command{Verb: v, ReviewID: t.lower}, nil
}

// number reads a positive whole number.
func (p *parser) number(v Verb, what string) (int, error) {
	if p.done() {
		return 0, usageErr(v, "Give %s.", what)
	}
	t := p.next()
	n, err := strconv.Atoi(t.text)
	if err != nil || n < 1 || n > 1_000_000 {
		return 0, usageErr(v, "%s is not %s.", quote(t.text), what)
	}
	return n, nil
}

// reviewStart parses "review start <role> [for DUR] [reviewers ...]".
func (p *parser) reviewStart() (Command, error) {
	role, err := p.role(VerbReviewStart)
	if err != nil {
		return Command{}, err
	}
	c := Command{Verb: VerbReviewStart, Role: role}
	for !p.done() {
		switch p.next().lower {
		case "for":
			if c.Duration != 0 {
				return Command{}, usageErr(VerbReviewStart, "The duration (for) is given twice.")
			}
			if c.Duration, err = p.duration(VerbReviewStart, "for"); err != nil {
				return Command{}, err
			}
		case "reviewers", "reviewer":
			if p.done() {
				return Command{}, usageErr(VerbReviewStart, "Name the reviewers after reviewers.")
			}
			who := strings.Fields(c.Text)
			for !p.done() && p.peek().lower != "for" {
				w, err := p.principal(VerbReviewStart)
				if err != nil {
					return Command{}, err
				}
				who = append(who, w)
			}
			if len(who) > maxReviewers {
				return Command{}, core.Errorf(core.EINVALID, "At most %d reviewers, not %d.", maxReviewers, len(who))
			}
			c.Text = strings.Join(who, " ")
		default:
			p.i--
			return Command{}, p.end(VerbReviewStart)
		}
	}
	return c, nil
}
