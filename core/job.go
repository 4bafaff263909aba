package core

import "time"

// JobKind says what a scheduled job does when it comes due.
type JobKind string

// Scheduled job kinds. Ref is a request id, or an assignment key for the
// assignment jobs. Chat adapters' inbox items have a kind per platform
// (InboxJob).
const (
	JobStart          JobKind = "start"           // Scheduled → Active
	JobExpire         JobKind = "expire"          // Active → Expired, revoke at targets
	JobWarn           JobKind = "warn"            // tell the requester the window ends soon
	JobTimeout        JobKind = "timeout"         // Pending* → TimedOut
	JobEscalate       JobKind = "escalate"        // add backup approvers
	JobRevoke         JobKind = "revoke"          // retry a failed revocation at targets
	JobEligibilityEnd JobKind = "eligibility_end" // remove an eligible assignment at its end
	JobAssignmentEnd  JobKind = "assignment_end"  // remove a direct active assignment at its end
	JobGrant          JobKind = "grant"           // grant an opened window at the role's targets
	JobExtend         JobKind = "extend"          // tell the role's targets of an extended window
	JobNotify         JobKind = "notify"          // deliver an outbox notice (Ref: the notice id)
)

// Job is a durable, due-dated unit of work. A job is identified by kind and
// ref, so scheduling it again moves it rather than adding a second one.
type Job struct {
	Kind    JobKind   `json:"kind"`
	Ref     string    `json:"ref"`
	Due     time.Time `json:"due"`
	Attempt int       `json:"attempt,omitempty"` // retries so far, for backoff and alerts
	// Payload is what the job needs beyond its ref (a notice, a chat
	// command), and the progress a holder records with Store.RenewJob.
	Payload []byte `json:"payload,omitempty"`
	// Lease is set on a claimed job: the time until which the claimer owns
	// it. A job scheduled with Lease set is claimed by the committer of its
	// Change from the start, so that it can run the job at once while any
	// other replica takes it over only when that lease runs out.
	Lease time.Time `json:"-"`
}

// ID is the job's identity in the schedule.
func (j Job) ID() string { return JobID(j.Kind, j.Ref) }

// JobID builds the identity of a job from its kind and ref.
func JobID(kind JobKind, ref string) string { return string(kind) + ":" + ref }
