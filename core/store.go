package core

import (
	"context"
	"time"
)

// Store is where core keeps its state. Every implementation passes the
// conformance suite in store/storetest. Reads of missing things return an
// *Error with code ENOTFOUND; a failed compare-and-set returns ECONFLICT.
type Store interface {
	// Apply commits a Change atomically: either every part of it takes
	// effect or none does. It returns ECONFLICT when an expectation fails
	// (a request version, a slot holder, the holders revision, an MFA version).
	Apply(ctx context.Context, c Change) error

	// Request returns the request with the given id.
	Request(ctx context.Context, id string) (*Request, error)
	// Requests returns the requests with the given ids, in the order of
	// ids, nil for each that is not stored, in one round trip.
	Requests(ctx context.Context, ids []string) ([]*Request, error)
	// OpenRequestsOf returns principal's requests whose state is not final,
	// oldest first (by CreatedAt, then ID). It reads only principal's index.
	OpenRequestsOf(ctx context.Context, principal string) ([]*Request, error)
	// RequestsOf returns up to limit of principal's requests, final ones
	// included, in the order of their RequestPos, starting after from (the
	// zero RequestPos: from the first). It reads only principal's index,
	// which every request write and PurgeRequest keep in step.
	RequestsOf(ctx context.Context, principal string, from RequestPos, limit int) ([]*Request, error)
	// IndexRequests adds each of reqs that is still stored to its
	// principal's history, where it may be missing: the history sweep
	// calls it for requests written before the history existed.
	IndexRequests(ctx context.Context, reqs []*Request) error
	// AwaitingApproval returns the requests of the given roles that are in
	// state PendingApproval, oldest first. It reads only those roles' indexes.
	AwaitingApproval(ctx context.Context, roles ...string) ([]*Request, error)
	// PurgeRequest deletes a final request if its stored version equals
	// expect (ECONFLICT otherwise; ENOTFOUND when it is gone). Its audit
	// events stay. The scheduler calls it when the retention has passed.
	PurgeRequest(ctx context.Context, id string, expect int64) error

	// Window returns the principal's live window for role. A window whose
	// TTL has run out is gone: ENOTFOUND.
	Window(ctx context.Context, principal, role string) (*Window, error)
	// Windows returns every live window of role.
	Windows(ctx context.Context, role string) ([]Window, error)
	// HoldsReader reads a window and the active assignment of one pair together.
	HoldsReader

	// AssignmentsByPrincipal returns principal's assignments, sorted by key.
	// It reads only principal's index, never every assignment.
	AssignmentsByPrincipal(ctx context.Context, principal string) ([]Assignment, error)
	// AssignmentsByRole returns the assignments of role, sorted by key, and
	// the holders revision read with them: a counter that every change to
	// assignments or windows increments. It reads only role's index.
	AssignmentsByRole(ctx context.Context, role string) ([]Assignment, int64, error)
	// AssignmentsByKey returns the stored assignments among keys (see
	// Assignment.Key), in the order of keys, skipping missing ones, and the
	// holders revision read with them.
	AssignmentsByKey(ctx context.Context, keys ...string) ([]Assignment, int64, error)

	// AssignmentsOf returns principal's eligible and active assignments for
	// role (at most one of each, eligible first): the hot path of
	// activation and of "does P hold R?" reads only these.
	AssignmentsOf(ctx context.Context, principal, role string) ([]Assignment, error)

	// MFA returns the principal's MFA record.
	MFA(ctx context.Context, principal string) (*MFARecord, error)

	// ClaimJobs atomically claims up to limit jobs due at or before now,
	// leasing each until now+lease. A claimed job that is not completed
	// before its lease ends comes due again for any claimer.
	ClaimJobs(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]Job, error)
	// CompleteJob removes a claimed job, unless it was rescheduled or
	// re-claimed since (its lease no longer matches), in which case it does nothing.
	CompleteJob(ctx context.Context, j Job) error
	// CompleteJobs is CompleteJob for many jobs, in one round trip: each
	// still claimed under its lease is removed, the others are left alone.
	CompleteJobs(ctx context.Context, jobs []Job) error
	// RenewJob extends the lease of a job the caller still holds (its stored
	// lease equals j.Lease) until until, and stores j's Attempt and Payload
	// with it: a heartbeat and a checkpoint in one. It returns the job with
	// its new Lease, or ECONFLICT when the lease was lost (the job was
	// completed, rescheduled or claimed by another since).
	RenewJob(ctx context.Context, j Job, until time.Time) (Job, error)
	// Jobs returns every scheduled job, due first.
	Jobs(ctx context.Context) ([]Job, error)

	// PutCopy records a posted copy of request's approval message,
	// replacing the copy with the same Key.
	PutCopy(ctx context.Context, request string, c MessageCopy) error
	// Copies returns the recorded copies of request's approval message,
	// sorted by Key.
	Copies(ctx context.Context, request string) ([]MessageCopy, error)
	// DropCopies forgets the copies of request's approval message.
	DropCopies(ctx context.Context, request string) error

	// Alerts returns every stored alert, in any state, sorted by id.
	Alerts(ctx context.Context) ([]Alert, error)

	// AuditReader reads the audit trail in chunks (see AuditReader).
	AuditReader
	// AuditCheckpoint returns the last event trimmed from the store, the
	// zero head when none was: the store's trail continues after it.
	AuditCheckpoint(ctx context.Context) (AuditHead, error)
	// TrimAudit removes the events up to through, once they are archived.
	// The store must hold through with its hash (ECONFLICT otherwise); it
	// keeps through as its checkpoint. Trimming at or before the
	// checkpoint does nothing.
	TrimAudit(ctx context.Context, through AuditHead) error

	// Once reports whether key was not seen in the last ttl, and marks it seen.
	// Adapters use it to de-duplicate retried deliveries.
	Once(ctx context.Context, key string, ttl time.Duration) (bool, error)

	// RequestScanner reads every stored request in batches, and keeps
	// named durable cursors (see RequestScanner).
	RequestScanner

	ReviewStore
}

