package bot

import (
	"context"
	"fmt"
	"strings"

	"github.com/elevate-pim/elevate/core"
)

// request handles "/elevate <role> ...": when the role's policy needs
// something the command left out, the reply is a form, never a bare error.
func (b *Bot) request(ctx context.Context, c core.Caller, cmd Command) (Message, error) {
	role, err := b.svc.Directory().Role(cmd.Role)
	if err != nil {
		return Message{}, err
	}
	if role.Policy.RequireMFA {
		enrolled, err := b.svc.HasMFA(ctx, c.Principal)
		if err != nil {
			return Message{}, err
		}
		if !enrolled {
			return Message{}, core.Errorf(core.EFORBIDDEN, "%s requires MFA and you have not set it up yet: run `mfa enroll` first.", role.Name)
		}
	}
	in := cmd.activation(role.Name)
	missing := role.Policy.Missing(in)
	// A missing MFA code alone does not need a form up front: the request
	// waits in PendingMFA and the reply asks for the code.
	if len(missing) > 0 && !(len(missing) == 1 && missing[0] == core.FieldCode) {
		eligible, err := b.svc.EligibleRoles(ctx, c.Principal)
		if err != nil {
			return Message{}, err
		}
		return Message{Form: b.requestForm(role, cmd, eligible), Ephemeral: true}, nil
	}
	r, err := b.svc.RequestActivation(ctx, c, in)
	if err != nil {
		return Message{}, err
	}
	return b.requestReply(r), nil
}

// activation is what a request command asks core for.
func (cmd Command) activation(role string) core.ActivationInput {
	return core.ActivationInput{Role: role, Duration: cmd.Duration, Start: cmd.Start, Justification: cmd.Text, Ticket: cmd.Ticket, Code: cmd.Code}
}

// requestForm asks for the details of an activation of role, pre-filled
// with what cmd already says.
func (b *Bot) requestForm(role *core.Role, cmd Command, eligible []string) *Form {
	p := role.Policy
	dur := ""
	if cmd.Duration > 0 {
		dur = core.FormatDuration(cmd.Duration)
	}
	start := ""
	if !cmd.Start.IsZero() {
		start = cmd.Start.In(b.loc).Format("2006-01-02 15:04")
	}
	f := &Form{ID: FormRequest, Title: "Activate " + role.Name, Submit: "Request", Hidden: map[string]string{"role": role.Name}}
	if len(eligible) > 0 {
		f.Inputs = append(f.Inputs, Input{Name: "role", Label: "Role", Kind: InputSelect, Required: true, Value: role.Name, Options: eligible})
	}
	f.Inputs = append(f.Inputs, Input{Name: "duration", Label: "Duration (max " + core.FormatDuration(p.MaxDuration) + ")", Kind: InputText, Value: dur,
		Placeholder: core.FormatDuration(p.DefaultDuration), MaxLen: 20})
	if p.MaxLeadTime > 0 {
		f.Inputs = append(f.Inputs, Input{Name: "start", Label: "Start (empty = now)", Kind: InputText, Value: start, Placeholder: "14:00", MaxLen: 40})
	}
	if p.RequireJustification || cmd.Text != "" {
		label := "Justification"
		if p.JustificationMinLen > 0 {
			label = fmt.Sprintf("Justification (at least %d characters)", p.JustificationMinLen)
		}
		f.Inputs = append(f.Inputs, Input{Name: "justification", Label: label, Kind: InputLong, Required: p.RequireJustification, Value: cmd.Text, MaxLen: 500})
	}
	if p.RequireTicket || p.TicketPattern != nil || cmd.Ticket != "" {
		label := "Ticket"
		if p.TicketPattern != nil {
			label += " (" + p.TicketPattern.String() + ")"
		}
		f.Inputs = append(f.Inputs, Input{Name: "ticket", Label: label, Kind: InputText, Required: p.RequireTicket, Value: cmd.Ticket, MaxLen: 64})
	}
	if p.RequireMFA {
		f.Inputs = append(f.Inputs, Input{Name: "code", Label: "MFA code from your authenticator app", Kind: InputCode, Required: true, Value: cmd.Code, MaxLen: 8})
	}
	return f
}

// submitRequest turns a submitted request form back into a command, so that
// typed and form input pass the same checks.
func (b *Bot) submitRequest(ctx context.Context, c core.Caller, s Submission) (Message, error) {
	v := func(k string) string { return strings.TrimSpace(s.Values[k]) }
	cmd := Command{Verb: VerbRequest, Role: s.Hidden["role"], Text: v("justification"), Ticket: v("ticket"), Code: v("code")}
	if r := v("role"); r != "" {
		cmd.Role = strings.ToLower(r)
	}
	if d := v("duration"); d != "" {
		dur, err := core.ParseDuration(d)
		if err != nil {
			return Message{}, err
		}
		cmd.Duration = dur
	}
	if st := v("start"); st != "" {
		t, err := ParseWhen(st, b.svc.Clock().Now(), b.loc)
		if err != nil {
			return Message{}, core.About(core.FieldStart, err)
		}
		cmd.Start = t
	}
	role, err := b.svc.Directory().Role(cmd.Role)
	if err != nil {
		return Message{}, err
	}
	// Core refuses what is still missing, as for a typed command; a missing
	// MFA code leaves the request waiting for it.
	r, err := b.svc.RequestActivation(ctx, c, cmd.activation(role.Name))
	if err != nil {
		return Message{}, err
	}
	return b.requestReply(r), nil
}

