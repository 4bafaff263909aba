package core_test

import (
	"testing"
	"time"

	"github.com/elevate-pim/elevate/core"
)

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"30m", 30 * time.Minute, true},
		{"2h", 2 * time.Hour, true},
		{"1h30m", 90 * time.Minute, true},
		{"1d", 24 * time.Hour, true},
		{"2 hours", 2 * time.Hour, true},
		{"1 hour 30 minutes", 90 * time.Minute, true},
		{"90 min", 90 * time.Minute, true},
		{"", 0, false},
		{"0m", 0, false},
		{"2 fortnights", 0, false},
		{"h", 0, false},
		{"99999999h", 0, false},
	}
	for _, tt := range tests {
		got, err := core.ParseDuration(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
	if s := core.FormatDuration(26*time.Hour + 30*time.Minute); s != "1d2h30m" {
		t.Errorf("FormatDuration = %q", s)
	}
}

func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"30m", "1h30m", "2 hours", "1d", "", "9999999d", "1 hour 30 minutes"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := core.ParseDuration(s)
		if err == nil && (d <= 0 || d > 10*365*24*time.Hour) {
			t.Fatalf("ParseDuration(%q) = %v", s, d)
		}
		if err != nil && core.ErrorCode(err) != core.EINVALID {
			t.Fatalf("error code %q", core.ErrorCode(err))
		}
	})
}
