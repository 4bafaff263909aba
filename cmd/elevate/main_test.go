package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// run runs the CLI with args and stdin, returning the exit code, stdout and stderr.
func run(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	// stderr is locked: go-redis's goroutines log through the process-wide
	// hook, which points at the newest logger, even after their client closed.
	var out bytes.Buffer
	var errb lockedBuffer
	code := Run(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

// TestReadmeSession pipes the README's example session into the console:
// the whole lifecycle runs and the console exits 0 at EOF.
func TestReadmeSession(t *testing.T) {
	session, err := os.ReadFile("../../examples/demo-session.txt")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(readme, bytes.TrimSpace(session)) {
		t.Fatal("README.md does not show examples/demo-session.txt verbatim: keep them in step")
	}
	auditFile := filepath.Join(t.TempDir(), "audit.json")
	code, out, stderr := run(t, string(session), "console", "--config", "../../examples/demo.yaml", "--audit-out", auditFile)
	if code != 0 {
		t.Fatalf("exit %d\nstderr: %s\nstdout: %s", code, stderr, out)
	}
	for _, want := range []string{
		"[DM @bob] Approval needed: alice requests prod-db for 2h.",
		"[Approve] bob: approve r-",
		"[reply to alice] not allowed: You cannot approve or deny your own request.",
		"[update #approvals #3] Approved: bob approved prod-db for alice",
		"[#security-alerts] Activated: alice activated prod-db",
		"conflict: Request r-",
		"already approved by bob",
		"[DM @alice] Expired: alice's prod-db window ended",
		"[#security-alerts] Deactivated: alice's staging-deploy window was ended early by alice.",
		"[form] alice, Justification (at least 10 characters)?",
		"[form] carol, Reason (shown to the requester)?",
		"Reason: the read-only replica is enough for this",
		"conflict: dana is the last active holder of the admin role elevate-admin",
		"[file elevate-audit.csv]",
		"[DM @carol] Access review rv-",
		"#2 bob: staging-deploy: eligible, permanent; never activated; recommended: remove",
		"[Remove #2] carol: review remove rv-",
		"[DM @carol] Reminder: access review rv-",
		"[reply to carol] Access review rv-", ": Remove #2 (bob, staging-deploy, eligible): recorded",
		"1 item(s) still wait for you:\n    #1 alice: staging-deploy",
		"[Keep #1] carol: review keep rv-",
		"removed bob's eligible assignment for staging-deploy",
		"[#security-alerts] Access review ended: rv-",
		"of staging-deploy: 1 kept, 1 removed.",
		"[reply to bob] not allowed: You are not eligible for staging-deploy.",
		"[#security-alerts] Security alert (low): activated_too_often: alice activated staging-deploy 4 times in 1d (more than 3).",
		"a-d4u5xt44 LOW activated_too_often",
		"[reply to erin] not allowed: Only holders of elevate-admin may dismiss alerts.",
		"Dismissed: Security alert (low): activated_too_often",
		"[reply to bob] db-breakglass is active until",
		"[#security-alerts] Security alert (high): break_glass_used: Break-glass: bob activated db-breakglass without approval or MFA",
		"[DM @dana] Security alert (high): break_glass_used",
		"Resolved: Security alert (high): break_glass_used",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if t.Failed() {
		t.Logf("output:\n%s", out)
	}
	// The audit trail the session left verifies; altering one event breaks it, named.
	code, out, stderr = run(t, "", "audit", "verify", "--file", auditFile)
	if code != 0 || !strings.Contains(out, "chain intact") {
		t.Fatalf("verify intact: exit %d %s %s", code, out, stderr)
	}
	data, _ := os.ReadFile(auditFile)
	var events []map[string]any
	if err := json.Unmarshal(data, &events); err != nil {
		t.Fatal(err)
	}
	events[6]["reason"] = "nothing to see here"
	tampered, _ := json.Marshal(events)
	if err := os.WriteFile(auditFile, tampered, 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = run(t, "", "audit", "verify", "--file", auditFile)
	want := "audit event 7: content does not match its hash"
	if code == 0 || !strings.Contains(stderr, want) {
		t.Fatalf("verify tampered: exit %d, stderr %q, want %q", code, stderr, want)
	}
}

func TestConfigValidate(t *testing.T) {
	code, out, stderr := run(t, "", "config", "validate", "../../examples/demo.yaml")
	if code != 0 || !strings.Contains(out, "ok") {
		t.Fatalf("demo config: exit %d %s %s", code, out, stderr)
	}
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	err := os.WriteFile(bad, []byte(`admin_role: admin
principals:
  alice: {name: Alice}
roles:
  admin:
    activation: {max_duration: 1h, default_duration: 2h}
    assignment: {allow_permanent: true}
    approval: {required: true, approvers: [nobody]}
assignments:
  - {principal: alice, role: admin, type: active, permanent: true}
  - {principal: alice, role: ghost, type: eligible, permanent: true}
  - {principal: alice, role: admin, type: eligible, start: 2026-02-01, end: 2026-01-01}
`), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	code, _, stderr = run(t, "", "config", "validate", bad)
	if code != 1 {
		t.Fatalf("exit %d, want 1; stderr %s", code, stderr)
	}
	for _, re := range []string{
		`bad\.yaml:6: roles\.admin\.activation\.default_duration: .*2h.*1h`,
		`bad\.yaml:8: roles\.admin\.approval\.approvers.*nobody`,
		`bad\.yaml:11: assignments\[1\]\.role: .*ghost`,
		`bad\.yaml:12: assignments\[2\]\.end: must be after start`,
	} {
		if !regexp.MustCompile(re).MatchString(stderr) {
			t.Errorf("stderr lacks /%s/:\n%s", re, stderr)
		}
	}
}

func TestCLIUsage(t *testing.T) {
	if code, out, _ := run(t, "", "--help"); code != 0 || !strings.Contains(out, "elevate serve") {
		t.Fatalf("--help: %d %s", code, out)
	}
	if code, _, stderr := run(t, "", "frobnicate"); code != 2 || !strings.Contains(stderr, "unknown command") {
		t.Fatalf("unknown command: %d %s", code, stderr)
	}
	if code, out, _ := run(t, "", "version"); code != 0 || !strings.HasPrefix(out, "elevate ") {
		t.Fatalf("version: %d %s", code, out)
	}
	if code, _, stderr := run(t, "", "console"); code != 2 || !strings.Contains(stderr, "--config") {
		t.Fatalf("console without config: %d %s", code, stderr)
	}
}
