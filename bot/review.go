package bot

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/elevate-pim/elevate/core"
)

// FormReviewReason asks for the reason of a review decision.
const FormReviewReason FormID = "review_reason"

// runReview runs the review commands.
func (b *Bot) runReview(ctx context.Context, c core.Caller, cmd Command) (Message, error) {
	rv := b.svc.Reviews()
	switch cmd.Verb {
	case VerbReviews:
		return b.reviews(ctx, c)
	case VerbReview:
		return b.review(ctx, c, cmd.ReviewID, cmd.Page)
	case VerbReviewDecide:
		it, err := rv.Decide(ctx, c, cmd.ReviewID, cmd.Item, cmd.Decision, cmd.Text)
		if errors.Is(err, core.ErrReasonRequired) {
			return Message{Form: reasonForm(cmd), Ephemeral: true}, nil
		} else if err != nil {
			return Message{}, err
		}
		return b.decidedItem(ctx, c, it)
	case VerbReviewAccept:
		n, err := rv.AcceptAll(ctx, c, cmd.ReviewID)
		if err != nil {
			return Message{}, err
		}
		return Message{Title: "Access review " + cmd.ReviewID, Text: fmt.Sprintf("Accepted the recommendation on %d item(s) of %s.", n, cmd.ReviewID),
			Tone: ToneSuccess, Ephemeral: true, ReviewID: cmd.ReviewID, Replace: true}, nil
	case VerbReviewStart:
		r, err := rv.Start(ctx, c, cmd.Role, cmd.Duration, strings.Fields(cmd.Text))
		if err != nil {
			return Message{}, err
		}
		return Message{Text: fmt.Sprintf("Started access review %s of %s: %d item(s), until %s.", r.ID, cmd.Role, r.Items, b.clock(r.StageEnd)), Tone: ToneSuccess, Ephemeral: true, ReviewID: r.ID}, nil
	case VerbReviewStop:
		if _, err := rv.Stop(ctx, c, cmd.ReviewID); err != nil {
			return Message{}, err
		}
		return Message{Text: "Stopped " + cmd.ReviewID + "; its results are applied.", Tone: ToneSuccess, Ephemeral: true}, nil
	case VerbReviewApply:
		r, err := rv.Apply(ctx, c, cmd.ReviewID)
		if err != nil {
			return Message{}, err
		}
		if r.Applied == 0 {
			return Message{Text: fmt.Sprintf("Nothing left to apply in %s: %s.", cmd.ReviewID, core.Totals(r.Counts)), Tone: ToneInfo, Ephemeral: true, ReviewID: cmd.ReviewID}, nil
		}
		return Message{Text: fmt.Sprintf("Applied %d decided removal(s) of %s: %s.", r.Applied, cmd.ReviewID, core.Totals(r.Counts)), Tone: ToneSuccess, Ephemeral: true, ReviewID: cmd.ReviewID}, nil
	case VerbReviewReport:
		r, items, err := rv.Report(ctx, c, cmd.ReviewID)
		if err != nil {
			return Message{}, err
		}
		var buf bytes.Buffer
		if err := core.WriteReviewReport(&buf, "csv", r, items); err != nil {
			return Message{}, err
		}
		return Message{Text: fmt.Sprintf("Report of %s (%s): %d item(s).", r.ID, r.State, len(items)),
			File: &File{Name: r.ID + ".csv", Type: "text/csv", Data: buf.Bytes()}, Ephemeral: true}, nil
	}
	return Message{}, core.Errorf(core.EINVALID, "Unknown command. Try `help`.")
}

// reasonForm asks for the reason of a decision a review requires one for.
func reasonForm(cmd Command) *Form {
	return &Form{ID: FormReviewReason, Title: "Reason", Submit: strings.ToUpper(string(cmd.Decision[:1])) + string(cmd.Decision[1:]),
		Hidden: map[string]string{"review": cmd.ReviewID, "item": strconv.Itoa(cmd.Item), "decision": string(cmd.Decision)},
		Inputs: []Input{{Name: "reason", Label: "Reason for " + string(cmd.Decision), Kind: InputLong, Required: true, MaxLen: MaxTextChars}}}
}

