package config

import (
	"fmt"
	"time"

	"github.com/elevate-pim/elevate/core"
)

// dateLayout is the date-only form; it means midnight in the config's time zone.
const dateLayout = "2006-01-02"

// assignments builds the file's assignments and checks each against the
// directory and its role's expiry rules.
func (l *loader) assignments(spec *fileFormat, roles map[string]*core.Role, loc *time.Location) []core.Assignment {
	out := make([]core.Assignment, 0, len(spec.Assignments))
	seen := map[string]int{} // assignment key → index of its first occurrence
	for i, s := range spec.Assignments {
		path := fmt.Sprintf("assignments[%d]", i)
		a := core.Assignment{Kind: core.AssignmentKind(s.Type), Principal: s.Principal, Role: s.Role, Permanent: s.Permanent, Source: Source}
		valid := true
		require := func(field, value, what string) {
			if value == "" {
				l.problem(path+"."+field, "required: %s", what)
				valid = false
			}
		}
		require("principal", s.Principal, "the principal id")
		require("role", s.Role, "the role name")
		require("type", s.Type, "eligible or active")
		if _, ok := spec.Principals[s.Principal]; s.Principal != "" && !ok {
			l.problem(path+".principal", "unknown principal %s: define it under principals", quote(s.Principal))
			valid = false
		}
		if _, ok := spec.Roles[s.Role]; s.Role != "" && !ok {
			l.problem(path+".role", "unknown role %s: define it under roles", quote(s.Role))
			valid = false
		}
		if s.Type != "" && a.Kind != core.Eligible && a.Kind != core.Active {
			l.problem(path+".type", "want eligible or active, got %s", quote(s.Type))
			valid = false
		}
		var startOK, endOK bool
		a.Start, startOK = l.timestamp(path+".start", s.Start, loc)
		a.End, endOK = l.timestamp(path+".end", s.End, loc)

		switch {
		case s.Permanent && s.End != "":
			l.problem(path+".end", "a permanent assignment has no end: remove end or permanent")
		case !s.Permanent && s.End == "":
			l.problem(path, "no end: set end or permanent: true")
		case startOK && endOK && !a.Start.IsZero() && !a.End.IsZero() && !a.End.After(a.Start):
			l.problem(path+".end", "must be after start (%s)", a.Start.Format(time.RFC3339))
		}

		if valid {
			l.checkExpiry(path, a, roles[s.Role].Policy)
			key := a.Key()
			if first, dup := seen[key]; dup {
				l.problem(path, "duplicates assignments[%d]: same principal, role and type", first)
			} else {
				seen[key] = i
			}
		}
		out = append(out, a)
	}
	return out
}

// checkExpiry holds an assignment to its role's eligibility or assignment rule.
func (l *loader) checkExpiry(path string, a core.Assignment, p core.Policy) {
	rule, name := p.Eligibility, "eligibility"
	if a.Kind == core.Active {
		rule, name = p.Assignment, "assignment"
	}
	if a.Permanent && !rule.AllowPermanent {
		l.problem(path+".permanent", "role %s does not allow permanent %s assignments (%s.allow_permanent is false): set an end", a.Role, a.Kind, name)
	}
	if a.End.IsZero() || rule.MaxDuration <= 0 {
		return
	}
	from := a.Start
	if from.IsZero() {
		from = l.now
	}
	if length := a.End.Sub(from); length > rule.MaxDuration {
		l.problem(path+".end", "lasts %s, over the %s max of %s", core.FormatDuration(length), name, core.FormatDuration(rule.MaxDuration))
	}
}

// timestamp parses an RFC 3339 time or a date (midnight in loc). An empty
// value is the zero time; ok is false when a problem was reported.
func (l *loader) timestamp(path, v string, loc *time.Location) (t time.Time, ok bool) {
	if v == "" {
		return time.Time{}, true
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, true
	}
	if t, err := time.ParseInLocation(dateLayout, v, loc); err == nil {
		return t, true
	}
	l.problem(path, "want an RFC 3339 time (2026-01-02T15:04:05Z) or a date (2026-01-02), got %s", quote(v))
	return time.Time{}, false
}
