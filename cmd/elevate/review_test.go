package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/elevate-pim/elevate/core"
)

// lineOf returns the 1-based line of the first line of file containing s.
func lineOf(t *testing.T, file, s string) int {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range strings.Split(string(data), "\n") {
		if strings.Contains(l, s) {
			return i + 1
		}
	}
	t.Fatalf("%s has no line with %q", file, s)
	return 0
}

// TestReviewRemovalAcrossRestartOnRedis: an assignment the config file
// declares and a review removed stays removed when elevate starts again on
// the same Redis; start-up names the line to delete, `config validate
// --store` fails on it, and `review export` reports the decision.
func TestReviewRemovalAcrossRestartOnRedis(t *testing.T) {
	rcv := newReceiver(t)
	cfg := redisConfig(t, rcv.URL, 0)
	m := mustMain(t, cfg, false)
	ctx := context.Background()
	dana := core.Caller{Principal: "dana", Source: "test"}
	rv, err := m.Service.Reviews().Start(ctx, dana, "db", 0, []string{"bob"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Service.Reviews().Decide(ctx, core.Caller{Principal: "bob", Source: "test"}, rv.ID, 1, core.DecisionRemove, "left the team"); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Service.Reviews().Stop(ctx, dana, rv.ID); err != nil {
		t.Fatal(err)
	}

	var logs bytes.Buffer
	again, err := NewMain(ctx, cfg, zerolog.New(&logs), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	if as, err := again.Store.AssignmentsOf(ctx, "alice", "db"); err != nil || len(as) != 0 {
		t.Fatalf("after the restart alice's db assignments = %+v, %v; want none", as, err)
	}
	where := fmt.Sprintf("%s:%d: assignment eligible/alice/db was removed by access review %s (bob,", cfg, lineOf(t, cfg, "principal: alice, role: db"), rv.ID)
	if !strings.Contains(logs.String(), where) || !strings.Contains(logs.String(), "delete the line") {
		t.Fatalf("start-up log lacks %q:\n%s", where, logs.String())
	}

	code, out, errOut := run(t, "", "config", "validate", "--store", cfg)
	if code != 1 || !strings.Contains(errOut, where) || !strings.Contains(errOut, "delete this line") {
		t.Fatalf("validate --store: %d\n%s\n%s", code, out, errOut)
	}
	if code, out, errOut := run(t, "", "config", "validate", cfg); code != 0 {
		t.Fatalf("validate without the store: %d\n%s\n%s", code, out, errOut)
	}

	code, out, errOut = run(t, "", "review", "export", "--config", cfg, "--id", rv.ID)
	if code != 0 || !strings.Contains(out, "decision,decided_by,reason") || !strings.Contains(out, ",alice,db,eligible,") ||
		!strings.Contains(out, "remove,bob,left the team") || !strings.Contains(out, ",removed,") {
		t.Fatalf("review export: %d\n%s\n%s", code, out, errOut)
	}
	code, out, _ = run(t, "", "review", "export", "--config", cfg, "--id", rv.ID, "--format", "json")
	if code != 0 || !strings.Contains(out, `"outcome": "removed"`) || !strings.Contains(out, `"decided_by": "bob"`) {
		t.Fatalf("review export json: %d\n%s", code, out)
	}
	if code, _, errOut := run(t, "", "review", "export", "--config", cfg, "--id", "rv-nope"); code != 1 || !strings.Contains(errOut, "No review rv-nope") {
		t.Fatalf("unknown review: %d %s", code, errOut)
	}
}
