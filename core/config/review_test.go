package config_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/elevate-pim/elevate/core"
	"github.com/elevate-pim/elevate/core/config"
)

// review is a valid review definition to vary.
const review = `reviews:
  weekly:
    roles: [admin]
    start: 2026-12-01
    every: 7d
    duration: 3d
    reviewers: [dana]
`

func TestReviewDefinition(t *testing.T) {
	doc := with("principals", "  bob: {manager: dana}\n  carol: {}", "groups", "  leads: {members: [carol]}", "top", `reviews:
  quarterly:
    critical: true
    assignments: eligible
    permanent_only: true
    start: 2027-01-01
    every: 3mo
    occurrences: 4
    stages:
      - {reviewers: [self], duration: 3d}
      - {reviewers: [manager], fallback: [group:leads], duration: 4d}
    reminders: [25%, 12h]
    owners: [bob, group:leads]
    channel: sec
    post_progress: true
    auto_apply: false
    if_no_answer: recommendation
    require_reason: true
    unused_for: 60d`)
	doc = strings.Replace(doc, "    activation: {max_duration: 1h}", "    critical: true\n    activation: {max_duration: 1h}", 1)
	cfg, err := config.Parse("t.yaml", []byte(doc), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Reviews) != 1 {
		t.Fatalf("reviews = %+v", cfg.Reviews)
	}
	p := cfg.Reviews[0]
	want := fmt.Sprint(core.ReviewPlan{Name: "quarterly", Roles: []string{"admin"}, Kinds: []core.AssignmentKind{core.Eligible}, PermanentOnly: true,
		Start: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), Every: core.Period{Months: 3}, Occurrences: 4,
		Stages:    []core.ReviewStage{{Reviewers: []string{"self"}, Duration: 72 * time.Hour}, {Reviewers: []string{"manager"}, Fallback: []string{"group:leads"}, Duration: 96 * time.Hour}},
		Reminders: []core.Reminder{{Fraction: 0.25}, {Before: 12 * time.Hour}}, Owners: []string{"bob", "group:leads"}, Channel: "sec", PostProgress: true, IfNoAnswer: core.DecisionRecommendation,
		RequireReason: true, UnusedFor: 60 * 24 * time.Hour})
	if got := fmt.Sprint(p); got != want {
		t.Fatalf("plan:\ngot  %s\nwant %s", got, want)
	}
	if cfg.Directory.Principals["bob"].Manager != "dana" {
		t.Fatal("manager not loaded")
	}
	if line := cfg.AssignmentLines["active/dana/admin"]; line != 18 {
		t.Fatalf("assignment line = %d, want 18", line)
	}

	cfg, err = config.Parse("t.yaml", []byte(with("top", review)), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Retention.Reviews != core.DefaultReviewRetention {
		t.Fatalf("default review retention = %s", cfg.Retention.Reviews)
	}
	if c, err := config.Parse("t.yaml", []byte(with("top", review+"retention: {reviews: 30d}")), time.Now()); err != nil || c.Retention.Reviews != 30*24*time.Hour {
		t.Fatalf("retention.reviews: 30d = %v, %v", c.Retention.Reviews, err)
	}
	if p := cfg.Reviews[0]; !p.AutoApply || p.IfNoAnswer != core.DecisionKeep || p.UnusedFor != core.DefaultUnusedFor || len(p.Reminders) != 2 || len(p.Kinds) != 2 {
		t.Fatalf("defaults = %+v", p)
	}
}

func TestReviewProblems(t *testing.T) {
	set := func(old, new string) string { return with("top", strings.Replace(review, old, new, 1)) }
	tests := []struct{ name, doc, field, msg string }{
		{"no roles", set("  weekly:\n    roles: [admin]\n", "  weekly: #<\n"), "reviews.weekly.roles", "required: the roles to review"},
		{"unknown role", set("roles: [admin]", "roles: [root] #<"), "reviews.weekly.roles[0]", `unknown role "root"`},
		{"bad period", set("every: 7d", "every: 7x #<"), "reviews.weekly.every", "cannot read period"},
		{"overlap", set("every: 7d", "every: 2d #<"), "reviews.weekly.every", "instances would overlap"},
		{"no start", set("  weekly:\n    roles: [admin]\n    start: 2026-12-01\n", "  weekly: #<\n    roles: [admin]\n"), "reviews.weekly.start", "required"},
		{"unknown reviewer", set("reviewers: [dana]", "reviewers: [zed] #<"), "reviews.weekly.reviewers[0]", `unknown reviewer "zed"`},
		{"unknown group", set("reviewers: [dana]", "reviewers: [group:nope] #<"), "reviews.weekly.reviewers[0]", `unknown group "nope"`},
		{"bad if_no_answer", set("reviewers: [dana]", "reviewers: [dana]\n    if_no_answer: maybe #<"), "reviews.weekly.if_no_answer", "want keep, remove or recommendation"},
		{"reminder past the duration", set("reviewers: [dana]", "reviewers: [dana]\n    reminders: [5d] #<"), "reviews.weekly.reminders[0]", "not within a review"},
		{"bad percentage", set("reviewers: [dana]", "reviewers: [dana]\n    reminders: [150%] #<"), "reviews.weekly.reminders[0]", "percentage"},
		{"unknown owner", set("reviewers: [dana]", "reviewers: [dana]\n    owners: [zed] #<"), "reviews.weekly.owners[0]", `unknown owner "zed"`},
		{"unknown owner group", set("reviewers: [dana]", "reviewers: [dana]\n    owners: [group:nope] #<"), "reviews.weekly.owners[0]", `unknown group "nope"`},
		{"unknown channel", set("reviewers: [dana]", "reviewers: [dana]\n    channel: nope #<"), "reviews.weekly.channel", `unknown channel "nope"`},
		{"too many stages", set("    duration: 3d\n    reviewers: [dana]\n", "    stages: #<\n"+strings.Repeat("      - {reviewers: [self], duration: 1d}\n", 4)), "reviews.weekly.stages", "at most 3 stages"},
		{"bad manager", with("principals", "  bob: {manager: zed} #<", "top", review), "principals.bob.manager", `manager "zed" must be another principal`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			line := markedLine(t, tt.doc)
			ps := mustProblems(t, tt.doc)
			prefix := fmt.Sprintf("t.yaml:%d: %s: ", line, tt.field)
			for _, p := range ps {
				if s := p.String(); strings.HasPrefix(s, prefix) && strings.Contains(s, tt.msg) {
					return
				}
			}
			t.Errorf("no problem %q...%q in:\n%v\ndoc:\n%s", prefix, tt.msg, ps, tt.doc)
		})
	}
}
