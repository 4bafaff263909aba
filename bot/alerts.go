package bot

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"strings"

	"github.com/elevate-pim/elevate/core"
)

// FormDismiss asks for the reason of an alert's dismissal.
const FormDismiss FormID = "dismiss"

// alertRows is how many report rows an alert post shows; a CSV of the whole
// report comes with it when there are more.
const alertRows = 5

// runAlert runs the alert commands.
func (b *Bot) runAlert(ctx context.Context, c core.Caller, cmd Command) (Message, error) {
	al := b.svc.Alerts()
	var (
		got *core.Alert
		err error
	)
	switch cmd.Verb {
	case VerbHelpAlerts:
		return Message{Title: "Security alerts", Text: b.alertHelp(), Ephemeral: true}, nil
	case VerbAlerts:
		return b.alertList(ctx, c)
	case VerbAnchor:
		head, err := al.Anchor(ctx, c)
		if err != nil {
			return Message{}, err
		}
		return Message{Text: fmt.Sprintf("Anchored the audit head %d:%s in the alerts channel.", head.Seq, head.Hash), Tone: ToneSuccess, Ephemeral: true}, nil
	case VerbAlertDismiss:
		if strings.TrimSpace(cmd.Text) == "" {
			return Message{Form: dismissForm(cmd.AlertID), Ephemeral: true}, nil
		}
		got, err = al.Dismiss(ctx, c, cmd.AlertID, cmd.Text)
	case VerbAlertAck:
		got, err = al.Acknowledge(ctx, c, cmd.AlertID, cmd.Text)
	case VerbAlertRevoke:
		got, err = al.RevokeBreakGlass(ctx, c, cmd.AlertID)
	case VerbAlertRemove:
		got, err = al.Remove(ctx, c, cmd.AlertID, cmd.Principal)
	}
	if err != nil {
		return Message{}, err
	}
	text := fmt.Sprintf("Alert %s is %s.", got.ID, got.Status)
	if cmd.Verb == VerbAlertRemove {
		text = fmt.Sprintf("Removed %s. Alert %s is %s.", cmd.Principal, got.ID, got.Status)
	}
	return Message{Text: text, Tone: ToneSuccess, Ephemeral: true, AlertID: got.ID}, nil
}

// alertHelp describes every kind with its effective severity and thresholds.
func (b *Bot) alertHelp() string {
	var s strings.Builder
	for _, k := range core.AlertKinds {
		r := b.svc.Alerts().Rule(k.Kind)
		desc := strings.NewReplacer("`threshold`", fmt.Sprint(r.Threshold), "`percent`", fmt.Sprint(r.Percent), "`period`", core.FormatDuration(r.Period)).Replace(k.Description)
		state := string(r.Severity)
		if !r.Enabled {
			state = "off"
		}
		fmt.Fprintf(&s, "  %s (%s): %s\n", k.Kind, state, desc)
	}
	s.WriteString("Admins act with the buttons or `alerts dismiss ID REASON`; readers see `alerts`.\n")
	return s.String()
}

// alertList lists the open alerts.
func (b *Bot) alertList(ctx context.Context, c core.Caller) (Message, error) {
	list, err := b.svc.Alerts().List(ctx, c)
	if err != nil {
		return Message{}, err
	}
	m := Message{Title: "Open security alerts", Ephemeral: true}
	if len(list) == 0 {
		m.Text = "No open alerts."
		return m, nil
	}
	for _, a := range list {
		m.Fields = append(m.Fields, Field{Label: a.ID + " " + strings.ToUpper(string(a.Severity)) + " " + string(a.Kind), Value: a.Summary})
	}
	return m, nil
}

// alertNotice renders an alert post: severity, what happened, the top
// rows of the report (the whole report as CSV when longer), and the
// actions an admin can take while it is open.
func (b *Bot) alertNotice(e core.Event) Message {
	a := e.Alert
	m := Message{Title: fmt.Sprintf("Security alert (%s): %s", a.Severity, a.Kind), Text: a.Summary, Tone: toneOf(a.Severity), AlertID: a.ID}
	switch a.Status {
	case core.AlertResolved:
		m.Title, m.Tone = "Resolved: "+m.Title, ToneSuccess
		m.Text += fmt.Sprintf(" Resolved %s: %s.", b.clock(a.Closed), a.Reason)
		if a.ClosedBy != "" && a.ClosedBy != core.System.Principal {
			m.Text = strings.TrimSuffix(m.Text, ".") + fmt.Sprintf(" (by %s).", a.ClosedBy)
		}
	case core.AlertDismissed:
		m.Title, m.Tone = "Dismissed: "+m.Title, ToneInfo
		m.Text += fmt.Sprintf(" Dismissed by %s until %s or new subjects: %s", a.ClosedBy, b.clock(a.Until), a.Reason)
	}
	m.Fields = append(m.Fields, Field{Label: "Alert", Value: a.ID + ", since " + b.clock(a.FirstSeen)})
	for i, r := range a.Report {
		if i == alertRows {
			m.Fields = append(m.Fields, Field{Label: "More", Value: fmt.Sprintf("%d more rows in the attached report", len(a.Report)-alertRows)})
			m.File = reportCSV(a)
			break
		}
		m.Fields = append(m.Fields, Field{Label: r.Subject, Value: r.Detail})
	}
	if a.Status != core.AlertOpen {
		return m
	}
	for i, r := range a.Report {
		if i == alertRows || r.Command == "" {
			continue
		}
		m.Buttons = append(m.Buttons, Button{Label: r.Action + " " + r.Subject, Command: r.Command, Style: StyleDanger})
	}
	if info, _ := core.AlertInfoOf(a.Kind); !info.Scanned {
		m.Buttons = append(m.Buttons, Button{Label: "Acknowledge", Command: "alerts ack " + a.ID, Style: StylePrimary})
	}
	m.Buttons = append(m.Buttons, Button{Label: "Dismiss", Command: "alerts dismiss " + a.ID})
	return m
}

// reportCSV is the whole report of a as a CSV file.
func reportCSV(a *core.Alert) *File {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write([]string{"subject", "principal", "role", "detail", "action"})
	for _, r := range a.Report {
		_ = w.Write([]string{r.Subject, r.Principal, r.Role, r.Detail, r.Command})
	}
	w.Flush()
	return &File{Name: "elevate-alert-" + a.ID + ".csv", Type: "text/csv", Data: buf.Bytes()}
}

func dismissForm(id string) *Form {
	return &Form{ID: FormDismiss, Title: "Dismiss " + id, Submit: "Dismiss", Hidden: map[string]string{"alert": id},
		Inputs: []Input{{Name: "reason", Label: "Why is this acceptable? (audited)", Kind: InputLong, Required: true, MaxLen: 500}}}
}
