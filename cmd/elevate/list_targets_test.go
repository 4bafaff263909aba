package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/elevate-pim/elevate/adapters/webhook"
	"github.com/elevate-pim/elevate/core"
)

// listingReceiver is a webhook receiver that keeps who holds the role and
// answers "list" with them.
type listingReceiver struct {
	*httptest.Server
	mu      sync.Mutex
	members []string
}

func newListingReceiver(t *testing.T, secret string, members ...string) *listingReceiver {
	t.Helper()
	r := &listingReceiver{members: members}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		if err := webhook.Verify([]byte(secret), req.Header.Get("X-Elevate-Timestamp"), req.Header.Get("X-Elevate-Signature"), body, time.Now(), time.Minute); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		var p webhook.Payload
		if err := json.Unmarshal(body, &p); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		r.mu.Lock()
		defer r.mu.Unlock()
		switch p.Action {
		case "list":
			_ = json.NewEncoder(w).Encode(webhook.Members{Members: r.members})
		case "grant":
			if !slices.Contains(r.members, p.Principal.ID) {
				r.members = append(r.members, p.Principal.ID)
			}
		case "revoke":
			r.members = slices.DeleteFunc(r.members, func(m string) bool { return m == p.Principal.ID })
		}
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *listingReceiver) list() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Sorted(slices.Values(r.members))
}

// TestOutsideElevateOnListingTargets: webhook and exec targets with
// `list: true` are watched like chat targets: a member the receiver or the
// program lists that elevate did not grant raises a High outside_elevate
// alert naming them; an admin's `alerts remove` revokes them there, leaving
// the member elevate granted, and the alert resolves.
func TestOutsideElevateOnListingTargets(t *testing.T) {
	t.Setenv("ELEVATE_REDIS_URL", "")
	t.Setenv("HOOK_SECRET", "hook-secret")
	dir := t.TempDir()
	hook := newListingReceiver(t, "hook-secret", "mallory")
	members := filepath.Join(dir, "members")
	writeFile(t, members, "eve\n")
	prog := filepath.Join(dir, "target.sh")
	// The program keeps the role's holders in a file, one a line.
	writeFile(t, prog, `#!/bin/sh
case "$ELEVATE_ACTION" in
list) cat "$1" ;;
grant) echo "$ELEVATE_PRINCIPAL" >> "$1" ;;
revoke) grep -vx "$ELEVATE_PRINCIPAL" "$1" > "$1.new"; mv "$1.new" "$1" ;;
esac
`)
	if err := os.Chmod(prog, 0o755); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "elevate.yaml")
	writeFile(t, cfg, fmt.Sprintf(`admin_role: admin
principals:
  dana: {}
  alice: {}
  mallory: {}
  eve: {}
roles:
  admin:
    activation: {max_duration: 1h}
    assignment: {allow_permanent: true}
  db:
    activation: {max_duration: 1h}
    targets:
      - {type: webhook, name: db-hook, url: %q, secret: "${HOOK_SECRET}", list: true}
  vault:
    activation: {max_duration: 1h}
    targets:
      - {type: exec, name: vault-prog, command: %q, args: [%q], list: true}
assignments:
  - {principal: dana, role: admin, type: active, permanent: true}
  - {principal: alice, role: db, type: eligible, permanent: true}
  - {principal: alice, role: vault, type: eligible, permanent: true}
`, hook.URL, prog, members))
	m, err := NewMain(context.Background(), cfg, zerolog.Nop(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	ctx := context.Background()
	alice, dana := core.Caller{Principal: "alice", Source: "test"}, core.Caller{Principal: "dana", Source: "test"}
	for _, role := range []string{"db", "vault"} {
		if _, err := m.Service.RequestActivation(ctx, alice, core.ActivationInput{Role: role}); err != nil {
			t.Fatal(err)
		}
	}
	programMembers := func() []string {
		data, _ := os.ReadFile(members)
		return slices.Sorted(slices.Values(strings.Fields(string(data))))
	}
	waitFor(t, "alice granted at both targets", 5*time.Second, func() bool {
		return slices.Contains(hook.list(), "alice") && slices.Contains(programMembers(), "alice")
	})
	if err := m.Service.Alerts().Scan(ctx); err != nil {
		t.Fatal(err)
	}
	for target, outsider := range map[string]string{"db-hook": "mallory", "vault-prog": "eve"} {
		id := core.AlertID(core.AlertOutsideElevate, target)
		a, err := m.Service.Alerts().Get(ctx, dana, id)
		if err != nil || a.Status != core.AlertOpen || a.Severity != core.SeverityHigh || !slices.Equal(a.Subjects, []string{outsider}) {
			t.Fatalf("%s: alert %+v, %v; want High naming only %s", target, a, err, outsider)
		}
		if _, err := m.Bot.Handle(ctx, alice, "alerts remove "+id+" "+outsider); core.ErrorCode(err) != core.EFORBIDDEN {
			t.Fatalf("alice's remove: %v", err)
		}
		if _, err := m.Bot.Handle(ctx, dana, "alerts remove "+id+" "+outsider); err != nil {
			t.Fatalf("dana's remove on %s: %v", target, err)
		}
		if a, _ := m.Service.Alerts().Get(ctx, dana, id); a.Status != core.AlertResolved {
			t.Fatalf("%s after the removal: %s", target, a.Status)
		}
	}
	if got := hook.list(); !slices.Equal(got, []string{"alice"}) {
		t.Fatalf("receiver's members = %v, want [alice]", got)
	}
	if got := programMembers(); !slices.Equal(got, []string{"alice"}) {
		t.Fatalf("program's members = %v, want [alice]", got)
	}
	mustAudited(t, m, "the removals", func(e core.AuditEvent) bool {
		return e.Action == "remove_outside_member" && e.Actor == "dana" && strings.Contains(e.Reason, "eve removed from vault-prog")
	})
}
