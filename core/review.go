package core

import (
	"slices"
	"strings"
	"time"
)

// ReviewPlan is an access review's definition: what it covers, when it
// runs, who decides, and what happens at its end. Config definitions and ad
// hoc reviews both have one; each instance keeps a copy, so a config
// change never alters a review already running.
type ReviewPlan struct {
	Name          string           `json:"name"`  // the definition's name; "" for an ad hoc review
	Roles         []string         `json:"roles"` // the roles reviewed
	Kinds         []AssignmentKind `json:"kinds"` // which assignments: eligible, active or both
	PermanentOnly bool             `json:"permanent_only,omitempty"`
	Start         time.Time        `json:"start,omitzero"`          // first instance (recurring reviews)
	Every         Period           `json:"every,omitzero"`          // zero: the review runs once
	End           time.Time        `json:"end,omitzero"`            // no instance starts at or after End
	Occurrences   int              `json:"occurrences,omitempty"`   // at most this many instances; 0: unbounded
	Stages        []ReviewStage    `json:"stages"`                  // 1 to MaxReviewStages
	Reminders     []Reminder       `json:"reminders"`               // per stage
	Owners        []string         `json:"owners,omitempty"`        // principals and group:NAME who may apply its removals, besides admins
	Channel       string           `json:"channel,omitempty"`       // start and end posts, and progress posts
	PostProgress  bool             `json:"post_progress,omitempty"` // post progress to Channel at each reminder
	AutoApply     bool             `json:"auto_apply"`
	IfNoAnswer    ReviewDecision   `json:"if_no_answer"` // keep, remove or recommendation
	RequireReason bool             `json:"require_reason,omitempty"`
	UnusedFor     time.Duration    `json:"unused_for"` // recommend removal when not activated for this long
}

// Review defaults and limits.
const (
	MaxReviewStages  = 3
	DefaultUnusedFor = 30 * 24 * time.Hour
	ReviewPageSize   = 5 // items per page of a reviewer's DM
)

// DefaultReminders remind at the halfway point and one day before the end.
var DefaultReminders = []Reminder{{Fraction: 0.5}, {Before: 24 * time.Hour}}

// ReviewStage is one round of decisions. A later stage reviews only what
// the earlier ones kept, and its reviewers see those decisions.
type ReviewStage struct {
	Reviewers []string      `json:"reviewers"` // principal ids, "group:NAME", "self", "approvers", "manager"
	Fallback  []string      `json:"fallback,omitempty"`
	Duration  time.Duration `json:"duration"`
}

// Reviewer words with a special meaning in ReviewStage.Reviewers.
const (
	ReviewersSelf      = "self"      // each holder reviews their own access
	ReviewersApprovers = "approvers" // the role's approvers
	ReviewersManager   = "manager"   // the holder's manager
	GroupPrefix        = "group:"    // the members of a group
)

// Reminder is when reviewers with undecided items are reminded during a
// stage: after Fraction of it has passed, or Before its end.
type Reminder struct {
	Fraction float64       `json:"fraction,omitempty"`
	Before   time.Duration `json:"before,omitempty"`
}

// at returns when the reminder is due in a stage from start to end.
func (r Reminder) at(start, end time.Time) time.Time {
	if r.Before > 0 {
		return end.Add(-r.Before)
	}
	return start.Add(time.Duration(float64(end.Sub(start)) * r.Fraction))
}

// Period is a recurrence interval: months (calendar) and a fixed duration.
type Period struct {
	Months int           `json:"months,omitempty"`
	Fixed  time.Duration `json:"fixed,omitempty"`
}

// IsZero reports whether the period is unset (a one-off review).
func (p Period) IsZero() bool { return p.Months == 0 && p.Fixed == 0 }

// After returns t moved forward n periods.
func (p Period) After(t time.Time, n int) time.Time {
	return t.AddDate(0, p.Months*n, 0).Add(time.Duration(n) * p.Fixed)
}

