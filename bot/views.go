package bot

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	"github.com/elevate-pim/elevate/core"
)

// menu is the reply to a bare "/elevate": a button per eligible role.
func (b *Bot) menu(ctx context.Context, c core.Caller) (Message, error) {
	roles, err := b.svc.EligibleRoles(ctx, c.Principal)
	if err != nil {
		return Message{}, err
	}
	m := Message{Title: "Activate a role", Ephemeral: true}
	if len(roles) == 0 {
		m.Text = "You are not eligible for any role right now."
		return m, nil
	}
	m.Text = "Pick a role to activate, or type `/elevate ROLE for 1h REASON`."
	for _, r := range roles {
		m.Buttons = append(m.Buttons, Button{Label: "Activate " + r, Command: r, Style: StylePrimary})
	}
	m.Buttons = append(m.Buttons, Button{Label: "My status", Command: "status"})
	return m, nil
}

// status lists the caller's roles, windows and requests, and what waits for them.
func (b *Bot) status(ctx context.Context, c core.Caller) (Message, error) {
	st, err := b.svc.StatusOf(ctx, c)
	if err != nil {
		return Message{}, err
	}
	m := Message{Title: "Your access", Ephemeral: true}
	if len(st.Eligible) > 0 {
		m.Fields = append(m.Fields, Field{Label: "Eligible", Value: strings.Join(st.Eligible, ", ")})
	}
	for _, h := range st.Standing {
		until := "permanent"
		if !h.Until.IsZero() {
			until = "until " + b.clock(h.Until)
		}
		m.Fields = append(m.Fields, Field{Label: "Assigned", Value: strings.TrimPrefix(h.Via, "assignment:") + " (" + until + ")"})
	}
	for _, r := range st.Active {
		m.Fields = append(m.Fields, Field{Label: "Active", Value: fmt.Sprintf("%s until %s (%s left, %s)", r.Role, b.clock(r.EndsAt), core.FormatDuration(r.EndsAt.Sub(b.svc.Clock().Now())), r.ID)})
		m.Buttons = append(m.Buttons, Button{Label: "Deactivate " + r.Role, Command: "drop " + r.ID, Style: StyleDanger},
			Button{Label: "Extend " + r.Role + " 30m", Command: "extend " + r.ID + " by 30m"})
	}
	for _, r := range st.Pending {
		m.Fields = append(m.Fields, Field{Label: "Pending", Value: fmt.Sprintf("%s %s (%s)", r.Role, r.State, r.ID)})
		m.Buttons = append(m.Buttons, Button{Label: "Cancel " + r.ID, Command: "cancel " + r.ID})
	}
	for _, r := range st.ToApprove {
		m.Fields = append(m.Fields, Field{Label: "Waiting for you", Value: fmt.Sprintf("%s wants %s for %s (%s)", r.Principal, r.Role, core.FormatDuration(r.Duration), r.ID)})
		m.Buttons = append(m.Buttons, approvalButtons(r.ID)...)
	}
	if len(m.Fields) == 0 {
		m.Text = "You have no eligible roles, windows or requests."
	}
	return m, nil
}

// approvalButtons are the Approve / Deny pair of a request.
func approvalButtons(id string) []Button {
	return []Button{
		{Label: "Approve", Command: "approve " + id, Style: StylePrimary},
		{Label: "Deny", Command: "deny " + id, Style: StyleDanger},
	}
}

// who answers "who has access to role?".
func (b *Bot) who(ctx context.Context, c core.Caller, role string) (Message, error) {
	acc, err := b.svc.WhoHas(ctx, c, role)
	if err != nil {
		return Message{}, err
	}
	m := Message{Title: "Who has " + role, Ephemeral: true}
	var active, eligible []string
	for _, h := range acc.Holders {
		s := h.Principal + " (" + h.Via
		if h.Until.IsZero() {
			s += ", permanent)"
		} else {
			s += ", until " + b.clock(h.Until) + ")"
		}
		active = append(active, s)
	}
	for _, a := range acc.Eligible {
		s := a.Principal
		if !a.Permanent && !a.End.IsZero() {
			s += " (until " + b.clock(a.End) + ")"
		}
		eligible = append(eligible, s)
	}
	m.Fields = []Field{{Label: "Active now", Value: orNone(active)}, {Label: "Eligible", Value: orNone(eligible)}}
	return m, nil
}

