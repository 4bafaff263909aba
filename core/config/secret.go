package config

import (
	"fmt"
	"os"
	"regexp"
	"strings"
)

// Secret is a credential that the config file names but never contains: a
// reference to an environment variable (X: ${ENV_NAME}) or to a file
// (X_file: /path/to/file). Any field of type Secret in the file format
// accepts both keys; giving both, or a plain literal, is a problem.
//
// The value is read only when Resolve is called, at start-up, so a config
// can be validated (in CI, say) without the secrets being present.
type Secret struct {
	Env  string // name of the environment variable holding the value
	File string // path of the file holding the value; relative paths are relative to the config file
}

// envRef is the only accepted form of an environment reference: the whole
// value is exactly one ${NAME}.
var envRef = regexp.MustCompile(`^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$`)

// IsSet reports whether the config names a source for the secret.
func (s Secret) IsSet() bool { return s.Env != "" || s.File != "" }

// Resolve reads the secret's value: the environment variable, or the file's
// contents with trailing newlines trimmed. An unset secret resolves to "".
// An unset or empty variable, or an unreadable or empty file, is an error;
// the error never contains the value.
func (s Secret) Resolve() (string, error) {
	switch {
	case s.Env != "":
		v, ok := os.LookupEnv(s.Env)
		if !ok {
			return "", fmt.Errorf("secret: environment variable %s is not set", s.Env)
		}
		if v == "" {
			return "", fmt.Errorf("secret: environment variable %s is empty", s.Env)
		}
		return v, nil
	case s.File != "":
		b, err := os.ReadFile(s.File)
		if err != nil {
			return "", fmt.Errorf("secret: %w", err)
		}
		v := strings.TrimRight(string(b), "\r\n")
		if v == "" {
			return "", fmt.Errorf("secret: file %s is empty", s.File)
		}
		return v, nil
	}
	return "", nil
}

// String names where the secret comes from, never its value, so a Secret
// is safe to log.
func (s Secret) String() string {
	switch {
	case s.Env != "":
		return "${" + s.Env + "}"
	case s.File != "":
		return "file:" + s.File
	}
	return "(unset)"
}

// parseEnvRef returns NAME for a value that is exactly ${NAME}.
func parseEnvRef(v string) (string, bool) {
	m := envRef.FindStringSubmatch(v)
	if m == nil {
		return "", false
	}
	return m[1], true
}
