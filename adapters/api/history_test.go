package api_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/elevate-pim/elevate/core"
	"github.com/elevate-pim/elevate/store/redis"
	"github.com/elevate-pim/elevate/store/redis/redistest"
)

// TestRequestHistory: GET /requests lists a principal's requests, final
// ones included, oldest first, with state, role and since filters, paged by
// a cursor that walks the whole history once.
func TestRequestHistory(t *testing.T) {
	e := newEnv(t, nil)
	var ids []string
	for i := range 5 {
		id := e.mustRequest()
		ids = append(ids, id)
		if i < 4 {
			e.want("cancel", e.call("POST", "/requests/"+id+"/cancel", "alice-token", nil), 200)
		}
		e.clock.Advance(time.Minute)
	}
	e.mustActivate("staging")

	type page struct {
		Requests []struct{ ID, State, Role string }
		Next     string `json:"next_cursor"`
	}
	list := func(query, token string) page {
		t.Helper()
		r := e.call("GET", "/requests"+query, token, nil)
		e.want("list "+query, r, 200)
		var p page
		r.json(t, &p)
		return p
	}
	all := list("", "alice-token")
	if len(all.Requests) != 6 || all.Next != "" {
		t.Fatalf("alice's history = %+v, want 6 requests on one page", all)
	}
	for i, id := range ids {
		if all.Requests[i].ID != id {
			t.Fatalf("history is not oldest first: %+v, want %v then staging", all.Requests, ids)
		}
	}
	if all.Requests[0].State != "Canceled" || all.Requests[4].State != "PendingApproval" || all.Requests[5].Role != "staging" {
		t.Fatalf("history = %+v", all.Requests)
	}

	// Pages of two walk it once, in order.
	var walked []string
	cursor := ""
	for pages := 0; ; pages++ {
		if pages > 5 {
			t.Fatal("the cursor does not advance")
		}
		query := q("principal", "alice", "limit", "2")
		if cursor != "" {
			query = q("principal", "alice", "limit", "2", "cursor", cursor)
		}
		p := list(query, "erin-token")
		for _, r := range p.Requests {
			walked = append(walked, r.ID)
		}
		if cursor = p.Next; cursor == "" {
			break
		}
	}
	if len(walked) != 6 || strings.Join(walked[:5], ",") != strings.Join(ids, ",") {
		t.Fatalf("pages of two walked %v, want %v and the staging request", walked, ids)
	}
	if p := list(q("principal", "alice", "state", "Canceled"), "erin-token"); len(p.Requests) != 4 {
		t.Fatalf("canceled = %+v, want 4", p.Requests)
	}
	if p := list(q("principal", "alice", "role", "staging"), "dana-token"); len(p.Requests) != 1 || p.Requests[0].State != "Active" {
		t.Fatalf("staging = %+v", p.Requests)
	}
	since := t0.Add(3 * time.Minute).Format(time.RFC3339)
	if p := list(q("since", since, "state", "Canceled", "limit", "1"), "alice-token"); len(p.Requests) != 1 || p.Requests[0].ID != ids[3] || p.Next != "" {
		t.Fatalf("canceled since %s = %+v, want %s alone", since, p, ids[3])
	}
	// erin is a reader: no principal means her own (none).
	if p := list("", "erin-token"); len(p.Requests) != 0 {
		t.Fatalf("erin's own history = %+v", p.Requests)
	}
	e.want("bad cursor", e.call("GET", "/requests"+q("cursor", "yesterday"), "alice-token", nil), 400, "bad_input", "cursor")
	e.want("bad since", e.call("GET", "/requests"+q("since", "monday"), "alice-token", nil), 400, "bad_input", "since")
	e.want("bad limit", e.call("GET", "/requests"+q("limit", "500"), "alice-token", nil), 400, "bad_input", "limit")
}

// TestRequestHistorySweep: requests stored before the history existed (their
// index entries are gone here) are listed again once the one-time history
// sweep has run; a second start schedules no sweep.
func TestRequestHistorySweep(t *testing.T) {
	prefix := redistest.NewPrefix(t)
	client := redistest.NewClient(t)
	e := newEnv(t, func(core.Store) core.Store { return redis.New(client, redis.WithPrefix(prefix)) })
	var ids []string
	for range 3 {
		id := e.mustRequest()
		e.want("cancel", e.call("POST", "/requests/"+id+"/cancel", "alice-token", nil), 200)
		ids = append(ids, id)
	}
	ctx := context.Background()
	if err := client.Del(ctx, "{"+prefix+"}:reqof:alice").Err(); err != nil {
		t.Fatal(err)
	}
	listed := func() string {
		t.Helper()
		r := e.call("GET", "/requests", "alice-token", nil)
		e.want("list", r, 200)
		var p struct{ Requests []struct{ ID string } }
		r.json(t, &p)
		var got []string
		for _, x := range p.Requests {
			got = append(got, x.ID)
		}
		return strings.Join(got, ",")
	}
	if got := listed(); got != "" {
		t.Fatalf("history without its index = %s", got)
	}
	if err := e.svc.ScheduleHistorySweep(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.RunDue(ctx); err != nil {
		t.Fatal(err)
	}
	slices.Sort(ids) // made in the same millisecond: by id
	if got := listed(); got != strings.Join(ids, ",") {
		t.Fatalf("history after the sweep = %s, want %s", got, strings.Join(ids, ","))
	}
	if err := e.svc.ScheduleHistorySweep(ctx); err != nil {
		t.Fatal(err)
	}
	jobs, err := e.store.Jobs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, j := range jobs {
		if j.Kind == core.JobHistorySweep {
			t.Fatalf("the sweep is scheduled again after it ran: %+v", j)
		}
	}
}
