package api_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/rs/zerolog"

	"github.com/elevate-pim/elevate/adapters/api"
	"github.com/elevate-pim/elevate/core"
)

// TestRequestLifecycle drives requests through every request route: each
// succeeds for the caller who may, answers 401 without a token, 403 for a
// principal without the right, and 400/422 for bad input. The requester
// cannot approve their own request.
func TestRequestLifecycle(t *testing.T) {
	e := newEnv(t, nil)
	good := map[string]any{"role": "prod-db", "duration": "2h", "justification": "fixing replication lag", "ticket": "INC-4411"}
	e.want("no token", e.call("POST", "/requests", "", good), 401, "unauthorized")
	e.want("unknown token", e.call("POST", "/requests", "guess", good), 401, "unauthorized")
	e.want("not eligible", e.call("POST", "/requests", "mallory-token", good), 403, "forbidden")
	e.want("service token", e.call("POST", "/requests", "gateway-token", good), 403, "forbidden")
	e.want("unknown field", e.call("POST", "/requests", "alice-token", map[string]any{"role": "prod-db", "admin": true}), 400, "bad_input", "admin")
	e.want("bad duration", e.call("POST", "/requests", "alice-token", map[string]any{"role": "prod-db", "duration": "2 fortnights"}), 400, "bad_input", "duration")
	e.want("not JSON", e.call("POST", "/requests", "alice-token", "{"), 400, "bad_input")
	e.want("no role", e.call("POST", "/requests", "alice-token", map[string]any{"duration": "1h"}), 400, "bad_input", "role")
	e.want("short justification", e.call("POST", "/requests", "alice-token", map[string]any{"role": "prod-db", "justification": "short", "ticket": "INC-1"}), 422, "invalid", "justification")
	e.want("over the maximum", e.call("POST", "/requests", "alice-token", map[string]any{"role": "prod-db", "duration": "9h", "justification": "fixing replication lag", "ticket": "INC-1"}), 422, "invalid", "duration")
	e.want("unknown role", e.call("POST", "/requests", "alice-token", map[string]any{"role": "nope"}), 404, "not_found", "role")

	id := e.mustRequest()
	e.want("second open request", e.call("POST", "/requests", "alice-token", good), 409, "conflict")

	e.want("get: no token", e.call("GET", "/requests/"+id, "", nil), 401)
	e.want("get: stranger", e.call("GET", "/requests/"+id, "mallory-token", nil), 403, "forbidden")
	e.want("get: unknown", e.call("GET", "/requests/r-nope", "alice-token", nil), 404, "not_found")
	e.want("get: requester", e.call("GET", "/requests/"+id, "alice-token", nil), 200)
	e.want("get: approver", e.call("GET", "/requests/"+id, "bob-token", nil), 200)

	e.want("list: no token", e.call("GET", "/requests", "", nil), 401)
	e.want("list: stranger", e.call("GET", "/requests"+q("principal", "alice"), "mallory-token", nil), 403, "forbidden")
	e.want("list: bad state", e.call("GET", "/requests"+q("state", "Sleeping"), "alice-token", nil), 400, "bad_input", "state")
	var page struct {
		Requests []struct{ ID, State string }
	}
	r := e.call("GET", "/requests"+q("principal", "alice", "state", "PendingApproval"), "erin-token", nil)
	e.want("list: reader", r, 200)
	if r.json(t, &page); len(page.Requests) != 1 || page.Requests[0].ID != id {
		t.Fatalf("list = %s, want %s", r.body, id)
	}

	e.want("approve: no token", e.call("POST", "/requests/"+id+"/approve", "", nil), 401)
	e.want("approve own request", e.call("POST", "/requests/"+id+"/approve", "alice-token", nil), 403, "forbidden")
	e.want("approve: not an approver", e.call("POST", "/requests/"+id+"/approve", "mallory-token", nil), 403, "forbidden")
	e.want("approve: unknown field", e.call("POST", "/requests/"+id+"/approve", "bob-token", map[string]any{"force": true}), 400, "bad_input", "force")
	e.want("deny: no reason", e.call("POST", "/requests/"+id+"/deny", "bob-token", map[string]any{}), 400, "bad_input", "reason")
	r = e.call("POST", "/requests/"+id+"/approve", "bob-token", nil)
	e.want("approve", r, 200)
	var got struct {
		State     string
		DecidedBy string `json:"decided_by"`
	}
	if r.json(t, &got); got.State != "Active" || got.DecidedBy != "bob" {
		t.Fatalf("approved request = %s", r.body)
	}
	r = e.call("POST", "/requests/"+id+"/deny", "bob-token", map[string]any{"reason": "too late"})
	e.want("deny after approval", r, 409, "conflict")
	if _, _, state := r.errorBody(t); state != "Active" {
		t.Fatalf("409 names state %q, want Active: %s", state, r.body)
	}
	e.want("cancel an active window", e.call("POST", "/requests/"+id+"/cancel", "alice-token", nil), 409, "conflict")

	e.want("extend: no token", e.call("POST", "/requests/"+id+"/extend", "", map[string]any{"duration": "30m"}), 401)
	e.want("extend: not the requester", e.call("POST", "/requests/"+id+"/extend", "bob-token", map[string]any{"duration": "30m"}), 403, "forbidden")
	e.want("extend: no duration", e.call("POST", "/requests/"+id+"/extend", "alice-token", map[string]any{}), 400, "bad_input", "duration")
	e.want("extend: over the allowance", e.call("POST", "/requests/"+id+"/extend", "alice-token", map[string]any{"duration": "2h"}), 422, "invalid", "duration")
	e.want("extend", e.call("POST", "/requests/"+id+"/extend", "alice-token", map[string]any{"duration": "30m"}), 200)

	e.want("deactivate: no token", e.call("POST", "/requests/"+id+"/deactivate", "", nil), 401)
	e.want("deactivate: stranger", e.call("POST", "/requests/"+id+"/deactivate", "mallory-token", nil), 403, "forbidden")
	e.want("deactivate: bad body", e.call("POST", "/requests/"+id+"/deactivate", "alice-token", "[1]"), 400, "bad_input")
	r = e.call("POST", "/requests/"+id+"/deactivate", "alice-token", nil)
	e.want("deactivate", r, 200)
	if r.json(t, &got); got.State != "Revoked" {
		t.Fatalf("deactivated request = %s", r.body)
	}

	// cancel and deny on fresh requests
	id2 := e.mustRequest()
	e.want("cancel: no token", e.call("POST", "/requests/"+id2+"/cancel", "", nil), 401)
	e.want("cancel: stranger", e.call("POST", "/requests/"+id2+"/cancel", "mallory-token", nil), 403, "forbidden")
	e.want("cancel", e.call("POST", "/requests/"+id2+"/cancel", "alice-token", nil), 200)
	id3 := e.mustRequest()
	e.want("deny: no token", e.call("POST", "/requests/"+id3+"/deny", "", map[string]any{"reason": "no"}), 401)
	e.want("deny: stranger", e.call("POST", "/requests/"+id3+"/deny", "mallory-token", map[string]any{"reason": "no"}), 403, "forbidden")
	e.want("deny", e.call("POST", "/requests/"+id3+"/deny", "bob-token", map[string]any{"reason": "use the replica"}), 200)

	// Every change made through the API is audited with the token's name.
	events, _, err := core.ReadAudit(context.Background(), e.store, core.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	sources := map[string]bool{}
	for _, ev := range events {
		if ev.RequestID == id {
			sources[ev.Source] = true
		}
	}
	if !sources["api:alice-ci"] || !sources["api:bob-ci"] {
		t.Fatalf("audit sources of %s = %v, want api:alice-ci and api:bob-ci", id, sources)
	}
}

// TestReadsAndCheck covers roles, eligibility, assignments and check.
func TestReadsAndCheck(t *testing.T) {
	e := newEnv(t, nil)
	e.want("roles: no token", e.call("GET", "/roles", "", nil), 401)
	r := e.call("GET", "/roles", "mallory-token", nil)
	e.want("roles", r, 200)
	if !strings.Contains(string(r.body), `"name":"prod-db"`) || !strings.Contains(string(r.body), `"ticket_pattern":"^INC-[0-9]+$"`) {
		t.Fatalf("roles = %s", r.body)
	}

	e.want("eligibility: no token", e.call("GET", "/eligibility"+q("principal", "alice"), "", nil), 401)
	e.want("eligibility: stranger", e.call("GET", "/eligibility"+q("principal", "alice"), "mallory-token", nil), 403, "forbidden")
	e.want("eligibility: unknown", e.call("GET", "/eligibility"+q("principal", "zed"), "dana-token", nil), 404, "not_found", "principal")
	e.want("eligibility: service token", e.call("GET", "/eligibility", "gateway-token", nil), 400, "bad_input", "principal")
	r = e.call("GET", "/eligibility", "alice-token", nil)
	e.want("eligibility: own", r, 200)
	if !strings.Contains(string(r.body), `"role":"prod-db"`) || !strings.Contains(string(r.body), `"role":"staging"`) {
		t.Fatalf("alice's eligibility = %s", r.body)
	}

	e.mustActivate("staging")
	e.want("assignments: no token", e.call("GET", "/assignments"+q("role", "staging"), "", nil), 401)
	e.want("assignments: stranger", e.call("GET", "/assignments"+q("role", "staging"), "mallory-token", nil), 403, "forbidden")
	e.want("assignments: unknown role", e.call("GET", "/assignments"+q("role", "nope"), "dana-token", nil), 404, "not_found", "role")
	r = e.call("GET", "/assignments"+q("role", "staging"), "erin-token", nil)
	e.want("assignments of a role", r, 200)
	if !strings.Contains(string(r.body), `"principal":"alice","role":"staging","via":"window"`) {
		t.Fatalf("staging holders = %s", r.body)
	}
	r = e.call("GET", "/assignments"+q("principal", "dana"), "dana-token", nil)
	e.want("own assignments", r, 200)
	if !strings.Contains(string(r.body), `"role":"admin","via":"assignment"`) || !strings.Contains(string(r.body), `"permanent":true`) {
		t.Fatalf("dana's assignments = %s", r.body)
	}

	e.want("check: no token", e.call("GET", "/check"+q("principal", "alice", "role", "staging"), "", nil), 401)
	e.want("check: stranger", e.call("GET", "/check"+q("principal", "alice", "role", "staging"), "mallory-token", nil), 403, "forbidden")
	e.want("check: audit-only service", e.call("GET", "/check"+q("principal", "alice", "role", "staging"), "siem-token", nil), 403, "forbidden")
	e.want("check: no role", e.call("GET", "/check"+q("principal", "alice"), "gateway-token", nil), 400, "bad_input", "role")
	for _, c := range []struct {
		principal, role, token string
		holds                  bool
		via                    string
	}{
		{"alice", "staging", "gateway-token", true, "window"},
		{"alice", "staging", "alice-token", true, "window"},
		{"dana", "admin", "gateway-token", true, "assignment"},
		{"alice", "prod-db", "gateway-token", false, ""},
	} {
		r := e.call("GET", "/check"+q("principal", c.principal, "role", c.role), c.token, nil)
		e.want("check", r, 200)
		var got struct {
			Holds bool
			Until string
			Via   string
		}
		if r.json(t, &got); got.Holds != c.holds || got.Via != c.via || (c.via == "window") != (got.Until != "") {
			t.Errorf("check %s %s = %s, want holds %v via %q", c.principal, c.role, r.body, c.holds, c.via)
		}
	}
}

// mustActivate activates role for alice (no approval needed).
func (e *env) mustActivate(role string) {
	e.t.Helper()
	r := e.call("POST", "/requests", "alice-token", map[string]any{"role": role, "duration": "1h"})
	e.want("activate "+role, r, 201)
}

// TestAssignmentRoutes: admins assign, remove and convert by the same
// rules as chat, the last admin included.
func TestAssignmentRoutes(t *testing.T) {
	e := newEnv(t, nil)
	path := "/assignments/bob/staging/active"
	e.want("put: no token", e.call("PUT", path, "", map[string]any{"permanent": true}), 401)
	e.want("put: not admin", e.call("PUT", path, "alice-token", map[string]any{"permanent": true}), 403, "forbidden")
	e.want("put: bad kind", e.call("PUT", "/assignments/bob/staging/owner", "dana-token", map[string]any{"permanent": true}), 400, "bad_input", "kind")
	e.want("put: bad end", e.call("PUT", path, "dana-token", map[string]any{"end": "tomorrow"}), 400, "bad_input", "end")
	e.want("put: neither end nor permanent", e.call("PUT", path, "dana-token", map[string]any{}), 422, "invalid", "end")
	e.want("put: unknown principal", e.call("PUT", "/assignments/zed/staging/active", "dana-token", map[string]any{"permanent": true}), 404, "not_found", "principal")
	r := e.call("PUT", path, "dana-token", map[string]any{"permanent": true})
	e.want("put", r, 200)
	e.want("bob holds staging", e.call("GET", "/check"+q("principal", "bob", "role", "staging"), "gateway-token", nil), 200)

	convert := "/assignments/bob/staging/convert"
	e.want("convert: no token", e.call("POST", convert, "", nil), 401)
	e.want("convert: not admin", e.call("POST", convert, "alice-token", nil), 403, "forbidden")
	e.want("convert: unknown role", e.call("POST", "/assignments/bob/nope/convert", "dana-token", nil), 404, "not_found")
	r = e.call("POST", convert, "dana-token", nil)
	e.want("convert", r, 200)
	if !strings.Contains(string(r.body), `"kind":"eligible"`) {
		t.Fatalf("converted = %s", r.body)
	}
	e.want("convert again", e.call("POST", convert, "dana-token", nil), 404, "not_found")

	del := "/assignments/bob/staging/eligible"
	e.want("delete: no token", e.call("DELETE", del, "", nil), 401)
	e.want("delete: not admin", e.call("DELETE", del, "alice-token", nil), 403, "forbidden")
	e.want("delete: bad kind", e.call("DELETE", "/assignments/bob/staging/x", "dana-token", nil), 400, "bad_input", "kind")
	e.want("delete", e.call("DELETE", del, "dana-token", nil), 204)
	e.want("delete again", e.call("DELETE", del, "dana-token", nil), 404, "not_found")
	e.want("delete the last admin", e.call("DELETE", "/assignments/dana/admin/active", "dana-token", nil), 409, "conflict")
}

// TestServiceTokensAndLimits: 429 with Retry-After past a token's rate,
// and with no tokens configured everything but the document is 401.
func TestServiceTokensAndLimits(t *testing.T) {
	e := newEnv(t, nil)
	e.want("first call", e.call("GET", "/roles", "slow-token", nil), 200)
	r := e.call("GET", "/roles", "slow-token", nil)
	e.want("over the limit", r, 429, "rate_limited")
	if r.header.Get("Retry-After") != "1" {
		t.Fatalf("Retry-After = %q, want 1", r.header.Get("Retry-After"))
	}
	e.clock.Advance(1e9)
	e.want("after a second", e.call("GET", "/roles", "slow-token", nil), 200)

	none := httptest.NewServer(api.New(e.svc, nil, zerolog.Nop()))
	defer none.Close()
	for _, rt := range e.api.Routes() {
		path := strings.NewReplacer("{id}", "r-1", "{principal}", "alice", "{role}", "staging", "{kind}", "active").Replace(rt.Path)
		req, _ := http.NewRequest(rt.Method, none.URL+api.Prefix+path, strings.NewReader("{}"))
		req.Header.Set("Authorization", "Bearer alice-token")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 401 {
			t.Errorf("no tokens configured: %s %s = %d, want 401", rt.Method, rt.Path, resp.StatusCode)
		}
	}
	resp, err := http.Get(none.URL + api.Prefix + "/openapi.json")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("openapi.json without tokens: %v %v", resp, err)
	}
	resp.Body.Close()
}

