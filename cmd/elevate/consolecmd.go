package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/elevate-pim/elevate/adapters/console"
	"github.com/elevate-pim/elevate/core"
)

// cmdConsole runs a local chat session on stdin and stdout.
func cmdConsole(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("console", stderr)
	cfgPath := fs.String("config", "", "config file")
	auditOut := fs.String("audit-out", "", "at exit, write the audit trail as JSON to this file")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	clock := &console.SkipClock{}
	m, err := NewMain(ctx, *cfgPath, newLogger(stderr), Options{Clock: clock})
	if err != nil {
		return err
	}
	defer m.Close()
	names := m.Config.ChannelIDs(core.PlatformConsole)
	var skip func(d time.Duration)
	if !m.persistent {
		skip = clock.Skip
	}
	c := console.New(m.Bot, stdout, console.WithChannels(names), console.WithSkip(skip))
	m.Notifier.AddPoster(c)
	if f, ok := stdin.(*os.File); ok && isTerminal(f) {
		fmt.Fprintf(stdout, "elevate console on %s. Type `NAME: COMMAND`, e.g. `%s: help`. Ctrl-D quits.\n", *cfgPath, firstPrincipal(m))
	}
	if err := c.Run(ctx, stdin); err != nil {
		return err
	}
	if *auditOut != "" {
		return writeAudit(ctx, m, *auditOut)
	}
	return nil
}

// writeAudit saves the audit trail as a JSON export.
func writeAudit(ctx context.Context, m *Main, path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	aw, err := core.NewAuditWriter(f, "json")
	if err != nil {
		return err
	}
	if _, err := core.ScanAudit(ctx, m.auditTrail(), 0, aw.Write); err != nil {
		return err
	}
	if err := aw.Close(); err != nil {
		return err
	}
	return f.Close()
}

// firstPrincipal names a principal to suggest in the greeting.
func firstPrincipal(m *Main) string {
	best := ""
	for id, p := range m.Config.Directory.Principals {
		name := p.IDs[core.PlatformConsole]
		if name == "" {
			name = id
		}
		if best == "" || name < best {
			best = name
		}
	}
	return best
}
