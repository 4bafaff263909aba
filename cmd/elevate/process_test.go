package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

var (
	binOnce sync.Once
	binPath string
	binErr  error
	binOut  []byte
)

// elevateBinary builds the elevate binary once per test run, for tests that
// run `elevate serve` as real processes and SIGKILL them.
func elevateBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary")
	}
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "elevate-bin-")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "elevate")
		binOut, binErr = exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
	})
	if binErr != nil {
		t.Fatalf("build: %v\n%s", binErr, binOut)
	}
	return binPath
}

// startServe starts `elevate serve --config cfg` with the test's environment
// plus env, killed when the test ends.
func startServe(t *testing.T, cfg string, env ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(elevateBinary(t), "serve", "--config", cfg)
	cmd.Env = append(append(os.Environ(), "ELEVATE_HTTP_ADDR=127.0.0.1:0"), env...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	return cmd
}
