package core

import (
	"context"
	"time"
)

// EventKind says what happened; notifications route posts by it.
type EventKind string

// Domain events published after each committed transition.
const (
	EventRequested      EventKind = "requested"       // a request waits for approval: Recipients are its approvers
	EventMFARequired    EventKind = "mfa_required"    // a request waits for the requester's MFA code
	EventApprovalVote   EventKind = "approval_vote"   // one approval of a quorum was recorded
	EventEscalated      EventKind = "escalated"       // backup approvers were added: Recipients are they
	EventApproved       EventKind = "approved"        // approval complete; Scheduled or about to activate
	EventDenied         EventKind = "denied"          // an approver denied, with a reason
	EventCanceled       EventKind = "canceled"        // the requester withdrew it
	EventTimedOut       EventKind = "timed_out"       // nobody decided in time
	EventActivated      EventKind = "activated"       // the window is open
	EventExtended       EventKind = "extended"        // the window was lengthened
	EventExpiring       EventKind = "expiring"        // the window ends soon
	EventExpired        EventKind = "expired"         // the window ended
	EventRevoked        EventKind = "revoked"         // ended early by the holder or an admin
	EventFailed         EventKind = "failed"          // a target could not grant
	EventAssignment     EventKind = "assignment"      // an admin changed an assignment
	EventAlert          EventKind = "alert"           // a security alert, by Severity
	EventMFAEnrolled    EventKind = "mfa_enrolled"    // a principal confirmed MFA enrollment
	EventScheduledStart EventKind = "scheduled_start" // approved with a start in the future

	EventReviewStarted   EventKind = "review_started"   // an access review began: a channel post
	EventReviewRequested EventKind = "review_requested" // a reviewer's DM: Recipients, with a page of their items
	EventReviewReminder  EventKind = "review_reminder"  // a reminder to a reviewer with undecided items
	EventReviewEnded     EventKind = "review_ended"     // a review closed: a channel post with totals
	EventReviewProgress  EventKind = "review_progress"  // a review's counts at a reminder: a channel post
)

// Severity ranks alerts.
type Severity string

// Alert severities, as in Entra PIM.
const (
	SeverityInfo   Severity = "info"
	SeverityLow    Severity = "low"
	SeverityMedium Severity = "medium"
	SeverityHigh   Severity = "high"
)

// Event is a committed domain change, published for notifications.
type Event struct {
	Kind       EventKind
	Severity   Severity
	Time       time.Time
	Actor      string      // who caused it: a principal id or "system"
	Request    *Request    // a copy of the request after the change, if any
	Assignment *Assignment // the assignment changed, for EventAssignment
	Alert      *Alert      // the alert after the change, for EventAlert (nil for an unrecorded one)
	Recipients []string    // principals to notify directly (approvers)
	Message    string      // human summary, for alerts and assignment changes

	Review      *Review        // the review, for review events
	ReviewItems []ReviewItem   // a page of the recipient's pending items
	Pending     int            // how many items wait for the recipient
	Counts      map[string]int // items per status, for EventReviewEnded
}

// EventSink receives events after their change is committed. It must not
// block for long: posting happens elsewhere.
type EventSink interface {
	Publish(ctx context.Context, e Event)
}

// EventSinkFunc adapts a function to EventSink.
type EventSinkFunc func(ctx context.Context, e Event)

// Publish calls f.
func (f EventSinkFunc) Publish(ctx context.Context, e Event) { f(ctx, e) }