// ReviewStore is the part of a Store that keeps access reviews. Items are
// stored one by one and indexed per reviewer, so that a decision reads and
// writes one item and a reviewer's page is read from their index.
type ReviewStore interface {
	// Review returns the review instance with the given id, or ENOTFOUND.
	Review(ctx context.Context, id string) (*Review, error)
	// OpenReviews returns every review that is not closed, oldest first.
	OpenReviews(ctx context.Context) ([]*Review, error)
	// ReviewItem returns item n of review id, or ENOTFOUND.
	ReviewItem(ctx context.Context, id string, n int) (*ReviewItem, error)
	// ReviewItems returns up to limit items of review id whose N is over
	// after, in order: a page of the whole review.
	ReviewItems(ctx context.Context, id string, after, limit int) ([]ReviewItem, error)
	// PendingReviewItems returns up to limit of the items that wait for
	// reviewer in stage, skipping offset, in order, and how many there are.
	PendingReviewItems(ctx context.Context, id string, stage int, reviewer string, offset, limit int) ([]ReviewItem, int, error)
	// ReviewReviewers returns, for stage of review id, each reviewer who has
	// pending items and how many.
	ReviewReviewers(ctx context.Context, id string, stage int) (map[string]int, error)
	// ReviewCounts returns how many items of review id have each status
	// (ReviewItem.Status).
	ReviewCounts(ctx context.Context, id string) (map[string]int, error)
	// ReviewRemovals returns every assignment removal a review decided that
	// is still remembered, by assignment key.
	ReviewRemovals(ctx context.Context) ([]ReviewRemoval, error)
	// ScanReviews returns up to about limit stored reviews, in any state,
	// after the scan position after ("" to begin) and the position to go
	// on from, "" when the scan is complete. A review stored during the
	// whole scan is returned at least once.
	ScanReviews(ctx context.Context, after string, limit int) ([]*Review, string, error)
	// PurgeReview deletes a closed review and its items, counts and
	// indexes if its stored version equals expect (ECONFLICT otherwise;
	// ENOTFOUND when it is gone). Audit events and review removals stay.
	PurgeReview(ctx context.Context, id string, expect int64) error
	// LastActivations returns when each of principals last opened a window
	// for role; principals who never did are left out. Every OpenWindows
	// write records its window's start as the pair's last activation.
	LastActivations(ctx context.Context, role string, principals []string) (map[string]time.Time, error)
}

