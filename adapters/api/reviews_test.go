package api_test

import (
	"strconv"
	"strings"
	"testing"
)

// reviewJSON is a review as the API returns it.
type reviewJSON struct {
	ID, State string
	Items     int
	Mine      int
}

// TestReviewRoutes: admins start and stop reviews, reviewers list, read and
// decide their own items (never their own access outside a self-review),
// admins and readers read reports. Every route answers 401 without a
// token, 403 for a principal without the right, and 400/422 for bad input.
func TestReviewRoutes(t *testing.T) {
	e := newEnv(t, nil)
	// Items of a staging review: alice's eligibility, and bob's (which bob
	// does not review).
	e.want("assign", e.call("PUT", "/assignments/bob/staging/eligible", "dana-token", map[string]any{"permanent": true}), 200)
	start := map[string]any{"role": "staging", "duration": "2d", "reviewers": []string{"bob"}}
	e.want("start: no token", e.call("POST", "/reviews", "", start), 401)
	e.want("start: not admin", e.call("POST", "/reviews", "erin-token", start), 403, "forbidden")
	e.want("start: no role", e.call("POST", "/reviews", "dana-token", map[string]any{"duration": "2d"}), 400, "bad_input", "role")
	e.want("start: bad duration", e.call("POST", "/reviews", "dana-token", map[string]any{"role": "staging", "duration": "soon"}), 400, "bad_input", "duration")
	e.want("start: unknown field", e.call("POST", "/reviews", "dana-token", map[string]any{"role": "staging", "stages": 2}), 400, "bad_input", "stages")
	e.want("start: too short", e.call("POST", "/reviews", "dana-token", map[string]any{"role": "staging", "duration": "10m"}), 422, "invalid")
	e.want("start: unknown role", e.call("POST", "/reviews", "dana-token", map[string]any{"role": "nope"}), 404, "not_found")
	e.want("start: unknown reviewer", e.call("POST", "/reviews", "dana-token", map[string]any{"role": "staging", "reviewers": []string{"zed"}}), 404, "not_found")
	r := e.call("POST", "/reviews", "dana-token", start)
	e.want("start", r, 201)
	var byBob reviewJSON
	if r.json(t, &byBob); byBob.State != "open" || byBob.Items != 2 {
		t.Fatalf("started review = %s", r.body)
	}
	// A second review that alice and erin decide: alice is never the
	// reviewer of her own item.
	r = e.call("POST", "/reviews", "dana-token", map[string]any{"role": "staging", "reviewers": []string{"alice", "erin"}})
	e.want("start a second", r, 201)
	var byTwo reviewJSON
	r.json(t, &byTwo)

	e.want("list: no token", e.call("GET", "/reviews", "", nil), 401)
	e.want("list: service token", e.call("GET", "/reviews", "gateway-token", nil), 403, "forbidden")
	if got := e.mustReviews("mallory-token"); len(got) != 0 {
		t.Fatalf("mallory sees reviews %+v", got)
	}
	if got := e.mustReviews("bob-token"); len(got) != 1 || got[0].ID != byBob.ID || got[0].Mine != 1 {
		t.Fatalf("bob's reviews = %+v", got)
	}
	if got := e.mustReviews("erin-token"); len(got) != 2 {
		t.Fatalf("the reader sees %+v, want both reviews", got)
	}

	e.want("get: no token", e.call("GET", "/reviews/"+byBob.ID, "", nil), 401)
	e.want("get: stranger", e.call("GET", "/reviews/"+byBob.ID, "mallory-token", nil), 403, "forbidden")
	e.want("get: unknown", e.call("GET", "/reviews/rv-nothere", "dana-token", nil), 404, "not_found")
	r = e.call("GET", "/reviews/"+byBob.ID, "bob-token", nil)
	e.want("get: reviewer", r, 200)
	if !strings.Contains(string(r.body), `"pending":2`) || !strings.Contains(string(r.body), `"mine":1`) {
		t.Fatalf("review = %s", r.body)
	}

	items := "/reviews/" + byBob.ID + "/items"
	e.want("items: no token", e.call("GET", items, "", nil), 401)
	e.want("items: stranger", e.call("GET", items, "mallory-token", nil), 403, "forbidden")
	e.want("items: bad offset", e.call("GET", items+q("offset", "-1"), "bob-token", nil), 400, "bad_input", "offset")
	r = e.call("GET", items, "bob-token", nil)
	e.want("items", r, 200)
	var page struct {
		Items []struct {
			N         int
			Principal string
		}
		Total int
	}
	if r.json(t, &page); page.Total != 1 || len(page.Items) != 1 || page.Items[0].Principal != "alice" {
		t.Fatalf("bob's items = %s, want alice's alone", r.body)
	}
	n := strconv.Itoa(page.Items[0].N)

	decide := "/reviews/" + byBob.ID + "/items/" + n + "/decision"
	keep := map[string]any{"decision": "keep", "reason": "on call this quarter"}
	e.want("decide: no token", e.call("POST", decide, "", keep), 401)
	e.want("decide: not a reviewer", e.call("POST", decide, "mallory-token", keep), 403, "forbidden")
	e.want("decide: bad decision", e.call("POST", decide, "bob-token", map[string]any{"decision": "maybe"}), 400, "bad_input", "decision")
	e.want("decide: bad item", e.call("POST", "/reviews/"+byBob.ID+"/items/x/decision", "bob-token", keep), 400, "bad_input", "n")
	e.want("decide: no such item", e.call("POST", "/reviews/"+byBob.ID+"/items/99/decision", "bob-token", keep), 404, "not_found")
	e.want("decide: bad reason", e.call("POST", decide, "bob-token", map[string]any{"decision": "keep", "reason": strings.Repeat("why ", 200)}), 422, "invalid", "reason")
	r = e.call("POST", decide, "bob-token", keep)
	e.want("decide", r, 200)
	if !strings.Contains(string(r.body), `"decision":"keep","decided_by":"bob"`) {
		t.Fatalf("decided item = %s", r.body)
	}
	e.want("decide again", e.call("POST", decide, "bob-token", keep), 409, "conflict")
	// alice reviews bob's item of the second review, never her own.
	own := "/reviews/" + byTwo.ID + "/items/" + n + "/decision"
	e.want("decide: own access", e.call("POST", own, "alice-token", keep), 403, "forbidden")

	accept := "/reviews/" + byTwo.ID + "/accept"
	e.want("accept: no token", e.call("POST", accept, "", nil), 401)
	e.want("accept: nothing waits", e.call("POST", accept, "mallory-token", nil), 403, "forbidden")
	e.want("accept: bad body", e.call("POST", accept, "erin-token", "[]"), 400, "bad_input")
	e.want("accept: unknown", e.call("POST", "/reviews/rv-nothere/accept", "erin-token", nil), 404, "not_found")
	r = e.call("POST", accept, "erin-token", nil)
	e.want("accept", r, 200)
	if !strings.Contains(string(r.body), `"decided":2`) {
		t.Fatalf("accept = %s", r.body)
	}

	stop := "/reviews/" + byBob.ID + "/stop"
	e.want("stop: no token", e.call("POST", stop, "", nil), 401)
	e.want("stop: reviewer", e.call("POST", stop, "bob-token", nil), 403, "forbidden")
	e.want("stop: bad body", e.call("POST", stop, "dana-token", map[string]any{"now": true}), 400, "bad_input", "now")
	e.want("stop: unknown", e.call("POST", "/reviews/rv-nothere/stop", "dana-token", nil), 404, "not_found")
	r = e.call("POST", stop, "dana-token", nil)
	e.want("stop", r, 200)
	if r.json(t, &byBob); byBob.State != "closed" {
		t.Fatalf("stopped review = %s", r.body)
	}
	e.want("stop again", e.call("POST", stop, "dana-token", nil), 409, "conflict")

	// apply: this review applied its removals at its end (auto_apply), so
	// nothing is left; an open review is refused (core TestReviewApply
	// shows the removals an auto_apply: false review leaves carried out).
	apply := "/reviews/" + byBob.ID + "/apply"
	e.want("apply: no token", e.call("POST", apply, "", nil), 401)
	e.want("apply: reviewer", e.call("POST", apply, "bob-token", nil), 403, "forbidden")
	e.want("apply: bad body", e.call("POST", apply, "dana-token", map[string]any{"all": true}), 400, "bad_input", "all")
	e.want("apply: unknown", e.call("POST", "/reviews/rv-nothere/apply", "dana-token", nil), 404, "not_found")
	e.want("apply: open review", e.call("POST", "/reviews/"+byTwo.ID+"/apply", "dana-token", nil), 409, "conflict")
	r = e.call("POST", apply, "dana-token", nil)
	e.want("apply", r, 200)
	if !strings.Contains(string(r.body), `"applied":0`) {
		t.Fatalf("apply of an applied review = %s", r.body)
	}

	report := "/reviews/" + byBob.ID + "/report"
	e.want("report: no token", e.call("GET", report, "", nil), 401)
	e.want("report: reviewer", e.call("GET", report, "bob-token", nil), 403, "forbidden")
	e.want("report: bad format", e.call("GET", report+q("format", "xml"), "erin-token", nil), 400, "bad_input", "format")
	e.want("report: unknown", e.call("GET", "/reviews/rv-nothere/report", "erin-token", nil), 404, "not_found")
	r = e.call("GET", report, "erin-token", nil)
	e.want("report", r, 200)
	if lines := strings.Split(strings.TrimSpace(string(r.body)), "\n"); len(lines) != 3 || !strings.Contains(string(r.body), "on call this quarter") {
		t.Fatalf("csv report = %s", r.body)
	}
	r = e.call("GET", report+q("format", "json"), "dana-token", nil)
	e.want("json report", r, 200)
	if !strings.Contains(string(r.body), `"decided_by": "bob"`) {
		t.Fatalf("json report = %s", r.body)
	}
}

// mustReviews lists the reviews token sees.
func (e *env) mustReviews(token string) []reviewJSON {
	e.t.Helper()
	r := e.call("GET", "/reviews", token, nil)
	e.want("list reviews", r, 200)
	var out struct{ Reviews []reviewJSON }
	r.json(e.t, &out)
	return out.Reviews
}