// submitReason decides with the reason a form brought back.
func (b *Bot) submitReason(ctx context.Context, c core.Caller, s Submission) (Message, error) {
	n, err := strconv.Atoi(s.Hidden["item"])
	if err != nil {
		return Message{}, core.Errorf(core.EINVALID, "The form names no item.")
	}
	return b.Run(ctx, c, Command{Verb: VerbReviewDecide, ReviewID: s.Hidden["review"], Item: n,
		Decision: core.ReviewDecision(s.Hidden["decision"]), Text: s.Values["reason"]})
}

// decidedItem confirms a decision and shows what is left for the caller.
func (b *Bot) decidedItem(ctx context.Context, c core.Caller, it *core.ReviewItem) (Message, error) {
	verb := map[core.ReviewDecision]string{core.DecisionKeep: "Keep", core.DecisionRemove: "Remove"}[it.Decision]
	// The answer replaces the page the reviewer clicked: the decided item
	// shows its decision and loses its buttons.
	m := Message{Title: "Access review " + it.Review, Text: fmt.Sprintf("%s #%d (%s, %s, %s): recorded; it applies when the review ends.", verb, it.N, it.Principal, it.Role, it.Kind),
		Tone: ToneSuccess, Ephemeral: true, ReviewID: it.Review, Replace: true}
	page, err := b.svc.Reviews().Pending(ctx, c, it.Review, 0)
	if err != nil {
		return m, nil // the decision stands; the count is a courtesy
	}
	if page.Total == 0 {
		m.Text += " Nothing else waits for you in " + it.Review + "."
		return m, nil
	}
	// The next undecided items come with the confirmation, so a reviewer
	// goes on clicking from the reply instead of a page that is now stale.
	m.Text += fmt.Sprintf(" %d item(s) still wait for you:", page.Total)
	next := b.reviewPage(page.Review, page.Items, 0, page.Total)
	m.Fields, m.Buttons = next.Fields, next.Buttons
	return m, nil
}

// reviews lists the open reviews the caller may see and what waits for them.
func (b *Bot) reviews(ctx context.Context, c core.Caller) (Message, error) {
	open, mine, err := b.svc.Reviews().Open(ctx, c)
	if err != nil {
		return Message{}, err
	}
	m := Message{Title: "Access reviews", Ephemeral: true}
	if len(open) == 0 {
		m.Text = "No open access review waits for you."
		return m, nil
	}
	for _, rv := range open {
		m.Fields = append(m.Fields, Field{Label: rv.ID, Value: fmt.Sprintf("%s, %d item(s), until %s; %d wait for you",
			strings.Join(rv.Plan.Roles, ", "), rv.Items, b.clock(rv.StageEnd), mine[rv.ID])})
		if mine[rv.ID] > 0 {
			m.Buttons = append(m.Buttons, Button{Label: "Review " + rv.ID, Command: "review " + rv.ID, Style: StylePrimary})
		}
	}
	return m, nil
}

// review shows a review's progress and the caller's page of it.
func (b *Bot) review(ctx context.Context, c core.Caller, id string, page int) (Message, error) {
	pr, err := b.svc.Reviews().Progress(ctx, c, id)
	if err != nil {
		return Message{}, err
	}
	rv := pr.Review
	m := Message{Title: "Access review " + rv.ID, Ephemeral: true, ReviewID: rv.ID, Replace: page > 1}
	state := fmt.Sprintf("open until %s", b.clock(rv.StageEnd))
	if rv.State == core.ReviewClosed {
		state = "closed at " + b.clock(rv.Closed)
	}
	m.Text = fmt.Sprintf("%s: %d item(s), stage %d of %d, %s.", strings.Join(rv.Plan.Roles, ", "), rv.Items, rv.Stage+1, len(rv.Plan.Stages), state)
	m.Fields = append(m.Fields, Field{Label: "Progress", Value: progress(pr.Counts)})
	if pr.Mine == 0 {
		return m, nil
	}
	p, err := b.svc.Reviews().Pending(ctx, c, id, (page-1)*core.ReviewPageSize)
	if err != nil {
		return Message{}, err
	}
	items := b.reviewPage(p.Review, p.Items, p.Offset, p.Total)
	m.Fields = append(m.Fields, items.Fields...)
	m.Buttons = items.Buttons
	return m, nil
}