// Change is a set of writes that a Store applies atomically. Deletions
// apply before writes (CloseWindows before OpenWindows, DeleteAssignments
// before PutAssignments, Complete and Unschedule before Schedule), so one Change may
// remove a job and schedule it again with a new due time.
type Change struct {
	// Requests are written if each stored version equals Expect
	// (Expect 0: the request must not exist). The store sets Version = Expect+1.
	Requests []RequestWrite
	// Slots reserve a (principal, role) pair for one open request, so that
	// a principal has at most one open request per role.
	Slots []SlotWrite

	// OpenWindows creates or replaces windows; each lives for TTL.
	OpenWindows []WindowWrite
	// CloseWindows deletes windows.
	CloseWindows []WindowKey

	// PutAssignments creates or replaces assignments by key.
	PutAssignments []Assignment
	// DeleteAssignments removes assignments by key.
	DeleteAssignments []string
	// HoldersRev, when non-nil, must equal the holders revision.
	HoldersRev *int64

	// MFA writes an MFA record if the stored version equals Expect.
	MFA *MFAWrite

	// Schedule adds jobs or moves them (same kind and ref) to a new due
	// time; a job with Lease set is stored claimed until its Lease.
	Schedule []Job
	// Unschedule removes jobs by ID.
	Unschedule []string
	// Complete removes jobs the committer holds: each must still be claimed
	// under its Lease, or the whole Change fails with ECONFLICT. A job's
	// follow-up effects are so written only by the replica that finished it.
	Complete []Job

	// Reviews are written if each stored version equals Expect (0: the
	// review must not exist). The store sets Version = Expect+1.
	Reviews []ReviewWrite
	// ReviewItems are written if each stored item's version equals Was's
	// (Was nil: the item must not exist). The store moves the item between
	// its reviewers' pending indexes and its status counts by Was and Item.
	ReviewItems []ReviewItemWrite
	// PutRemovals remembers assignments a review removed; DeleteRemovals
	// forgets them by assignment key (before PutRemovals).
	PutRemovals    []ReviewRemoval
	DeleteRemovals []string

	// Alerts are written if each stored version equals Expect (Expect 0:
	// the alert must not exist). The store sets Version = Expect+1.
	Alerts []AlertWrite

	// Audit events are appended in order; the store chains them (see Chain).
	Audit []AuditEvent
}

// ReviewWrite is a compare-and-set write of a review instance.
type ReviewWrite struct {
	Review *Review
	Expect int64
}

// ReviewItemWrite is a compare-and-set write of a review item over the
// version the writer read, Was (nil for a new item).
type ReviewItemWrite struct {
	Item *ReviewItem
	Was  *ReviewItem
}

// Expect is the stored version the write expects: 0 for a new item.
func (w ReviewItemWrite) Expect() int64 {
	if w.Was == nil {
		return 0
	}
	return w.Was.Version
}

// RequestWrite is a compare-and-set write of a request.
type RequestWrite struct {
	Request *Request
	Expect  int64
}

// SlotWrite moves the open-request slot of (Principal, Role) from Expect to
// Set; "" means free.
type SlotWrite struct {
	Principal string
	Role      string
	Expect    string
	Set       string
}

// WindowWrite opens a window for TTL.
type WindowWrite struct {
	Window Window
	TTL    time.Duration
}

// MFAWrite is a compare-and-set write of an MFA record (Expect 0: must not exist).
type MFAWrite struct {
	Record *MFARecord
	Expect int64
}

// MFARecord is a principal's TOTP enrollment and its guard state.
type MFARecord struct {
	Principal   string    `json:"principal"`
	Sealed      []byte    `json:"sealed"`    // the secret, AES-256-GCM sealed
	Confirmed   bool      `json:"confirmed"` // a first code was accepted
	LastStep    int64     `json:"last_step"` // newest accepted time step: codes at or before it are replays
	Failures    int       `json:"failures"`  // consecutive wrong codes
	LockedUntil time.Time `json:"locked_until,omitzero"`
	Version     int64     `json:"version"`
}
