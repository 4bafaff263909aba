package bot_test

import (
	"strings"
	"testing"

	"github.com/elevate-pim/elevate/core"
)

// TestHelpAlertsDescribesEveryKind: one line per built-in kind, with its
// effective severity and thresholds filled in.
func TestHelpAlertsDescribesEveryKind(t *testing.T) {
	f := newFixture(t)
	m := f.mustHandle(t, "alice", "help alerts")
	lines := strings.Split(strings.TrimSpace(m.Text), "\n")
	if len(lines) != len(core.AlertKinds)+1 {
		t.Fatalf("%d lines for %d kinds:\n%s", len(lines), len(core.AlertKinds), m.Text)
	}
	for i, k := range core.AlertKinds {
		if !strings.HasPrefix(strings.TrimSpace(lines[i]), string(k.Kind)+" ("+string(k.Default.Severity)+"): ") {
			t.Errorf("line %d = %q, want %s with its severity", i, lines[i], k.Kind)
		}
		if strings.Contains(lines[i], "`") {
			t.Errorf("line %d keeps a placeholder: %q", i, lines[i])
		}
	}
	if !strings.Contains(m.Text, "more than 3 times within 1d") {
		t.Errorf("thresholds not filled in:\n%s", m.Text)
	}
}