// progress summarizes item counts: "1 undecided, 2 keep, 1 remove".
func progress(counts map[string]int) string {
	var parts []string
	for _, k := range []string{core.ItemPending, string(core.DecisionKeep), string(core.DecisionRemove)} {
		if n := counts[k]; n > 0 {
			label := k
			if k == core.ItemPending {
				label = "undecided"
			}
			parts = append(parts, fmt.Sprintf("%d %s", n, label))
		}
	}
	if done := core.Totals(counts); done != "no items" {
		parts = append(parts, "done: "+done)
	}
	if len(parts) == 0 {
		return "no items"
	}
	return strings.Join(parts, ", ")
}

// reviewPage renders a page of a reviewer's pending items: one field per
// item (who, role, how, since, last activated, recommendation, earlier
// stages) with Keep / Remove buttons, accept-all, and the next page.
func (b *Bot) reviewPage(rv *core.Review, items []core.ReviewItem, offset, total int) Message {
	var m Message
	for _, it := range items {
		how := string(it.Kind)
		if it.Permanent {
			how += ", permanent"
		}
		facts := []string{how}
		if !it.Since.IsZero() {
			facts = append(facts, "since "+b.day(it.Since))
		}
		if it.LastActivated.IsZero() {
			facts = append(facts, "never activated")
		} else {
			facts = append(facts, "last activated "+b.day(it.LastActivated))
		}
		facts = append(facts, "recommended: "+string(it.Recommendation))
		for _, e := range it.Earlier {
			who := e.DecidedBy
			if who == "" {
				who = "no answer"
			}
			facts = append(facts, fmt.Sprintf("stage %d: %s (%s)", e.Stage+1, e.Decision, who))
		}
		m.Fields = append(m.Fields, Field{Label: fmt.Sprintf("#%d %s: %s", it.N, it.Principal, it.Role), Value: strings.Join(facts, "; ")})
		m.Buttons = append(m.Buttons,
			Button{Label: fmt.Sprintf("Keep #%d", it.N), Command: fmt.Sprintf("review keep %s %d", rv.ID, it.N), Style: StylePrimary},
			Button{Label: fmt.Sprintf("Remove #%d", it.N), Command: fmt.Sprintf("review remove %s %d", rv.ID, it.N), Style: StyleDanger})
	}
	if total > 0 {
		m.Buttons = append(m.Buttons, Button{Label: "Accept all recommendations", Command: "review accept " + rv.ID})
	}
	if offset+len(items) < total {
		m.Buttons = append(m.Buttons, Button{Label: "Next page", Command: fmt.Sprintf("review %s page %d", rv.ID, offset/core.ReviewPageSize+2)})
	}
	return m
}

// day renders a date for review items.
func (b *Bot) day(t time.Time) string { return t.In(b.loc).Format("2006-01-02") }

// reviewNotice renders a review event: a reviewer's DM or reminder with a
// page of their items, or a channel's start and end posts.
func (b *Bot) reviewNotice(e core.Event) Message {
	rv := e.Review
	roles := strings.Join(rv.Plan.Roles, ", ")
	switch e.Kind {
	case core.EventReviewRequested, core.EventReviewReminder:
		m := b.reviewPage(rv, e.ReviewItems, 0, e.Pending)
		m.Title, m.ReviewID = "Access review "+rv.ID, rv.ID
		m.Text = fmt.Sprintf("Does each still need %s? %d item(s) wait for your decision until %s.", roles, e.Pending, b.clock(rv.StageEnd))
		if e.Kind == core.EventReviewReminder {
			m.Title = "Reminder: access review " + rv.ID
			m.Tone = ToneWarning
		}
		return m
	case core.EventReviewEnded:
		return Message{Title: "Access review ended", Text: e.Message, Tone: ToneSuccess, ReviewID: rv.ID}
	case core.EventReviewProgress:
		return Message{Title: "Access review progress", Text: e.Message, Tone: ToneInfo, ReviewID: rv.ID}
	}
	return Message{Title: "Access review started", Text: e.Message, Tone: ToneInfo, ReviewID: rv.ID}
}
