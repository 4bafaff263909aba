package config_test

import (
	"strings"
	"testing"
	"time"

	"github.com/elevate-pim/elevate/core/config"
)

// TestLengthIsCheckedAtTheTimePassedIn: an assignment without a start is
// measured from the time Parse is given, not from the wall clock.
func TestLengthIsCheckedAtTheTimePassedIn(t *testing.T) {
	data := []byte(`admin_role: r
principals:
  dana: {}
roles:
  r:
    activation: {max_duration: 1h}
    assignment: {max_duration: 30d}
assignments:
  - {principal: dana, role: r, type: active, end: 2031-06-10}
`)
	if _, err := config.Parse("f.yaml", data, time.Date(2031, 6, 1, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Fatalf("9 days before the end: %v", err)
	}
	_, err := config.Parse("f.yaml", data, time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC))
	if err == nil || !strings.Contains(err.Error(), "f.yaml:9: assignments[0].end: lasts") {
		t.Fatalf("160 days before the end: %v, want the assignment refused as too long", err)
	}
}

// TestProblemsNameAField: every problem names a field, or the parent path
// or the top level of the file; an empty principal (`p001: ~`) is refused
// with its line.
func TestProblemsNameAField(t *testing.T) {
	for _, c := range []struct{ yaml, want string }{
		{"just text\n", `f.yaml:1: (top level): want a mapping, got "just text"`},
		{"principals:\n  dana: {}\n  \"\": {}\n", "f.yaml:3: principals: keys must be plain, non-empty text"},
		{"principals:\n  dana: {}\n  p001: ~\n", "f.yaml:3: principals.p001: a principal needs a mapping"},
	} {
		_, err := config.Parse("f.yaml", []byte(c.yaml), time.Now())
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v, want %q", c.yaml, err, c.want)
		}
	}
}
