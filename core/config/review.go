package config

import (
	"cmp"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/elevate-pim/elevate/core"
)

// reviews builds the access review definitions and checks each.
func (l *loader) reviews(spec *fileFormat, roles map[string]*core.Role, channels map[string]map[string]string, loc *time.Location) []core.ReviewPlan {
	var out []core.ReviewPlan
	for _, name := range byLine(l, "reviews", spec.Reviews) {
		s, path := spec.Reviews[name], "reviews."+name
		l.checkID(path, "review", name)
		p := core.ReviewPlan{Name: name, PermanentOnly: s.PermanentOnly, Occurrences: s.Occurrences, Channel: s.Channel, PostProgress: s.PostProgress,
			AutoApply: s.AutoApply == nil || *s.AutoApply, RequireReason: s.RequireReason}
		p.Roles = l.reviewRoles(path, s, roles)
		p.Owners = l.owners(path+".owners", s.Owners, spec)
		switch s.Assignments {
		case "", "both":
			p.Kinds = []core.AssignmentKind{core.Eligible, core.Active}
		case "eligible", "active":
			p.Kinds = []core.AssignmentKind{core.AssignmentKind(s.Assignments)}
		default:
			l.problem(path+".assignments", "want eligible, active or both, got %s", quote(s.Assignments))
		}
		if s.Start == "" {
			l.problem(path+".start", "required: when the first review starts, e.g. 2026-12-01")
		}
		p.Start, _ = l.timestamp(path+".start", s.Start, loc)
		p.End, _ = l.timestamp(path+".end", s.End, loc)
		if !p.End.IsZero() && !p.Start.IsZero() && !p.End.After(p.Start) {
			l.problem(path+".end", "must be after start (%s)", p.Start.Format(time.RFC3339))
		}
		if s.Occurrences < 0 {
			l.problem(path+".occurrences", "must not be negative")
		}
		if s.Every != "" {
			every, err := core.ParsePeriod(s.Every)
			if err != nil {
				l.problem(path+".every", "%s", asClause(core.ErrorMessage(err)))
			}
			p.Every = every
		}
		p.Stages = l.reviewStages(path, s, spec)
		if d := p.Duration(); !p.Every.IsZero() && d > 0 && p.Every.After(p.Start, 1).Sub(p.Start) < d {
			l.problem(path+".every", "%s is shorter than a review lasts (%s): instances would overlap", s.Every, core.FormatDuration(d))
		}
		p.Reminders = l.reminders(path+".reminders", s.Reminders, p.Stages)
		l.checkChannel(path+".channel", s.Channel, channels)
		switch s.IfNoAnswer {
		case "", "keep", "remove", "recommendation":
			p.IfNoAnswer = core.ReviewDecision(cmp.Or(s.IfNoAnswer, "keep"))
		default:
			l.problem(path+".if_no_answer", "want keep, remove or recommendation, got %s", quote(s.IfNoAnswer))
		}
		p.UnusedFor = core.DefaultUnusedFor
		if s.UnusedFor != "" {
			p.UnusedFor, _ = l.duration(path+".unused_for", s.UnusedFor, false)
		}
		out = append(out, p)
	}
	return out
}

// reviewRoles returns the roles a review covers: those listed, or with
// critical: true every critical role.
func (l *loader) reviewRoles(path string, s reviewSpec, roles map[string]*core.Role) []string {
	var out []string
	for i, r := range s.Roles {
		if _, ok := roles[r]; !ok {
			l.problem(fmt.Sprintf("%s.roles[%d]", path, i), "unknown role %s: define it under roles", quote(r))
			continue
		}
		out = appendNew(out, r)
	}
	if s.Critical {
		for _, name := range byLine(l, "roles", roles) {
			if roles[name].Critical {
				out = appendNew(out, name)
			}
		}
	}
	if len(out) == 0 && len(s.Roles) == 0 {
		l.problem(path+".roles", "required: the roles to review, or critical: true for every critical role")
	}
	return out
}

