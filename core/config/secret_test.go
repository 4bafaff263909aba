package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/elevate-pim/elevate/core/config"
)

// mustWrite writes a file that the test needs.
func mustWrite(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestSecretResolve(t *testing.T) {
	dir := t.TempDir()
	mustWrite(t, filepath.Join(dir, "key"), "s3cret-from-file\n")
	mustWrite(t, filepath.Join(dir, "crlf"), "s3cret\r\n")
	mustWrite(t, filepath.Join(dir, "empty"), "\n")
	t.Setenv("ELEVATE_TEST_SECRET", "s3cret-from-env")
	t.Setenv("ELEVATE_TEST_EMPTY", "")

	tests := []struct {
		name    string
		secret  config.Secret
		want    string
		wantErr string
	}{
		{"env", config.Secret{Env: "ELEVATE_TEST_SECRET"}, "s3cret-from-env", ""},
		{"env unset", config.Secret{Env: "ELEVATE_TEST_UNSET_VAR"}, "", "ELEVATE_TEST_UNSET_VAR is not set"},
		{"env empty", config.Secret{Env: "ELEVATE_TEST_EMPTY"}, "", "ELEVATE_TEST_EMPTY is empty"},
		{"file, trailing newline trimmed", config.Secret{File: filepath.Join(dir, "key")}, "s3cret-from-file", ""},
		{"file, CRLF trimmed", config.Secret{File: filepath.Join(dir, "crlf")}, "s3cret", ""},
		{"file missing", config.Secret{File: filepath.Join(dir, "nope")}, "", "no such file"},
		{"file empty", config.Secret{File: filepath.Join(dir, "empty")}, "", "is empty"},
		{"unset", config.Secret{}, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.secret.Resolve()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Resolve() = %q, %v; want error %q", got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("Resolve() = %q, %v; want %q", got, err, tt.want)
			}
			if s := tt.secret.String(); tt.want != "" && strings.Contains(s, tt.want) {
				t.Errorf("String() = %q reveals the value", s)
			}
		})
	}
	if (config.Secret{}).IsSet() || !(config.Secret{Env: "X"}).IsSet() || !(config.Secret{File: "x"}).IsSet() {
		t.Error("IsSet is wrong")
	}
}

// TestSecretsInConfig reads both forms end to end: the file names the
// secret, Resolve reads it lazily, and validation never needs the value.
func TestSecretsInConfig(t *testing.T) {
	dir := t.TempDir()
	mustWrite(t, filepath.Join(dir, "redis-url"), "redis://secret@db:6379/0\n")
	path := filepath.Join(dir, "elevate.yaml")
	mustWrite(t, path, base+"mfa:\n  encryption_key: ${ELEVATE_TEST_KEY}\nstore:\n  redis_url_file: redis-url\n")

	// Validation does not read the environment: the variable is unset here.
	t.Setenv("ELEVATE_TEST_KEY", "") // restored after the test
	os.Unsetenv("ELEVATE_TEST_KEY")
	cfg := mustLoad(t, path)
	if _, err := cfg.MFA.EncryptionKey.Resolve(); err == nil {
		t.Fatal("Resolve with the variable unset succeeded")
	}

	t.Setenv("ELEVATE_TEST_KEY", "0123456789abcdef")
	if got, err := cfg.MFA.EncryptionKey.Resolve(); err != nil || got != "0123456789abcdef" {
		t.Errorf("env secret = %q, %v", got, err)
	}
	if got, err := cfg.Store.RedisURL.Resolve(); err != nil || got != "redis://secret@db:6379/0" {
		t.Errorf("file secret (relative to the config file) = %q, %v", got, err)
	}
}

func TestSecretPlainLiteralRejected(t *testing.T) {
	for _, v := range []string{"hunter2", "$ELEVATE_KEY", "${ELEVATE_KEY", "${A}${B}", "x${A}", "${1A}", "${}"} {
		ps := mustProblems(t, base+"store:\n  redis_url: '"+v+"'\n")
		if len(ps) != 1 || ps[0].Field != "store.redis_url" || !strings.Contains(ps[0].Msg, "secrets must be ${ENV} references or redis_url_file paths") {
			t.Errorf("redis_url: %q: got %v", v, ps)
		}
		if strings.Contains(ps.Error(), v) {
			t.Errorf("the problem echoes the literal %q: %v", v, ps)
		}
	}
}
