package core

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// ActivationInput is what a requester asks for.
type ActivationInput struct {
	Role          string
	Duration      time.Duration // 0 = the policy's default
	Start         time.Time     // zero = now
	Justification string
	Ticket        string
	Code          string // TOTP code; empty on an MFA role leaves the request PendingMFA
}

// Missing returns the fields that the role's policy requires and in lacks,
// so that a bot can ask for them in a form instead of answering with an error.
func (p Policy) Missing(in ActivationInput) []Field {
	var out []Field
	if p.RequireJustification && strings.TrimSpace(in.Justification) == "" {
		out = append(out, FieldJustification)
	}
	if p.RequireTicket && strings.TrimSpace(in.Ticket) == "" {
		out = append(out, FieldTicket)
	}
	if p.RequireMFA && strings.TrimSpace(in.Code) == "" {
		out = append(out, FieldCode)
	}
	return out
}

// RequestActivation asks for an activation of in.Role by the caller.
// Depending on the role's policy the request waits for the caller's MFA code
// (PendingMFA), for approvers (PendingApproval), for its start (Scheduled),
// or is active at once. Errors: ENOTFOUND for an unknown role; EFORBIDDEN
// when the caller is not eligible or the MFA code is wrong; ELOCKED while MFA
// is locked; EINVALID for a duration over the maximum, a missing or short
// justification, a bad ticket, a start in the past or too far ahead;
// ECONFLICT when the caller already holds the role or has an open request.
func (s *Service) RequestActivation(ctx context.Context, c Caller, in ActivationInput) (*Request, error) {
	role, err := s.dir().Role(in.Role)
	if err != nil {
		return nil, err
	}
	if _, err := s.dir().Principal(c.Principal); err != nil {
		return nil, err
	}
	if done, err := s.delivered(ctx, c, role.Name); done != nil || err != nil {
		return done, err
	}
	now := s.clock.Now()
	req, err := s.newRequest(ctx, c, role, in, now)
	if err != nil {
		return nil, err
	}
	if w, err := s.store.Window(ctx, c.Principal, role.Name); err == nil {
		return nil, Errorf(ECONFLICT, "You already hold %s until %s. Use `extend %s` to lengthen it.", role.Name, s.when(w.End), role.Name)
	} else if ErrorCode(err) != ENOTFOUND {
		return nil, err
	}
	if role.Policy.RequireMFA && !role.BreakGlass && in.Code != "" {
		if err := s.verifyCode(ctx, c, in.Code); err != nil {
			return nil, err
		}
	}

	var (
		ch      Change
		refused bool
	)
	ch.Audit = append(ch.Audit, audit(req, "request", c, now))
	if role.BreakGlass {
		ch.Audit[0].Decision = "break_glass"
	}
	out := outcome{}
	switch {
	case role.Policy.RequireMFA && !role.BreakGlass && in.Code == "":
		req.State = PendingMFA
		req.DeadlineAt = now.Add(DefaultMFATimeout)
		ch.Schedule = append(ch.Schedule, Job{Kind: JobTimeout, Ref: req.ID, Due: req.DeadlineAt})
		out.events = append(out.events, s.event(EventMFARequired, req, c.Principal, now))
	default:
		out = s.afterMFA(req, c, now, &ch)
	}
	for try := range maxRetries {
		req.ID = newRequestID()
		if try == 0 && c.Delivery != "" {
			req.ID = deliveryRequestID(c.Delivery)
		}
		fixIDs(req, &ch)
		req.Version = 1
		full := ch
		full.Schedule = slices.Clone(ch.Schedule)
		full.Requests = []RequestWrite{{Request: req, Expect: 0}}
		full.Slots = []SlotWrite{{Principal: req.Principal, Role: req.Role, Set: req.ID}}
		if err = s.effects(&full, req, out); err != nil {
			return nil, err
		}
		refused, err = s.commit(ctx, full)
		if ErrorCode(err) != ECONFLICT {
			break
		}
		if open := s.openRequestFor(ctx, req.Principal, req.Role); open != nil {
			return nil, Errorf(ECONFLICT, "You already have request %s for %s (%s). Cancel it first with `cancel %s`.", open.ID, role.Name, open.State, open.ID)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("request %s: %w", role.Name, err)
	}
	req = s.settled(ctx, req, refused)
	if role.BreakGlass && req.State == StateActive {
		s.breakGlassUsed(ctx, req)
	}
	return req, nil
}

// delivered returns the request c's delivery opened for role before, when
// this is a delivery run again (its replica died after the request was
// committed), so that it is answered again rather than run twice.
func (s *Service) delivered(ctx context.Context, c Caller, role string) (*Request, error) {
	if c.Delivery == "" {
		return nil, nil
	}
	req, err := s.store.Request(ctx, deliveryRequestID(c.Delivery))
	switch {
	case ErrorCode(err) == ENOTFOUND:
		return nil, nil
	case err != nil:
		return nil, err
	case req.Principal != c.Principal || req.Role != role || req.Source != c.Source:
		return nil, nil // another request has the id: this delivery's got a random one
	}
	return req, nil
}

// fixIDs points the jobs and audit events of a new request at its final id.
func fixIDs(req *Request, ch *Change) {
	for i := range ch.Schedule {
		ch.Schedule[i].Ref = req.ID
	}
	for i := range ch.Audit {
		ch.Audit[i].RequestID = req.ID
	}
	for i := range ch.OpenWindows {
		ch.OpenWindows[i].Window.RequestID = req.ID
	}
}

// newRequest checks in against the role's policy and the caller's
// eligibility, and returns the request it describes.
func (s *Service) newRequest(ctx context.Context, c Caller, role *Role, in ActivationInput, now time.Time) (*Request, error) {
	p := role.Policy
	dur := in.Duration
	if dur == 0 {
		dur = p.DefaultDuration
	}
	if dur <= 0 {
		return nil, Invalidf(FieldDuration, "Duration must be longer than zero.")
	}
	if dur > p.MaxDuration {
		return nil, Invalidf(FieldDuration, "Duration %s is over the maximum of %s for %s.", FormatDuration(dur), FormatDuration(p.MaxDuration), role.Name)
	}
	start := in.Start
	if !start.IsZero() {
		switch lead := start.Sub(now); {
		case lead < -time.Minute:
			return nil, Invalidf(FieldStart, "Start %s is in the past.", s.when(start))
		case lead <= 0:
			start = time.Time{}
		case p.MaxLeadTime == 0:
			return nil, Invalidf(FieldStart, "%s does not allow scheduled starts; leave out the start time.", role.Name)
		case lead > p.MaxLeadTime:
			return nil, Invalidf(FieldStart, "Start is %s ahead; %s allows at most %s.", FormatDuration(lead), role.Name, FormatDuration(p.MaxLeadTime))
		}
	}
	justification := strings.TrimSpace(in.Justification)
	ticket := strings.TrimSpace(in.Ticket)
	if err := checkText(FieldJustification, "Justification", justification); err != nil {
		return nil, err
	}
	if err := checkText(FieldTicket, "Ticket", ticket); err != nil {
		return nil, err
	}
	switch {
	case len(justification) > maxTextLen:
		return nil, Invalidf(FieldJustification, "Justification is too long: %d characters, the limit is %d.", len(justification), maxTextLen)
	case p.RequireJustification && justification == "":
		return nil, Invalidf(FieldJustification, "%s requires a justification.", role.Name)
	case p.RequireJustification && len([]rune(justification)) < p.JustificationMinLen:
		return nil, Invalidf(FieldJustification, "Justification is too short: %s requires at least %d characters.", role.Name, p.JustificationMinLen)
	case len(ticket) > 64:
		return nil, Invalidf(FieldTicket, "Ticket is too long: the limit is 64 characters.")
	case p.RequireTicket && ticket == "":
		return nil, Invalidf(FieldTicket, "%s requires a ticket.", role.Name)
	case ticket != "" && p.TicketPattern != nil && !p.TicketPattern.MatchString(ticket):
		return nil, Invalidf(FieldTicket, "Ticket %q does not match the required pattern %s.", ticket, p.TicketPattern)
	}
	at := start
	if at.IsZero() {
		at = now
	}
	if role.BreakGlass && justification == "" {
		return nil, Errorf(EINVALID, "A break-glass activation of %s needs a justification: say what the emergency is.", role.Name)
	}
	if err := s.checkEligible(ctx, c.Principal, role.Name, at); err != nil {
		return nil, err
	}
	return &Request{
		Principal: c.Principal, Role: role.Name, Duration: dur, Start: start,
		Justification: justification, Ticket: ticket, Source: c.Source, CreatedAt: now,
	}, nil
}

// afterMFA moves a request whose MFA is satisfied on: to approval, to its
// scheduled start, or to active.
func (s *Service) afterMFA(req *Request, c Caller, now time.Time, ch *Change) outcome {
	role := s.dir().Roles[req.Role]
	a := role.Policy.Approval
	if a.Required && !role.BreakGlass {
		req.State = PendingApproval
		req.DeadlineAt = now.Add(a.timeout())
		ch.Schedule = append(ch.Schedule, Job{Kind: JobTimeout, Ref: req.ID, Due: req.DeadlineAt})
		if a.Escalation.After > 0 && a.Escalation.After < a.timeout() {
			ch.Schedule = append(ch.Schedule, Job{Kind: JobEscalate, Ref: req.ID, Due: now.Add(a.Escalation.After)})
		}
		e := s.event(EventRequested, req, c.Principal, now)
		e.Recipients = s.approvers(role, false, req.Principal)
		return outcome{events: []Event{e}}
	}
	return s.approved(req, c, now, ch)
}

// approved moves an approved (or approval-free) request to Scheduled when
// its start is ahead, or opens its window now.
func (s *Service) approved(req *Request, c Caller, now time.Time, ch *Change) outcome {
	unschedule(req, ch, JobTimeout, JobEscalate)
	req.DeadlineAt = time.Time{}
	if !req.Start.IsZero() && req.Start.After(now) {
		req.State = Scheduled
		ch.Schedule = append(ch.Schedule, Job{Kind: JobStart, Ref: req.ID, Due: req.Start})
		ch.Audit = append(ch.Audit, audit(req, "schedule", c, now))
		return outcome{events: []Event{s.event(EventScheduledStart, req, c.Principal, now)}}
	}
	return s.activate(req, c, now, ch)
}

// activate opens the request's window: the window, its expiry and warning
// jobs and the audit record are one atomic change; targets are granted after.
func (s *Service) activate(req *Request, c Caller, now time.Time, ch *Change) outcome {
	req.State = StateActive
	req.ActivatedAt = now
	req.EndsAt = now.Add(req.Duration)
	unschedule(req, ch, JobStart, JobTimeout, JobEscalate)
	ch.OpenWindows = append(ch.OpenWindows, WindowWrite{
		Window: Window{Principal: req.Principal, Role: req.Role, RequestID: req.ID, Start: now, End: req.EndsAt},
		TTL:    req.Duration,
	})
	scheduleEnd(req, ch)
	ch.Audit = append(ch.Audit, audit(req, "activate", c, now))
	return outcome{events: []Event{s.event(EventActivated, req, c.Principal, now)}, grant: true}
}

// scheduleEnd (re)schedules the expiry of an active request and the warning before it.
func scheduleEnd(req *Request, ch *Change) {
	ch.Schedule = append(ch.Schedule, Job{Kind: JobExpire, Ref: req.ID, Due: req.EndsAt})
	if warn := req.EndsAt.Add(-ExpiryWarning); warn.After(req.ActivatedAt.Add(ExpiryWarning)) {
		ch.Schedule = append(ch.Schedule, Job{Kind: JobWarn, Ref: req.ID, Due: warn})
	}
}

// openRequestFor returns the caller's open request for role, if any.
func (s *Service) openRequestFor(ctx context.Context, principal, role string) *Request {
	open, err := s.store.OpenRequestsOf(ctx, principal)
	if err != nil {
		return nil
	}
	for _, r := range open {
		if r.Role == role {
			return r
		}
	}
	return nil
}

// clockTime renders a time for chat messages.
func (s *Service) when(t time.Time) string { return t.In(s.loc).Format("2006-01-02 15:04 MST") }