func orNone(list []string) string {
	if len(list) == 0 {
		return "nobody"
	}
	return strings.Join(list, ", ")
}

// assign creates or updates an assignment.
func (b *Bot) assign(ctx context.Context, c core.Caller, cmd Command) (Message, error) {
	a := core.Assignment{Kind: cmd.Kind, Principal: cmd.Principal, Role: cmd.Role, Start: cmd.Start, Permanent: cmd.Permanent, End: cmd.Until}
	if a.Kind == "" {
		a.Kind = core.Eligible
	}
	if cmd.Duration > 0 {
		from := cmd.Start
		if from.IsZero() {
			from = b.svc.Clock().Now()
		}
		a.End = from.Add(cmd.Duration)
	}
	got, err := b.svc.Assign(ctx, c, a)
	if err != nil {
		return Message{}, err
	}
	until := "permanently"
	if !got.Permanent {
		until = "until " + b.clock(got.End)
	}
	return Message{Text: fmt.Sprintf("%s is now %s for %s %s.", got.Principal, got.Kind, got.Role, until), Tone: ToneSuccess, Ephemeral: true}, nil
}

// unassign removes an assignment.
func (b *Bot) unassign(ctx context.Context, c core.Caller, cmd Command) (Message, error) {
	kind := cmd.Kind
	if kind == "" {
		kind = core.Eligible
	}
	if err := b.svc.Unassign(ctx, c, kind, cmd.Principal, cmd.Role); err != nil {
		return Message{}, err
	}
	return Message{Text: fmt.Sprintf("Removed %s's %s assignment for %s.", cmd.Principal, kind, cmd.Role), Tone: ToneSuccess, Ephemeral: true}, nil
}

// convert turns a standing assignment into an eligibility.
func (b *Bot) convert(ctx context.Context, c core.Caller, cmd Command) (Message, error) {
	got, err := b.svc.ConvertToEligible(ctx, c, cmd.Principal, cmd.Role)
	if err != nil {
		return Message{}, err
	}
	until := "permanently"
	if !got.Permanent {
		until = "until " + b.clock(got.End)
	}
	return Message{Text: fmt.Sprintf("%s no longer holds %s standing; they are eligible %s and activate it when needed.", got.Principal, got.Role, until), Tone: ToneSuccess, Ephemeral: true}, nil
}

// enroll starts MFA enrollment: the QR code and secret go only to the caller.
func (b *Bot) enroll(ctx context.Context, c core.Caller) (Message, error) {
	en, err := b.svc.EnrollMFA(ctx, c)
	if err != nil {
		return Message{}, err
	}
	return Message{
		Title: "Set up MFA",
		Text: "Scan the QR code with your authenticator app (or enter the secret by hand), then confirm with `mfa verify CODE`.\n" +
			"Secret: " + en.Secret + "\nURL: " + en.URL,
		File:      &File{Name: "elevate-mfa.png", Type: "image/png", Data: en.PNG},
		Ephemeral: true,
	}, nil
}

// audit exports the audit trail as CSV for admins and readers.
func (b *Bot) audit(ctx context.Context, c core.Caller, cmd Command) (Message, error) {
	events, err := b.svc.AuditLog(ctx, c, core.AuditFilter{Since: cmd.Since, Until: cmd.Until, Role: cmd.Role, Principal: cmd.Principal})
	if err != nil {
		return Message{}, err
	}
	var buf bytes.Buffer
	if err := core.WriteAudit(&buf, "csv", events); err != nil {
		return Message{}, err
	}
	return Message{
		Text:      fmt.Sprintf("Audit export: %d events.", len(events)),
		File:      &File{Name: "elevate-audit.csv", Type: "text/csv", Data: buf.Bytes()},
		Ephemeral: true,
	}, nil
}
