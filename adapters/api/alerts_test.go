package api_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/elevate-pim/elevate/core"
)

// goneAccounts is a chat platform on which some accounts are deactivated.
type goneAccounts struct {
	mu   sync.Mutex
	gone map[string]bool
}

func (g *goneAccounts) Platform() string { return "console" }
func (g *goneAccounts) Deactivated(_ context.Context, id string) (bool, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.gone[id], nil
}

// alertJSON is an alert as the API returns it.
type alertJSON struct {
	ID, Kind, Severity, Status, Reason string
	Report                             []struct{ Subject, Action string }
}

// TestAlertRoutes: admins and readers list and read alerts with filters;
// admins dismiss, acknowledge, revoke, remove and convert through the same
// core calls as chat's buttons. Every route answers 401 without a token,
// 403 for a principal without the right, and 400/422 for bad input.
func TestAlertRoutes(t *testing.T) {
	dir := directory()
	dir.Roles["bg"] = &core.Role{Name: "bg", BreakGlass: true, Critical: true, BreakGlassPrincipals: []string{"bob"},
		Policy: core.Policy{MaxDuration: time.Hour, DefaultDuration: time.Hour}}
	dir.Principals["mallory"].IDs = map[string]string{"console": "M-1"}
	e := newEnvDir(t, nil, dir)
	e.svc.Alerts().WatchAccounts(&goneAccounts{gone: map[string]bool{"M-1": true}})
	// alice: eligible for staging and permanently active in it (redundant,
	// Convert); mallory's account is gone (Remove all); bob breaks glass.
	e.want("assign", e.call("PUT", "/assignments/alice/staging/active", "dana-token", map[string]any{"permanent": true}), 200)
	e.want("assign", e.call("PUT", "/assignments/mallory/staging/eligible", "dana-token", map[string]any{"permanent": true}), 200)
	e.want("break glass", e.call("POST", "/requests", "bob-token", map[string]any{"role": "bg", "justification": "primary db down"}), 201)
	if err := e.svc.Alerts().Scan(context.Background()); err != nil {
		t.Fatal(err)
	}

	e.want("list: no token", e.call("GET", "/alerts", "", nil), 401)
	e.want("list: requester", e.call("GET", "/alerts", "alice-token", nil), 403, "forbidden")
	e.want("list: service token", e.call("GET", "/alerts", "gateway-token", nil), 403, "forbidden")
	e.want("list: bad status", e.call("GET", "/alerts"+q("status", "closed"), "erin-token", nil), 400, "bad_input", "status")
	e.want("list: bad kind", e.call("GET", "/alerts"+q("kind", "sunspots"), "erin-token", nil), 400, "bad_input", "kind")
	e.want("list: bad severity", e.call("GET", "/alerts"+q("severity", "dire"), "erin-token", nil), 400, "bad_input", "severity")
	byKind := map[string]alertJSON{}
	for _, a := range e.mustAlerts("", "erin-token") {
		byKind[a.Kind] = a
	}
	redundant, gone, glass := byKind["redundant_assignment"], byKind["deactivated_account"], byKind["break_glass_used"]
	if redundant.ID == "" || gone.ID == "" || glass.ID == "" {
		t.Fatalf("open alerts = %+v", byKind)
	}
	if got := e.mustAlerts(q("kind", "redundant_assignment"), "erin-token"); len(got) != 1 || got[0].ID != redundant.ID {
		t.Fatalf("kind filter = %+v", got)
	}
	for _, a := range e.mustAlerts(q("severity", "high", "status", "open"), "dana-token") {
		if a.Severity != "high" || a.Status != "open" || a.Kind == "redundant_assignment" {
			t.Fatalf("severity filter let %+v through", a)
		}
	}
	if got := e.mustAlerts(q("status", "dismissed"), "erin-token"); len(got) != 0 {
		t.Fatalf("dismissed before any dismissal: %+v", got)
	}

	e.want("get: no token", e.call("GET", "/alerts/"+gone.ID, "", nil), 401)
	e.want("get: requester", e.call("GET", "/alerts/"+gone.ID, "alice-token", nil), 403, "forbidden")
	e.want("get: unknown", e.call("GET", "/alerts/a-nothere", "erin-token", nil), 404, "not_found")
	e.want("get", e.call("GET", "/alerts/"+gone.ID, "erin-token", nil), 200)

	act := func(id, verb string) string { return "/alerts/" + id + "/" + verb }
	subject := func(s string) map[string]any { return map[string]any{"subject": s} }

	// Convert: alice's standing assignment becomes eligibility.
	e.want("convert: no token", e.call("POST", act(redundant.ID, "convert"), "", subject("alice/staging")), 401)
	e.want("convert: reader", e.call("POST", act(redundant.ID, "convert"), "erin-token", subject("alice/staging")), 403, "forbidden")
	e.want("convert: no subject", e.call("POST", act(redundant.ID, "convert"), "dana-token", map[string]any{}), 400, "bad_input", "subject")
	e.want("convert: not reported", e.call("POST", act(redundant.ID, "convert"), "dana-token", subject("bob/staging")), 404, "not_found")
	e.want("convert: no convert action", e.call("POST", act(gone.ID, "convert"), "dana-token", subject("mallory")), 422, "invalid")
	e.want("before convert", e.call("GET", "/check"+q("principal", "alice", "role", "staging"), "gateway-token", nil), 200)
	e.want("convert", e.call("POST", act(redundant.ID, "convert"), "dana-token", subject("alice/staging")), 200)
	var held struct{ Holds bool }
	if e.call("GET", "/check"+q("principal", "alice", "role", "staging"), "gateway-token", nil).json(t, &held); held.Holds {
		t.Fatal("alice still holds staging after Convert")
	}

	// Remove: mallory's access goes, and the alert resolves at once.
	e.want("remove: no token", e.call("POST", act(gone.ID, "remove"), "", subject("mallory")), 401)
	e.want("remove: reader", e.call("POST", act(gone.ID, "remove"), "erin-token", subject("mallory")), 403, "forbidden")
	e.want("remove: unknown field", e.call("POST", act(gone.ID, "remove"), "dana-token", map[string]any{"subject": "mallory", "all": true}), 400, "bad_input", "all")
	e.want("remove: no remove action", e.call("POST", act(redundant.ID, "remove"), "dana-token", subject("alice/staging")), 422, "invalid")
	r := e.call("POST", act(gone.ID, "remove"), "dana-token", subject("mallory"))
	e.want("remove", r, 200)
	var a alertJSON
	if r.json(t, &a); a.Status != "resolved" {
		t.Fatalf("after removing its only subject the alert is %s", a.Status)
	}

	// Dismiss with a reason; a second dismissal conflicts.
	e.want("dismiss: no token", e.call("POST", act(redundant.ID, "dismiss"), "", map[string]any{"reason": "accepted"}), 401)
	e.want("dismiss: reader", e.call("POST", act(redundant.ID, "dismiss"), "erin-token", map[string]any{"reason": "accepted"}), 403, "forbidden")
	e.want("dismiss: no reason", e.call("POST", act(redundant.ID, "dismiss"), "dana-token", map[string]any{}), 400, "bad_input", "reason")
	e.want("dismiss: unknown", e.call("POST", act("a-nothere", "dismiss"), "dana-token", map[string]any{"reason": "x"}), 404, "not_found")
	r = e.call("POST", act(redundant.ID, "dismiss"), "dana-token", map[string]any{"reason": "converted already"})
	e.want("dismiss", r, 200)
	if r.json(t, &a); a.Status != "dismissed" || a.Reason != "converted already" {
		t.Fatalf("dismissed alert = %s", r.body)
	}
	e.want("dismiss again", e.call("POST", act(redundant.ID, "dismiss"), "dana-token", map[string]any{"reason": "x"}), 409, "conflict")
	if got := e.mustAlerts(q("status", "dismissed"), "erin-token"); len(got) != 1 || got[0].ID != redundant.ID {
		t.Fatalf("dismissed alerts = %+v", got)
	}

	// Revoke ends bob's break-glass window and closes its alert.
	e.want("revoke: no token", e.call("POST", act(glass.ID, "revoke"), "", nil), 401)
	e.want("revoke: the user", e.call("POST", act(glass.ID, "revoke"), "bob-token", nil), 403, "forbidden")
	e.want("revoke: bad body", e.call("POST", act(glass.ID, "revoke"), "dana-token", map[string]any{"now": true}), 400, "bad_input", "now")
	e.want("revoke: not break-glass", e.call("POST", act(gone.ID, "revoke"), "dana-token", nil), 409, "conflict")
	e.want("revoke", e.call("POST", act(glass.ID, "revoke"), "dana-token", nil), 200)
	if e.call("GET", "/check"+q("principal", "bob", "role", "bg"), "gateway-token", nil).json(t, &held); held.Holds {
		t.Fatal("bob still holds bg after revoke")
	}

	// Acknowledge a second break-glass use; scanned conditions cannot be.
	e.want("break glass again", e.call("POST", "/requests", "bob-token", map[string]any{"role": "bg", "justification": "still down"}), 201)
	var again alertJSON
	for _, x := range e.mustAlerts(q("kind", "break_glass_used", "status", "open"), "dana-token") {
		again = x
	}
	e.want("ack: no token", e.call("POST", act(again.ID, "acknowledge"), "", nil), 401)
	e.want("ack: reader", e.call("POST", act(again.ID, "acknowledge"), "erin-token", nil), 403, "forbidden")
	e.want("ack: bad reason", e.call("POST", act(again.ID, "acknowledge"), "dana-token", map[string]any{"reason": 7}), 400, "bad_input", "reason")
	e.want("ack: a scanned condition", e.call("POST", act(gone.ID, "acknowledge"), "dana-token", nil), 409, "conflict")
	r = e.call("POST", act(again.ID, "acknowledge"), "dana-token", map[string]any{"reason": "db failover, checked with bob"})
	e.want("ack", r, 200)
	if r.json(t, &a); a.Status != "resolved" {
		t.Fatalf("acknowledged alert = %s", r.body)
	}
}

// mustAlerts lists alerts with query as token.
func (e *env) mustAlerts(query, token string) []alertJSON {
	e.t.Helper()
	r := e.call("GET", "/alerts"+query, token, nil)
	e.want("list alerts"+query, r, 200)
	var out struct{ Alerts []alertJSON }
	r.json(e.t, &out)
	return out.Alerts
}