// reviewStages builds the stages: the stages list, or one stage from the
// top-level reviewers, fallback and duration.
func (l *loader) reviewStages(path string, s reviewSpec, spec *fileFormat) []core.ReviewStage {
	specs := s.Stages
	prefix := path + ".stages"
	if len(specs) == 0 {
		specs, prefix = []reviewStageSpec{{Reviewers: s.Reviewers, Fallback: s.Fallback, Duration: s.Duration}}, ""
	} else if len(s.Reviewers)+len(s.Fallback) > 0 || s.Duration != "" {
		l.problem(path+".stages", "give reviewers, fallback and duration either in stages or beside them, not both")
	}
	if len(specs) > core.MaxReviewStages {
		l.problem(path+".stages", "at most %d stages, not %d", core.MaxReviewStages, len(specs))
	}
	var out []core.ReviewStage
	for i, st := range specs {
		sp := path
		if prefix != "" {
			sp = fmt.Sprintf("%s[%d]", prefix, i)
		}
		stage := core.ReviewStage{Reviewers: l.reviewers(sp+".reviewers", st.Reviewers, spec), Fallback: l.reviewers(sp+".fallback", st.Fallback, spec)}
		if len(st.Reviewers) == 0 {
			l.problem(sp+".reviewers", "required: who decides, e.g. [bob, group:dba-leads], [self], [approvers] or [manager]")
		}
		if st.Duration == "" {
			l.problem(sp+".duration", "required: how long reviewers have, e.g. 14d")
		} else {
			stage.Duration, _ = l.duration(sp+".duration", st.Duration, false)
		}
		out = append(out, stage)
	}
	return out
}

// reviewers checks a reviewer list: principals, group:NAME, self,
// approvers or manager.
func (l *loader) reviewers(path string, list []string, spec *fileFormat) []string {
	var out []string
	for i, r := range list {
		ip := fmt.Sprintf("%s[%d]", path, i)
		switch name, isGroup := strings.CutPrefix(r, core.GroupPrefix); {
		case r == core.ReviewersSelf || r == core.ReviewersApprovers || r == core.ReviewersManager:
		case isGroup:
			if _, ok := spec.Groups[name]; !ok {
				l.problem(ip, "unknown group %s: define it under groups", quote(name))
				continue
			}
		default:
			if _, ok := spec.Principals[r]; !ok {
				l.problem(ip, "unknown reviewer %s: a principal, group:NAME, self, approvers or manager", quote(r))
				continue
			}
		}
		out = appendNew(out, r)
	}
	return out
}

// owners checks a review's owners: principals and group:NAME.
func (l *loader) owners(path string, list []string, spec *fileFormat) []string {
	var out []string
	for i, o := range list {
		ip := fmt.Sprintf("%s[%d]", path, i)
		if name, isGroup := strings.CutPrefix(o, core.GroupPrefix); isGroup {
			if _, ok := spec.Groups[name]; !ok {
				l.problem(ip, "unknown group %s: define it under groups", quote(name))
				continue
			}
		} else if _, ok := spec.Principals[o]; !ok {
			l.problem(ip, "unknown owner %s: a principal or group:NAME", quote(o))
			continue
		}
		out = appendNew(out, o)
	}
	return out
}

// reminders parses "50%" (of each stage) and "1d" (before each stage's
// end); the default is halfway and a day before the end.
func (l *loader) reminders(path string, list []string, stages []core.ReviewStage) []core.Reminder {
	if list == nil {
		return core.DefaultReminders
	}
	shortest := time.Duration(0)
	for _, st := range stages {
		if shortest == 0 || (st.Duration > 0 && st.Duration < shortest) {
			shortest = st.Duration
		}
	}
	var out []core.Reminder
	for i, v := range list {
		ip := fmt.Sprintf("%s[%d]", path, i)
		if pct, ok := strings.CutSuffix(strings.TrimSpace(v), "%"); ok {
			n, err := strconv.Atoi(pct)
			if err != nil || n <= 0 || n >= 100 {
				l.problem(ip, "want a percentage of the review between 1%% and 99%%, got %s", quote(v))
				continue
			}
			out = append(out, core.Reminder{Fraction: float64(n) / 100})
			continue
		}
		d, ok := l.duration(ip, v, false)
		if !ok {
			continue
		}
		if shortest > 0 && d >= shortest {
			l.problem(ip, "%s before the end is not within a review of %s", core.FormatDuration(d), core.FormatDuration(shortest))
			continue
		}
		out = append(out, core.Reminder{Before: d})
	}
	return out
}