// TestOpenAPIDocumentsEveryRoute: every route the server answers is in
// openapi.json and every documented operation is a route, so adding a
// route without documenting it fails here.
func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	e := newEnv(t, nil)
	if err := documented(e.doc, e.api.Routes()); err != nil {
		t.Fatal(err)
	}
	extra := append(e.api.Routes(), api.Route{Method: "GET", Path: "/secret"})
	if err := documented(e.doc, extra); err == nil || !strings.Contains(err.Error(), "GET /secret") {
		t.Fatalf("an undocumented route went unnoticed: %v", err)
	}
}

// documented compares the server's routes with the document's operations.
func documented(doc *openapi3.T, routes []api.Route) error {
	served := map[string]bool{}
	for _, r := range routes {
		served[r.Method+" "+r.Path] = true
	}
	described := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		if path == "/openapi.json" {
			continue
		}
		for method := range item.Operations() {
			described[method+" "+path] = true
		}
	}
	var problems []string
	for k := range served {
		if !described[k] {
			problems = append(problems, "route not in openapi.json: "+k)
		}
	}
	for k := range described {
		if !served[k] {
			problems = append(problems, "documented but not served: "+k)
		}
	}
	sort.Strings(problems)
	if len(problems) > 0 {
		return fmt.Errorf("%s", strings.Join(problems, "; "))
	}
	return nil
}