// requestReply tells the requester where their request stands.
func (b *Bot) requestReply(r *core.Request) Message {
	m := Message{RequestID: r.ID, Ephemeral: true, Fields: b.requestFields(r)}
	switch r.State {
	case core.PendingMFA:
		m.Text = fmt.Sprintf("Request %s for %s needs your MFA code.", r.ID, r.Role)
		m.Form = codeForm(r.ID)
	case core.PendingApproval:
		m.Text = fmt.Sprintf("Request %s for %s is waiting for approval. You will get a message when it is decided.", r.ID, r.Role)
		m.Buttons = []Button{{Label: "Cancel request", Command: "cancel " + r.ID}}
	case core.Scheduled:
		m.Text = fmt.Sprintf("Request %s for %s is approved and starts at %s.", r.ID, r.Role, b.clock(r.Start))
		m.Buttons = []Button{{Label: "Cancel", Command: "cancel " + r.ID}}
	case core.StateActive:
		m.Text = fmt.Sprintf("%s is active until %s (%s).", r.Role, b.clock(r.EndsAt), r.ID)
		m.Tone = ToneSuccess
		m.Buttons = []Button{{Label: "Deactivate", Command: "drop " + r.ID, Style: StyleDanger}}
	default:
		m.Text = fmt.Sprintf("Request %s for %s is %s.", r.ID, r.Role, r.State)
		if r.Reason != "" {
			m.Text += " " + r.Reason
		}
		m.Tone = ToneWarning
	}
	return m
}

// decided is the reply to an approver's vote or decision.
func (b *Bot) decided(r *core.Request, approver string) Message {
	text := fmt.Sprintf("You approved %s (%s for %s).", r.ID, r.Role, r.Principal)
	switch r.State {
	case core.PendingApproval:
		text = fmt.Sprintf("Your approval of %s is recorded; it needs %s.", r.ID, b.quorumLeft(r))
	case core.Denied:
		text = fmt.Sprintf("You denied %s (%s for %s).", r.ID, r.Role, r.Principal)
	}
	return Message{Text: text, RequestID: r.ID, Ephemeral: true, Tone: ToneInfo}
}

// quorumLeft says how many more approvals r needs.
func (b *Bot) quorumLeft(r *core.Request) string {
	role, err := b.svc.Directory().Role(r.Role)
	if err != nil {
		return "more approvals"
	}
	n := max(role.Policy.Approval.MinApprovals, 1) - len(r.Approvals)
	if n == 1 {
		return "1 more approval"
	}
	return fmt.Sprintf("%d more approvals", n)
}

// requestFields are the who/what/why/how-long facts of a request.
func (b *Bot) requestFields(r *core.Request) []Field {
	span := Field{Label: "Duration", Value: core.FormatDuration(r.Duration)}
	if r.Extended > 0 {
		// The requested duration no longer says when it ends.
		span = Field{Label: "Until", Value: fmt.Sprintf("%s (extended by %s)", b.clock(r.EndsAt), core.FormatDuration(r.Extended))}
	}
	fs := []Field{{Label: "Requester", Value: r.Principal}, {Label: "Role", Value: r.Role}, span}
	if !r.Start.IsZero() {
		fs = append(fs, Field{Label: "Start", Value: b.clock(r.Start)})
	}
	if r.Justification != "" {
		fs = append(fs, Field{Label: "Justification", Value: r.Justification})
	}
	if r.Ticket != "" {
		fs = append(fs, Field{Label: "Ticket", Value: r.Ticket})
	}
	fs = append(fs, Field{Label: "Request", Value: r.ID})
	return fs
}

func denyForm(id string) *Form {
	return &Form{ID: FormDeny, Title: "Deny " + id, Submit: "Deny", Hidden: map[string]string{"request": id},
		Inputs: []Input{{Name: "reason", Label: "Reason (shown to the requester)", Kind: InputLong, Required: true, MaxLen: 500}}}
}

func codeForm(id string) *Form {
	return &Form{ID: FormCode, Title: "MFA code", Submit: "Verify", Hidden: map[string]string{"request": id},
		Inputs: []Input{{Name: "code", Label: "MFA code from your authenticator app", Kind: InputCode, Required: true, MaxLen: 8}}}
}
