// Package storetest is the conformance suite for core.Store: every store
// (store/memory, store/redis) runs Run and so behaves the same to core.
//
// The suite uses real wall-clock time, because the Redis store's TTLs are
// kept by the Redis server: windows, leases and de-duplication keys are
// short (a few hundred milliseconds) and the tests sleep past them.
package storetest

import (
	"testing"

	"github.com/elevate-pim/elevate/core"
)

// Run runs the conformance suite against the stores newStore returns. Each
// subtest gets a fresh, empty store; newStore may register cleanup with t.
func Run(t *testing.T, newStore func(t *testing.T) core.Store) {
	tests := []struct {
		name string
		test func(t *testing.T, s core.Store)
	}{
		{"RequestCompareAndSet", testRequestCompareAndSet},
		{"RequestsByID", testRequestsByID},
		{"CompleteJobs", testCompleteJobs},
		{"OpenRequests", testOpenRequests},
		{"ReturnedValuesAreCopies", testReturnedValuesAreCopies},
		{"Slots", testSlots},
		{"WindowTTL", testWindowTTL},
		{"WindowExtendAndClose", testWindowExtendAndClose},
		{"Assignments", testAssignments},
		{"HoldersRevision", testHoldersRevision},
		{"AssignmentsOf", testAssignmentsOf},
		{"Holding", testHolding},
		{"AssignmentIndexes", testAssignmentIndexes},
		{"RequestIndexes", testRequestIndexes},
		{"InvalidChange", testInvalidChange},
		{"InvalidInput", testInvalidInput},
		{"ChangeIsAtomic", testChangeIsAtomic},
		{"ConcurrentTransition", testConcurrentTransition},
		{"ClaimDueJobs", testClaimDueJobs},
		{"ClaimLimit", testClaimLimit},
		{"JobLease", testJobLease},
		{"RescheduleAndUnschedule", testRescheduleAndUnschedule},
		{"InvalidClaim", testInvalidClaim},
		{"ConcurrentClaims", testConcurrentClaims},
		{"JobPayload", testJobPayload},
		{"ScheduleClaimed", testScheduleClaimed},
		{"RenewJob", testRenewJob},
		{"ChangeCompletesJob", testChangeCompletesJob},
		{"Copies", testCopies},
		{"Alerts", testAlerts},
		{"AuditChain", testAuditChain},
		{"ConcurrentAudit", testConcurrentAudit},
		{"AuditRange", testAuditRange},
		{"MFACompareAndSet", testMFACompareAndSet},
		{"Once", testOnce},
		{"Lease", testLease},
		{"PurgeRequest", testPurgeRequest},
		{"ScanRequests", testScanRequests},
		{"RequestHistory", testRequestHistory},
		{"Cursor", testCursor},
		{"TrimAudit", testTrimAudit},
		{"Reviews", testReviews},
		{"PurgeReview", testPurgeReview},
		{"ScanReviews", testScanReviews},
		{"ReviewChangeIsAtomic", testReviewChangeIsAtomic},
		{"ReviewRemovals", testReviewRemovals},
		{"LastActivations", testLastActivations},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.test(t, newStore(t))
		})
	}
}
