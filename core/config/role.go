package config

import (
	"cmp"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/elevate-pim/elevate/core"
)

// roles builds each role with its policy and notification routing.
// defaultChannel is notifications.channel, used where a role names none.
func (l *loader) roles(spec *fileFormat, channels map[string]map[string]string, defaultChannel string) map[string]*core.Role {
	out := make(map[string]*core.Role, len(spec.Roles))
	for _, name := range byLine(l, "roles", spec.Roles) {
		s := spec.Roles[name]
		path := "roles." + name
		l.checkID(path, "role", name)
		if reservedWords[name] {
			l.problem(path, "role name %s is a command word of /elevate: pick another name", quote(name))
		}
		if requestIDShape.MatchString(name) {
			l.problem(path, "role name %s looks like a request id (r-xxxx): pick another name", quote(name))
		}
		policy := l.policy(path, s, spec)
		policy.RequireJustification = policy.RequireJustification || s.BreakGlass
		out[name] = &core.Role{
			Name:                 name,
			Description:          s.Description,
			Critical:             s.Critical || s.BreakGlass,
			BreakGlass:           s.BreakGlass,
			BreakGlassPrincipals: l.breakGlass(path, s, spec),
			Policy:               policy,
			Notify:               l.routing(path+".notify", s.Notify, policy.Approval.Required, channels, defaultChannel),
		}
	}
	return out
}

func (l *loader) policy(path string, s roleSpec, spec *fileFormat) core.Policy {
	var p core.Policy
	a, ap := s.Activation, path+".activation"
	if a.MaxDuration == "" {
		l.problem(ap+".max_duration", "required: the longest activation window, e.g. 4h")
	} else {
		p.MaxDuration, _ = l.duration(ap+".max_duration", a.MaxDuration, false)
	}
	if a.DefaultDuration == "" {
		p.DefaultDuration = min(time.Hour, p.MaxDuration)
	} else if d, ok := l.duration(ap+".default_duration", a.DefaultDuration, false); ok {
		if p.MaxDuration > 0 && d > p.MaxDuration {
			l.problem(ap+".default_duration", "%s is over the max_duration of %s", core.FormatDuration(d), core.FormatDuration(p.MaxDuration))
		}
		p.DefaultDuration = d
	}
	p.MaxLeadTime, _ = l.duration(ap+".max_lead_time", a.MaxLeadTime, true)

	p.RequireJustification = a.Justification.Required
	p.JustificationMinLen = a.Justification.MinLength
	if a.Justification.MinLength < 0 {
		l.problem(ap+".justification.min_length", "must not be negative")
	}
	p.RequireTicket = a.Ticket.Required
	if a.Ticket.Pattern != "" {
		re, err := regexp.Compile(a.Ticket.Pattern)
		if err != nil {
			l.problem(ap+".ticket.pattern", "does not compile: %v", err)
		}
		p.TicketPattern = re
	}
	p.RequireMFA = a.MFA

	p.Approval = l.approval(path+".approval", s.Approval, spec)

	p.Extension.Allowed = s.Extension.Allowed
	if s.Extension.MaxTotal != "" {
		p.Extension.MaxTotal, _ = l.duration(path+".extension.max_total", s.Extension.MaxTotal, false)
	} else if p.Extension.Allowed {
		p.Extension.MaxTotal = p.MaxDuration // one more window's worth
	}

	p.Eligibility = l.expiry(path+".eligibility", s.Eligibility, true)
	p.Assignment = l.expiry(path+".assignment", s.Assignment, false)
	return p
}

func (l *loader) approval(path string, s approvalSpec, spec *fileFormat) core.ApprovalRule {
	r := core.ApprovalRule{Required: s.Required, MinApprovals: 1, Timeout: core.DefaultApprovalTimeout}
	var distinct int
	var allKnown bool
	r.Approvers, r.ApproverGroups, distinct, allKnown = l.approvers(path+".approvers", s.Approvers, spec)
	if s.Required && len(s.Approvers) == 0 {
		l.problem(path+".approvers", "required when approval.required is true: name at least one principal id or group:NAME")
	}
	if s.MinApprovals != nil {
		if *s.MinApprovals < 1 {
			l.problem(path+".min_approvals", "must be at least 1")
		} else {
			r.MinApprovals = *s.MinApprovals
		}
	}
	// Unknown approvers are reported on their own; counting without them
	// would only add a second, confusing problem.
	if s.Required && allKnown && len(s.Approvers) > 0 && r.MinApprovals > distinct {
		l.problem(path+".min_approvals", "is %d, but only %d distinct approvers (groups expanded) can approve", r.MinApprovals, distinct)
	}
	if s.Timeout != "" {
		if d, ok := l.duration(path+".timeout", s.Timeout, false); ok {
			r.Timeout = d
		}
	}
	if e := s.Escalation; e != nil {
		ep := path + ".escalation"
		if e.After == "" {
			l.problem(ep+".after", "required: how long a request waits before it escalates, e.g. 2h")
		} else if d, ok := l.duration(ep+".after", e.After, false); ok {
			if d >= r.Timeout {
				l.problem(ep+".after", "%s is not before the approval timeout of %s, so it would never escalate", core.FormatDuration(d), core.FormatDuration(r.Timeout))
			}
			r.Escalation.After = d
		}
		if len(e.Approvers) == 0 {
			l.problem(ep+".approvers", "required: name the backup approvers")
		}
		r.Escalation.Approvers, r.Escalation.ApproverGroups, _, _ = l.approvers(ep+".approvers", e.Approvers, spec)
	}
	return r
}

