package exec_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/elevate-pim/elevate/adapters/exec"
	"github.com/elevate-pim/elevate/core"
)

func script(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "target.sh")
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestRunsWithFactsInEnv(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	p := exec.New(script(t, `printf '%s %s %s %s %s\n' "$1" "$ELEVATE_ACTION" "$ELEVATE_PRINCIPAL" "$ELEVATE_ROLE" "$ELEVATE_PRINCIPAL_SLACK" > "$2"
env | grep -c TOKEN >> "$2" || true`), []string{"--db", out}, 5*time.Second)
	t.Setenv("ELEVATE_SLACK_BOT_TOKEN", "xoxb-secret")
	g := core.Grant{Principal: core.Principal{ID: "alice", IDs: map[string]string{"slack": "U1"}}, Role: "prod-db", RequestID: "r-1111"}
	if err := p.Grant(context.Background(), g); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(out)
	if string(got) != "--db grant alice prod-db U1\n0\n" {
		t.Fatalf("program saw %q", got)
	}
}

func TestFailureCarriesStderr(t *testing.T) {
	p := exec.New(script(t, "echo 'no such db user' >&2; exit 3"), nil, 5*time.Second)
	err := p.Revoke(context.Background(), core.Grant{Principal: core.Principal{ID: "alice"}, Role: "db"})
	if err == nil || !strings.Contains(err.Error(), "no such db user") || !strings.Contains(err.Error(), "exit status 3") {
		t.Fatalf("err = %v", err)
	}
}

func TestTimeout(t *testing.T) {
	p := exec.New(script(t, "exec sleep 5"), nil, 100*time.Millisecond)
	start := time.Now()
	err := p.Grant(context.Background(), core.Grant{Principal: core.Principal{ID: "a"}})
	if err == nil || !strings.Contains(err.Error(), "timed out") || time.Since(start) > 3*time.Second {
		t.Fatalf("err = %v after %v", err, time.Since(start))
	}
}
