package bot

import (
	"context"
	"time"

	"github.com/elevate-pim/elevate/core"
)

// Bot turns commands, button clicks and form submissions into core calls and
// replies. It holds no state of its own: everything lives in core's store, so
// any replica can serve the next click of a conversation.
type Bot struct {
	svc *core.Service
	loc *time.Location
}

// New returns a Bot over svc that shows times in loc (UTC when nil).
func New(svc *core.Service, loc *time.Location) *Bot {
	if loc == nil {
		loc = time.UTC
	}
	return &Bot{svc: svc, loc: loc}
}

// Service returns the core service the bot drives.
func (b *Bot) Service() *core.Service { return b.svc }

// Location returns the time zone the bot shows times in.
func (b *Bot) Location() *time.Location { return b.loc }

// Handle runs a typed command (or a clicked button's Command) for the
// caller. Errors are core errors: each adapter maps their codes to replies
// in its own table, and logs internal ones.
func (b *Bot) Handle(ctx context.Context, c core.Caller, text string) (Message, error) {
	cmd, err := Parse(text, b.svc.Clock().Now(), b.loc)
	if err != nil {
		return Message{}, err
	}
	return b.Run(ctx, c, cmd)
}

// Run executes a parsed command. Adapters with typed options (Discord's
// slash command options) build the Command themselves and call Run.
func (b *Bot) Run(ctx context.Context, c core.Caller, cmd Command) (Message, error) {
	switch cmd.Verb {
	case VerbMenu:
		return b.menu(ctx, c)
	case VerbHelp:
		return Message{Title: "elevate: just-in-time access", Text: Usage(), Ephemeral: true}, nil
	case VerbStatus:
		return b.status(ctx, c)
	case VerbRequest:
		return b.request(ctx, c, cmd)
	case VerbApprove:
		r, err := b.svc.Approve(ctx, c, cmd.RequestID)
		if err != nil {
			return Message{}, err
		}
		return b.decided(r, c.Principal), nil
	case VerbDeny:
		if cmd.Text == "" {
			return Message{Form: denyForm(cmd.RequestID), Ephemeral: true}, nil
		}
		r, err := b.svc.Deny(ctx, c, cmd.RequestID, cmd.Text)
		if err != nil {
			return Message{}, err
		}
		return b.decided(r, c.Principal), nil
	case VerbCancel:
		return b.onRequest(ctx, c, cmd, b.svc.Cancel, "Canceled")
	case VerbDrop:
		return b.onRequest(ctx, c, cmd, b.svc.Deactivate, "Deactivated")
	case VerbExtend:
		return b.extend(ctx, c, cmd)
	case VerbCode:
		r, err := b.svc.ProvideMFA(ctx, c, cmd.RequestID, cmd.Code)
		if err != nil {
			return Message{}, err
		}
		return b.requestReply(r), nil
	case VerbWho:
		return b.who(ctx, c, cmd.Role)
	case VerbAssign:
		return b.assign(ctx, c, cmd)
	case VerbUnassign:
		return b.unassign(ctx, c, cmd)
	case VerbConvert:
		return b.convert(ctx, c, cmd)
	case VerbReviews, VerbReview, VerbReviewDecide, VerbReviewAccept, VerbReviewStart, VerbReviewStop, VerbReviewReport, VerbReviewApply:
		return b.runReview(ctx, c, cmd)
	case VerbMFAEnroll:
		return b.enroll(ctx, c)
	case VerbMFAVerify:
		if err := b.svc.ConfirmMFA(ctx, c, cmd.Code); err != nil {
			return Message{}, err
		}
		return Message{Text: "MFA is set up. Roles that require MFA will ask for a code from your app.", Tone: ToneSuccess, Ephemeral: true}, nil
	case VerbAudit:
		return b.audit(ctx, c, cmd)
	case VerbHelpAlerts, VerbAlerts, VerbAlertDismiss, VerbAlertAck, VerbAlertRevoke, VerbAlertRemove, VerbAnchor:
		return b.runAlert(ctx, c, cmd)
	}
	return Message{}, core.Errorf(core.EINVALID, "Unknown command. Try `help`.")
}

// Submit handles a submitted form.
func (b *Bot) Submit(ctx context.Context, c core.Caller, s Submission) (Message, error) {
	switch s.ID {
	case FormRequest:
		return b.submitRequest(ctx, c, s)
	case FormDeny:
		return b.Run(ctx, c, Command{Verb: VerbDeny, RequestID: s.Hidden["request"], Text: s.Values["reason"]})
	case FormReviewReason:
		return b.submitReason(ctx, c, s)
	case FormCode:
		return b.Run(ctx, c, Command{Verb: VerbCode, RequestID: s.Hidden["request"], Code: s.Values["code"]})
	case FormDismiss:
		return b.Run(ctx, c, Command{Verb: VerbAlertDismiss, AlertID: s.Hidden["alert"], Text: s.Values["reason"]})
	}
	return Message{}, core.Errorf(core.EINVALID, "Unknown form %q.", s.ID)
}

// onRequest resolves a command's request (by id, or the caller's open
// request for a role) and applies op to it.
func (b *Bot) onRequest(ctx context.Context, c core.Caller, cmd Command, op func(context.Context, core.Caller, string) (*core.Request, error), done string) (Message, error) {
	id, err := b.resolve(ctx, c, cmd)
	if err != nil {
		return Message{}, err
	}
	r, err := op(ctx, c, id)
	if err != nil {
		return Message{}, err
	}
	return Message{Text: done + " " + r.ID + " (" + r.Role + ").", Tone: ToneInfo, RequestID: r.ID, Ephemeral: true}, nil
}

// resolve returns the request id a command names directly or through a role.
func (b *Bot) resolve(ctx context.Context, c core.Caller, cmd Command) (string, error) {
	if cmd.RequestID != "" {
		return cmd.RequestID, nil
	}
	r, err := b.svc.FindOpen(ctx, c, cmd.Role)
	if err != nil {
		return "", err
	}
	return r.ID, nil
}

func (b *Bot) extend(ctx context.Context, c core.Caller, cmd Command) (Message, error) {
	id, err := b.resolve(ctx, c, cmd)
	if err != nil {
		return Message{}, err
	}
	r, err := b.svc.Extend(ctx, c, id, cmd.Duration)
	if err != nil {
		return Message{}, err
	}
	return Message{Text: "Extended " + r.Role + " (" + r.ID + ") until " + b.clock(r.EndsAt) + ".", Tone: ToneSuccess, RequestID: r.ID, Ephemeral: true}, nil
}

// clock renders a time for people, in the bot's zone.
func (b *Bot) clock(t time.Time) string {
	now := b.svc.Clock().Now().In(b.loc)
	t = t.In(b.loc)
	if t.YearDay() == now.YearDay() && t.Year() == now.Year() {
		return t.Format("15:04 MST")
	}
	return t.Format("Mon 2 Jan 15:04 MST")
}
