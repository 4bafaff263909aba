package storetest

import (
	"testing"
	"time"

	"github.com/elevate-pim/elevate/core"
)

// testRequestHistory checks a principal's history: every request, final
// ones included, in position order (creation to the millisecond, then id),
// paged from a position; other principals' requests never appear, and a
// purged request leaves it.
func testRequestHistory(t *testing.T, s core.Store) {
	base := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
	mk := func(id, principal string, state core.State, age time.Duration) *core.Request {
		r := newRequest(id, principal, "prod-db")
		r.State, r.CreatedAt = state, base.Add(age)
		return r
	}
	// h2, h3 and h1 share a millisecond (h1's is half a ms later): by id.
	rs := mustCreate(t, s,
		mk("h3", "alice", core.Denied, time.Second),
		mk("h1", "alice", core.Expired, time.Second+500*time.Microsecond),
		mk("h2", "alice", core.PendingApproval, time.Second),
		mk("h0", "alice", core.Canceled, 0),
		mk("h4", "alice", core.StateActive, 2*time.Second),
		mk("b1", "bob", core.Expired, time.Second),
	)
	page := func(from core.RequestPos, limit int) []string {
		t.Helper()
		got, err := s.RequestsOf(t.Context(), "alice", from, limit)
		if err != nil {
			t.Fatalf("RequestsOf: %v", err)
		}
		out := []string{}
		for _, r := range got {
			if r.Principal != "alice" {
				t.Fatalf("alice's history holds %s of %s", r.ID, r.Principal)
			}
			out = append(out, r.ID)
		}
		return out
	}
	wantStrings(t, "alice's history", page(core.RequestPos{}, 10), []string{"h0", "h1", "h2", "h3", "h4"})
	// Paging by two, each page from the last position of the one before.
	var all []string
	from := core.RequestPos{}
	for {
		got, err := s.RequestsOf(t.Context(), "alice", from, 2)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) == 0 {
			break
		}
		for _, r := range got {
			all = append(all, r.ID)
		}
		from = core.PosOf(got[len(got)-1])
	}
	wantStrings(t, "alice's history by pages of two", all, []string{"h0", "h1", "h2", "h3", "h4"})
	wantStrings(t, "since h1's millisecond", page(core.PosSince(rs[1].CreatedAt), 10), []string{"h1", "h2", "h3", "h4"})
	wantStrings(t, "after h2", page(core.PosOf(rs[2]), 10), []string{"h3", "h4"})
	wantStrings(t, "dave's history", func() []string {
		got, err := s.RequestsOf(t.Context(), "dave", core.RequestPos{}, 10)
		if err != nil || len(got) != 0 {
			t.Fatalf("dave's history = %v, %v", got, err)
		}
		return []string{}
	}(), []string{})

	// A transition keeps the request in place; a purge takes it out.
	done := rs[2].Clone()
	done.State = core.Denied
	mustUpdate(t, s, done)
	got, err := s.RequestsOf(t.Context(), "alice", core.PosOf(rs[1]), 1)
	if err != nil || len(got) != 1 || got[0].ID != "h2" || got[0].State != core.Denied {
		t.Fatalf("after denial: %+v, %v", got, err)
	}
	if err := s.PurgeRequest(t.Context(), "h3", 1); err != nil {
		t.Fatal(err)
	}
	wantStrings(t, "after purging h3", page(core.RequestPos{}, 10), []string{"h0", "h1", "h2", "h4"})
	// Indexing again adds nothing twice and never a purged request.
	if err := s.IndexRequests(t.Context(), []*core.Request{rs[3], rs[4], rs[2]}); err != nil {
		t.Fatalf("IndexRequests: %v", err)
	}
	wantStrings(t, "after indexing again", page(core.RequestPos{}, 10), []string{"h0", "h1", "h2", "h4"})
}
