package config_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/elevate-pim/elevate/core/config"
)

// FuzzParse feeds Parse arbitrary bytes: it must never panic, and a config
// it accepts must be internally consistent.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.yaml")
	for _, name := range files {
		if data, err := os.ReadFile(name); err == nil {
			f.Add(data)
		}
	}
	for _, seed := range []string{
		base,
		"",
		"admin_role: [",
		"roles: {r: {activation: {max_duration: 1h, max_lead_time: 0}}}",
		"a: &a {<<: *a}",
		"x: &x [*x]",
		"mfa: {encryption_key: ${A}, encryption_key_file: b}",
		"assignments: [{principal: a, role: b, type: active, start: 2026-01-01, end: 2026-01-01T00:00:00Z}]",
		"roles: {r: {approval: {approvers: [group:, group:g], min_approvals: -9223372036854775808}}}",
		"timezone: Local",
		"---\n---\n",
		"principals: {a: {console: b}, b: {}}",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := config.Parse("fuzz.yaml", data, time.Now())
		if err != nil {
			if cfg != nil {
				t.Fatal("Parse returned a config and an error")
			}
			if ps, ok := err.(config.Problems); !ok || len(ps) == 0 {
				t.Fatalf("error is not Problems: %v", err)
			}
			return
		}
		if cfg == nil || cfg.Directory == nil || cfg.Location == nil {
			t.Fatalf("Parse succeeded with an incomplete config: %+v", cfg)
		}
		if _, err := cfg.Directory.Role(cfg.Directory.AdminRole); err != nil {
			t.Fatalf("admin role %q is not a role", cfg.Directory.AdminRole)
		}
		for _, a := range cfg.Assignments {
			if _, err := cfg.Directory.Role(a.Role); err != nil {
				t.Fatalf("assignment %+v names an unknown role", a)
			}
			if _, err := cfg.Directory.Principal(a.Principal); err != nil {
				t.Fatalf("assignment %+v names an unknown principal", a)
			}
		}
		for _, r := range cfg.Directory.Roles {
			if r.Policy.MaxDuration <= 0 || r.Policy.DefaultDuration > r.Policy.MaxDuration {
				t.Fatalf("role %s has durations %v/%v", r.Name, r.Policy.MaxDuration, r.Policy.DefaultDuration)
			}
		}
	})
}
