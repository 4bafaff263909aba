package storetest

import (
	"testing"
	"time"

	"github.com/elevate-pim/elevate/core"
)

// testInvalidInput: every malformed Change, claim and de-duplication key
// is EINVALID in every store (they share core.Change.Validate and friends).
func testInvalidInput(t *testing.T, s core.Store) {
	changes := map[string]core.Change{
		"nil request":              {Requests: []core.RequestWrite{{}}},
		"negative request version": {Requests: []core.RequestWrite{{Request: &core.Request{ID: "r-1"}, Expect: -1}}},
		"request written twice":    {Requests: []core.RequestWrite{{Request: &core.Request{ID: "r-1"}}, {Request: &core.Request{ID: "r-1"}}}},
		"slot without role":        {Slots: []core.SlotWrite{{Principal: "alice", Set: "r-1"}}},
		"slot written twice": {Slots: []core.SlotWrite{
			{Principal: "alice", Role: "prod-db", Set: "r-1"},
			{Principal: "alice", Role: "prod-db", Expect: "r-1"},
		}},
		"window without principal":     {OpenWindows: []core.WindowWrite{{Window: core.Window{Role: "prod-db"}, TTL: time.Minute}}},
		"window with zero TTL":         {OpenWindows: []core.WindowWrite{{Window: core.Window{Principal: "alice", Role: "prod-db"}}}},
		"close without role":           {CloseWindows: []core.WindowKey{{Principal: "alice"}}},
		"assignment without kind":      {PutAssignments: []core.Assignment{{Principal: "alice", Role: "prod-db"}}},
		"empty assignment key":         {DeleteAssignments: []string{""}},
		"MFA record without principal": {MFA: &core.MFAWrite{Record: &core.MFARecord{}}},
		"negative MFA version":         {MFA: &core.MFAWrite{Record: &core.MFARecord{Principal: "alice"}, Expect: -1}},
		"job without ref":              {Schedule: []core.Job{{Kind: core.JobExpire}}},
		"empty job id to unschedule":   {Unschedule: []string{""}},
	}
	for name, c := range changes {
		if err := s.Apply(t.Context(), c); core.ErrorCode(err) != core.EINVALID {
			t.Errorf("%s: %v, want EINVALID", name, err)
		}
	}
	if _, err := s.Once(t.Context(), "", time.Minute); core.ErrorCode(err) != core.EINVALID {
		t.Errorf("Once with an empty key: %v, want EINVALID", err)
	}
	if _, err := s.Once(t.Context(), "k", 0); core.ErrorCode(err) != core.EINVALID {
		t.Errorf("Once with a zero ttl: %v, want EINVALID", err)
	}
}