// approvers splits an approver list into principal ids and group names
// (given as group:NAME), reporting any that do not exist. It also returns
// how many distinct principals that makes with groups expanded, and
// whether every entry was known.
func (l *loader) approvers(path string, list []string, spec *fileFormat) (ids, groups []string, distinct int, allKnown bool) {
	allKnown = true
	people := map[string]bool{}
	for i, a := range list {
		ip := fmt.Sprintf("%s[%d]", path, i)
		if name, isGroup := strings.CutPrefix(a, "group:"); isGroup {
			g, ok := spec.Groups[name]
			if !ok {
				l.problem(ip, "unknown group %s: define it under groups", quote(name))
				allKnown = false
				continue
			}
			groups = appendNew(groups, name)
			for _, m := range g.Members {
				if _, ok := spec.Principals[m]; ok {
					people[m] = true
				}
			}
			continue
		}
		if _, ok := spec.Principals[a]; !ok {
			l.problem(ip, "unknown principal %s: define it under principals, or write group:NAME for a group", quote(a))
			allKnown = false
			continue
		}
		ids = appendNew(ids, a)
		people[a] = true
	}
	return ids, groups, len(people), allKnown
}

// appendNew appends s unless list already holds it.
func appendNew(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

func (l *loader) expiry(path string, s expirySpec, defaultPermanent bool) core.ExpiryRule {
	r := core.ExpiryRule{AllowPermanent: defaultPermanent}
	r.MaxDuration, _ = l.duration(path+".max_duration", s.MaxDuration, false)
	if s.AllowPermanent != nil {
		r.AllowPermanent = *s.AllowPermanent
	}
	return r
}

func (l *loader) routing(path string, s notifySpec, approval bool, channels map[string]map[string]string, defaultChannel string) core.Routing {
	l.checkChannel(path+".channel", s.Channel, channels)
	l.checkChannel(path+".approvals_channel", s.ApprovalsChannel, channels)
	r := core.Routing{
		Channel:          cmp.Or(s.Channel, defaultChannel),
		ApprovalsChannel: s.ApprovalsChannel,
		DMApprovers:      s.DMApprovers == nil || *s.DMApprovers,
	}
	if approval && !r.DMApprovers && r.ApprovalsChannel == "" {
		l.problem(path+".dm_approvers", "approval requests would reach nobody: keep dm_approvers true or set approvals_channel")
	}
	return r
}

// requestIDShape is the shape of request ids, which commands such as
// `drop` accept in place of a role name.
var requestIDShape = regexp.MustCompile(`^r-[a-z0-9]{4,12}$`)

// duration parses a duration setting with core.ParseDuration. An empty
// value is 0; allowZero also accepts an explicit zero ("0", "0h").
// ok is false when a problem was reported.
func (l *loader) duration(path, v string, allowZero bool) (d time.Duration, ok bool) {
	if v == "" || allowZero && isZeroDuration(v) {
		return 0, true
	}
	d, err := core.ParseDuration(v)
	if err != nil {
		l.problem(path, "%s", asClause(core.ErrorMessage(err)))
		return 0, false
	}
	return d, true
}

// isZeroDuration reports whether v is zero written as a duration: "0",
// "0h", "00 minutes". core.ParseDuration rejects zero because an
// activation cannot last no time, but a lead time of zero is meaningful.
func isZeroDuration(v string) bool {
	v = strings.TrimSpace(strings.ToLower(v))
	digits := strings.TrimLeft(v, "0")
	if len(digits) == len(v) {
		return false // no leading zero at all
	}
	unit := strings.TrimSpace(digits)
	if unit == "" {
		return true
	}
	for _, r := range unit {
		if r < 'a' || r > 'z' {
			return false
		}
	}
	_, err := core.ParseDuration("1" + unit) // the unit must be one core knows
	return err == nil
}

// asClause turns core's user-facing sentence into a clause that reads well
// after "field: ".
func asClause(msg string) string {
	msg = strings.TrimSuffix(msg, ".")
	if r, size := utf8.DecodeRuneInString(msg); r != utf8.RuneError {
		msg = string(unicode.ToLower(r)) + msg[size:]
	}
	return msg
}

// breakGlass checks a break-glass role's list of principals who may use it.
func (l *loader) breakGlass(path string, s roleSpec, spec *fileFormat) []string {
	if !s.BreakGlass {
		if len(s.BreakGlassPrincipals) > 0 {
			l.problem(path+".break_glass_principals", "only a role with break_glass: true has break-glass principals")
		}
		return nil
	}
	if len(s.BreakGlassPrincipals) == 0 {
		l.problem(path+".break_glass_principals", "required with break_glass: true: the short list of principals who may use it")
	}
	if s.Approval.Required || s.Activation.MFA {
		l.problem(path+".break_glass", "a break-glass role needs neither approval nor MFA: it is for when approvers or MFA devices are out of reach")
	}
	var out []string
	for i, p := range s.BreakGlassPrincipals {
		if _, ok := spec.Principals[p]; !ok {
			l.problem(fmt.Sprintf("%s.break_glass_principals[%d]", path, i), "unknown principal %s", quote(p))
			continue
		}
		out = append(out, p)
	}
	return out
}