// ParsePeriod reads "7d", "2w", "1mo", "3mo" or "1y".
func ParsePeriod(s string) (Period, error) {
	in := strings.ToLower(strings.TrimSpace(s))
	for suffix, months := range map[string]int{"mo": 1, "y": 12} {
		if n, ok := strings.CutSuffix(in, suffix); ok && isCount(n) {
			var k int
			for _, c := range n {
				k = k*10 + int(c-'0')
			}
			if k > 0 && k <= 120/months {
				return Period{Months: k * months}, nil
			}
		}
	}
	d, err := ParseDuration(in)
	if err != nil {
		return Period{}, Errorf(EINVALID, "Cannot read period %q: use a form like 7d, 2w, 1mo, 3mo or 1y.", s)
	}
	return Period{Fixed: d}, nil
}

func isCount(s string) bool {
	if s == "" || len(s) > 3 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// Duration is the instance's length: the sum of its stages.
func (p ReviewPlan) Duration() time.Duration {
	var d time.Duration
	for _, s := range p.Stages {
		d += s.Duration
	}
	return d
}

// startOf returns the start of occurrence n (0-based) and whether it may run.
func (p ReviewPlan) startOf(n int) (time.Time, bool) {
	if n < 0 || (p.Occurrences > 0 && n >= p.Occurrences) || (p.Every.IsZero() && n > 0) {
		return time.Time{}, false
	}
	t := p.Every.After(p.Start, n)
	if !p.End.IsZero() && !t.Before(p.End) {
		return time.Time{}, false
	}
	return t, true
}

// current returns the occurrence that runs at now or, when none does, the
// next one to start; ok is false when no occurrence is left.
func (p ReviewPlan) current(now time.Time) (n int, start time.Time, ok bool) {
	for n = 0; ; n++ {
		start, ok = p.startOf(n)
		if !ok {
			return 0, time.Time{}, false
		}
		if now.Before(start.Add(p.Duration())) {
			return n, start, true
		}
		if n > 100000 {
			return 0, time.Time{}, false
		}
	}
}

// ReviewDecision is a reviewer's answer on one item, or a plan's default.
type ReviewDecision string

// Review decisions. Recommendation is only a plan's if_no_answer.
const (
	DecisionKeep           ReviewDecision = "keep"
	DecisionRemove         ReviewDecision = "remove"
	DecisionRecommendation ReviewDecision = "recommendation"
)

// ReviewState is where a review instance is in its life.
type ReviewState string

// Review states.
const (
	ReviewCreating ReviewState = "creating" // its id is taken; its items are being written
	ReviewOpen     ReviewState = "open"
	ReviewClosed   ReviewState = "closed"
)

// Review is one instance of a review: its items are the matching
// assignments at its start.
type Review struct {
	ID         string      `json:"id"`
	Plan       ReviewPlan  `json:"plan"`
	Occurrence int         `json:"occurrence"`
	StartedBy  string      `json:"started_by"`
	State      ReviewState `json:"state"`
	Created    time.Time   `json:"created"`
	Stage      int         `json:"stage"` // 0-based index into Plan.Stages
	StageStart time.Time   `json:"stage_start"`
	StageEnd   time.Time   `json:"stage_end"`
	Reminders  []time.Time `json:"reminders,omitempty"` // of the current stage, in order
	Reminded   int         `json:"reminded"`            // how many of Reminders were sent
	Items      int         `json:"items"`
	Closed     time.Time   `json:"closed,omitzero"`
	ClosedBy   string      `json:"closed_by,omitempty"`
	Version    int64       `json:"version"`
}

// Clone returns a deep copy of the review.
func (r *Review) Clone() *Review {
	c := *r
	c.Plan.Roles = append([]string(nil), r.Plan.Roles...)
	c.Plan.Kinds = append([]AssignmentKind(nil), r.Plan.Kinds...)
	c.Plan.Owners = append([]string(nil), r.Plan.Owners...)
	c.Plan.Stages = make([]ReviewStage, len(r.Plan.Stages))
	for i, s := range r.Plan.Stages {
		c.Plan.Stages[i] = ReviewStage{Reviewers: append([]string(nil), s.Reviewers...), Fallback: append([]string(nil), s.Fallback...), Duration: s.Duration}
	}
	c.Plan.Reminders = append([]Reminder(nil), r.Plan.Reminders...)
	c.Reminders = append([]time.Time(nil), r.Reminders...)
	return &c
}

// SortReviews orders reviews as stores list them: by creation, then id.
func SortReviews(rs []*Review) {
	slices.SortFunc(rs, func(a, b *Review) int {
		if c := a.Created.Compare(b.Created); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
}

// ReviewItem is one assignment under review: who holds which role how, the
// decision helper's data, the decisions and what was done at the end.
type ReviewItem struct {
	Review         string          `json:"review"`
	N              int             `json:"n"` // 1-based position in the review
	Principal      string          `json:"principal"`
	Role           string          `json:"role"`
	Kind           AssignmentKind  `json:"kind"`
	Permanent      bool            `json:"permanent,omitempty"`
	Since          time.Time       `json:"since,omitzero"`
	LastActivated  time.Time       `json:"last_activated,omitzero"`
	Recommendation ReviewDecision  `json:"recommendation"`
	Stage          int             `json:"stage"`
	Reviewers      []string        `json:"reviewers"` // who may decide in the current stage
	Decision       ReviewDecision  `json:"decision,omitempty"`
	DecidedBy      string          `json:"decided_by,omitempty"`
	Reason         string          `json:"reason,omitempty"`
	DecidedAt      time.Time       `json:"decided_at,omitzero"`
	Earlier        []StageDecision `json:"earlier,omitempty"` // decisions of earlier stages
	Outcome        string          `json:"outcome,omitempty"` // what was applied at the end, e.g. "removed", "kept: last admin"
	Note           string          `json:"note,omitempty"`
	AppliedAt      time.Time       `json:"applied_at,omitzero"`
	Version        int64           `json:"version"`
}

// StageDecision is an earlier stage's decision on an item.
type StageDecision struct {
	Stage     int            `json:"stage"`
	Decision  ReviewDecision `json:"decision"`
	DecidedBy string         `json:"decided_by"` // "" when nobody answered
	Reason    string         `json:"reason,omitempty"`
}

// Item statuses, as the store counts them: pending until decided; then the
// decision; then, once the review closed, the outcome.
const (
	ItemPending  = "pending"
	ItemNoAnswer = "no_answer"
)

// Status is the item's status for counting: its outcome once applied, its
// decision once decided, pending before.
func (it *ReviewItem) Status() string {
	switch {
	case it == nil:
		return ""
	case it.Outcome != "":
		return "outcome:" + it.Outcome
	case it.Decision != "":
		return string(it.Decision)
	}
	return ItemPending
}

// Pending reports whether the item waits for a decision.
func (it *ReviewItem) Pending() bool { return it != nil && it.Outcome == "" && it.Decision == "" }

// Clone returns a deep copy of the item.
func (it *ReviewItem) Clone() *ReviewItem {
	c := *it
	c.Reviewers = append([]string(nil), it.Reviewers...)
	c.Earlier = append([]StageDecision(nil), it.Earlier...)
	return &c
}

// ReviewRemoval records an assignment a review removed, so that the config
// file's start-up sync does not bring it back.
type ReviewRemoval struct {
	Key       string         `json:"key"` // the assignment key
	Kind      AssignmentKind `json:"kind"`
	Principal string         `json:"principal"`
	Role      string         `json:"role"`
	Review    string         `json:"review"`
	DecidedBy string         `json:"decided_by"`
	At        time.Time      `json:"at"`
}
