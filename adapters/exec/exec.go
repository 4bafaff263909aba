// Package exec is a target that grants and revokes a role by running a
// configured program with fixed arguments, without a shell. The facts of
// the activation are passed as environment variables (ELEVATE_ACTION,
// ELEVATE_PRINCIPAL, ELEVATE_ROLE, ...); the program exits 0 on success.
// It gets a minimal environment, never the bot's own, which holds tokens.
package exec

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	osexec "os/exec"
	"strings"
	"time"

	"github.com/elevate-pim/elevate/core"
)

// maxStderr bounds the stderr kept for the error message.
const maxStderr = 2048

// Program is a core.Target that runs a command.
type Program struct {
	name    string
	command string
	args    []string
	timeout time.Duration
}

var (
	_ core.Target   = (*Program)(nil)
	_ core.Extender = (*Program)(nil)
)

// New returns a target running command with args, each run bounded by timeout.
func New(command string, args []string, timeout time.Duration) *Program {
	return &Program{command: command, args: args, timeout: timeout}
}

// Name identifies the target in chat, logs and errors: its configured
// name, or "exec" and the command.
func (p *Program) Name() string {
	if p.name != "" {
		return p.name
	}
	return "exec " + p.command
}

// WithName names the program target.
func (p *Program) WithName(name string) *Program { p.name = name; return p }

// Grant runs the program with ELEVATE_ACTION=grant.
func (p *Program) Grant(ctx context.Context, g core.Grant) error { return p.run(ctx, "grant", g) }

// Revoke runs the program with ELEVATE_ACTION=revoke.
func (p *Program) Revoke(ctx context.Context, g core.Grant) error { return p.run(ctx, "revoke", g) }

// Extend runs the program with ELEVATE_ACTION=extend and
// ELEVATE_WINDOW_END set to the new end.
func (p *Program) Extend(ctx context.Context, g core.Grant) error { return p.run(ctx, "extend", g) }

// Env returns the environment a run gets for action and g.
func Env(action string, g core.Grant) []string {
	env := []string{
		"PATH=/usr/local/bin:/usr/bin:/bin",
		"ELEVATE_ACTION=" + action,
		"ELEVATE_PRINCIPAL=" + g.Principal.ID,
		"ELEVATE_PRINCIPAL_NAME=" + g.Principal.Name,
		"ELEVATE_PRINCIPAL_EMAIL=" + g.Principal.Email,
		"ELEVATE_ROLE=" + g.Role,
		"ELEVATE_REQUEST_ID=" + g.RequestID,
		"ELEVATE_WINDOW_START=" + g.Start.UTC().Format(time.RFC3339),
		"ELEVATE_WINDOW_END=" + g.End.UTC().Format(time.RFC3339),
		"ELEVATE_JUSTIFICATION=" + g.Justification,
		"ELEVATE_DELIVERY=" + g.Delivery, // the same on every retry of this action
	}
	for platform, id := range g.Principal.IDs {
		env = append(env, "ELEVATE_PRINCIPAL_"+strings.ToUpper(platform)+"="+id)
	}
	return env
}

func (p *Program) run(ctx context.Context, action string, g core.Grant) error {
	return p.exec(ctx, action, g, nil)
}

// exec runs the program for action, its standard output going to stdout
// (discarded when nil).
func (p *Program) exec(ctx context.Context, action string, g core.Grant, stdout io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	cmd := osexec.CommandContext(ctx, p.command, p.args...)
	cmd.Env = Env(action, g)
	cmd.Stdout = stdout
	var stderr bytes.Buffer
	cmd.Stderr = &limited{w: &stderr, n: maxStderr}
	if err := cmd.Run(); err != nil {
		if ctx.Err() == context.DeadlineExceeded {
			return &core.TargetError{Summary: "timed out", Err: fmt.Errorf("%s %s: timed out after %s", p.command, action, p.timeout)}
		}
		summary := "could not be run"
		if exit, ok := errors.AsType[*osexec.ExitError](err); ok {
			summary = fmt.Sprintf("exited %d", exit.ExitCode())
		}
		return &core.TargetError{Summary: summary, Err: fmt.Errorf("%s %s: %w: %s", p.command, action, err, strings.TrimSpace(stderr.String()))}
	}
	return nil
}

// limited writes at most n bytes to w and discards the rest.
type limited struct {
	w *bytes.Buffer
	n int
}

func (l *limited) Write(p []byte) (int, error) {
	if room := l.n - l.w.Len(); room > 0 {
		l.w.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}
