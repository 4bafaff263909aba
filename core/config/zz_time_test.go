package config_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/elevate-pim/elevate/core/config"
)

func TestZZTime(t *testing.T) {
	files, _ := filepath.Glob(os.Getenv("CORPUS") + "/*")
	for _, f := range files {
		b, _ := os.ReadFile(f)
		lines := strings.Split(string(b), "\n")
		s, _ := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(lines[1], "[]byte("), ")"))
		start := time.Now()
		config.Parse("x", []byte(s))
		if d := time.Since(start); d > 50*time.Millisecond {
			t.Logf("%s: %v len %d", f, d, len(s))
		}
	}
}
