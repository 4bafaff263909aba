package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

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

// TestReviewApplyCLIOnRedis: a review with auto_apply off leaves its
// decided removal to an admin; `elevate review apply` refuses a principal
// who is neither admin nor owner, carries it out for an admin (the
// assignment is gone, the report says removed), and says there is nothing
// left when run again.
func TestReviewApplyCLIOnRedis(t *testing.T) {
	rcv := newReceiver(t)
	cfg := redisConfig(t, rcv.URL, 0)
	start := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	f, err := os.OpenFile(cfg, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(f, "reviews:\n  manual:\n    roles: [db]\n    start: %s\n    duration: 1d\n    reviewers: [bob]\n    auto_apply: false\n", start.Format(time.RFC3339))
	f.Close()
	m := mustMain(t, cfg, false)
	ctx := context.Background()
	if _, err := m.Service.RunDue(ctx); err != nil {
		t.Fatal(err)
	}
	id := "rv-manual-" + start.Format("20060102")
	if _, err := m.Service.Reviews().Decide(ctx, core.Caller{Principal: "bob", Source: "test"}, id, 1, core.DecisionRemove, "left the team"); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Service.Reviews().Stop(ctx, core.Caller{Principal: "dana", Source: "test"}, id); err != nil {
		t.Fatal(err)
	}
	if as, _ := m.Store.AssignmentsOf(ctx, "alice", "db"); len(as) != 1 {
		t.Fatalf("auto_apply: false removed at the end: %+v", as)
	}
	if code, out, errOut := run(t, "", "review", "apply", "--config", cfg, "--id", id, "--as", "carol"); code != 1 || !strings.Contains(errOut, "Only admins and the owners of "+id) {
		t.Fatalf("apply as carol: %d\n%s\n%s", code, out, errOut)
	}
	if as, _ := m.Store.AssignmentsOf(ctx, "alice", "db"); len(as) != 1 {
		t.Fatal("a refused apply removed the assignment")
	}
	code, out, errOut := run(t, "", "review", "apply", "--config", cfg, "--id", id, "--as", "dana")
	if code != 0 || !strings.Contains(out, "1 decided removal(s) of "+id+" carried out (1 removed)") {
		t.Fatalf("apply as dana: %d\n%s\n%s", code, out, errOut)
	}
	if as, _ := m.Store.AssignmentsOf(ctx, "alice", "db"); len(as) != 0 {
		t.Fatalf("after apply alice's db = %+v", as)
	}
	if code, out, errOut := run(t, "", "review", "apply", "--config", cfg, "--id", id, "--as", "dana"); code != 0 || !strings.Contains(out, "nothing left to apply in "+id+" (1 removed)") {
		t.Fatalf("apply again: %d\n%s\n%s", code, out, errOut)
	}
	if code, out, _ := run(t, "", "review", "export", "--config", cfg, "--id", id); code != 0 || !strings.Contains(out, "remove,bob,left the team") || !strings.Contains(out, ",removed,") {
		t.Fatalf("export after apply: %d\n%s", code, out)
	}
	if code, _, errOut := run(t, "", "review", "apply", "--config", cfg, "--id", id); code != 2 || !strings.Contains(errOut, "give --id and --as") {
		t.Fatalf("apply without --as: %d %s", code, errOut)
	}
}
