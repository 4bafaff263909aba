package bot

import (
	"fmt"

	"github.com/elevate-pim/elevate/core"
)

// Audience is who a notice is written for.
type Audience string

// Notice audiences.
const (
	ForApprover  Audience = "approver"  // an approval request, with Approve / Deny
	ForRequester Audience = "requester" // the requester's DM
	ForChannel   Audience = "channel"   // a security or approvals channel post
)

// Notice renders a domain event for an audience. The approval request and
// its decided form share RequestID, so adapters can replace every copy of
// the former with the latter.
func (b *Bot) Notice(e core.Event, to Audience) Message {
	if e.Review != nil {
		return b.reviewNotice(e)
	}
	if e.Kind == core.EventAlert && e.Alert != nil {
		return b.alertNotice(e)
	}
	r := e.Request
	if r == nil {
		m := Message{Title: "elevate", Text: e.Message, Tone: toneOf(e.Severity)}
		if e.Kind == core.EventAnchor {
			m.Title = "Audit anchor"
		}
		if e.Kind == core.EventAlert {
			m.Title = "Security alert (" + string(e.Severity) + ")"
		}
		return m
	}
	m := Message{RequestID: r.ID, Fields: b.requestFields(r)}
	switch e.Kind {
	case core.EventRequested, core.EventEscalated:
		m.Title = "Approval needed"
		m.Text = fmt.Sprintf("%s requests %s for %s.", r.Principal, r.Role, core.FormatDuration(r.Duration))
		if e.Kind == core.EventEscalated {
			m.Text += " (escalated: the first approvers have not decided)"
		}
		if to == ForApprover || to == ForChannel {
			m.Buttons = approvalButtons(r.ID)
		}
	case core.EventApprovalVote:
		m.Title = "Approval recorded"
		m.Text = fmt.Sprintf("%s approved %s; it needs %s.", e.Actor, r.ID, b.quorumLeft(r))
		if to != ForRequester {
			m.Buttons = approvalButtons(r.ID)
		}
	case core.EventApproved, core.EventScheduledStart:
		m.Title = "Approved"
		m.Text = fmt.Sprintf("%s approved %s for %s at %s.", r.DecidedBy, r.Role, r.Principal, b.clock(r.DecidedAt))
		if r.State == core.Scheduled {
			m.Text += " It starts at " + b.clock(r.Start) + "."
		}
		m.Tone = ToneSuccess
	case core.EventDenied:
		m.Title = "Denied"
		m.Text = fmt.Sprintf("%s denied %s for %s at %s.", r.DecidedBy, r.Role, r.Principal, b.clock(r.DecidedAt))
		m.Fields = append(m.Fields, Field{Label: "Reason", Value: r.Reason})
		m.Tone = ToneDanger
	case core.EventCanceled:
		m.Title = "Canceled"
		m.Text = fmt.Sprintf("%s canceled request %s for %s.", r.Principal, r.ID, r.Role)
	case core.EventTimedOut:
		m.Title = "Timed out"
		m.Text = fmt.Sprintf("Request %s for %s timed out without a decision.", r.ID, r.Role)
		m.Tone = ToneWarning
	case core.EventActivated:
		m.Title = "Activated"
		m.Text = fmt.Sprintf("%s activated %s until %s.", r.Principal, r.Role, b.clock(r.EndsAt))
		m.Tone = ToneSuccess
		if to == ForRequester {
			m.Text = fmt.Sprintf("%s is active until %s.", r.Role, b.clock(r.EndsAt))
			m.Buttons = []Button{{Label: "Deactivate", Command: "drop " + r.ID, Style: StyleDanger}}
		}
	case core.EventExtended:
		m.Title = "Extended"
		m.Text = fmt.Sprintf("%s extended %s until %s.", r.Principal, r.Role, b.clock(r.EndsAt))
	case core.EventExpiring:
		m.Title = "Expiring soon"
		m.Text = fmt.Sprintf("%s ends at %s (%s).", r.Role, b.clock(r.EndsAt), r.ID)
		m.Tone = ToneWarning
		m.Buttons = []Button{{Label: "Extend 30m", Command: "extend " + r.ID + " by 30m", Style: StylePrimary},
			{Label: "Deactivate now", Command: "drop " + r.ID, Style: StyleDanger}}
	case core.EventExpired:
		m.Title = "Expired"
		m.Text = fmt.Sprintf("%s's %s window ended at %s.", r.Principal, r.Role, b.clock(r.EndsAt))
	case core.EventRevoked:
		m.Title = "Deactivated"
		m.Text = fmt.Sprintf("%s's %s window was ended early by %s.", r.Principal, r.Role, r.DecidedBy)
	case core.EventFailed:
		m.Title = "Activation failed"
		m.Text = fmt.Sprintf("%s for %s failed: %s", r.Role, r.Principal, r.Reason)
		m.Tone = ToneDanger
	case core.EventMFARequired:
		m.Title = "MFA code needed"
		m.Text = fmt.Sprintf("Request %s for %s waits for your MFA code.", r.ID, r.Role)
		m.Form = codeForm(r.ID)
	default:
		m.Title = string(e.Kind)
		m.Text = fmt.Sprintf("%s: %s %s", r.ID, r.Role, r.State)
	}
	return m
}

func toneOf(s core.Severity) Tone {
	switch s {
	case core.SeverityHigh:
		return ToneDanger
	case core.SeverityMedium, core.SeverityLow:
		return ToneWarning
	}
	return ToneInfo
}
