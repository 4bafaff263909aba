package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/elevate-pim/elevate/core"
)

// cmdBreakGlass activates a break-glass role from the command line, for
// when the chat platform is down: the same audit, High alert and window as
// in chat, and the role's targets granted. The alert is posted (and the
// admins told) by the next `serve` that runs, from the store.
func cmdBreakGlass(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("breakglass", stderr)
	cfgPath := fs.String("config", os.Getenv("ELEVATE_CONFIG"), "config file")
	principal := fs.String("principal", "", "who breaks the glass (a principal id on the role's break_glass_principals)")
	role := fs.String("role", "", "the break-glass role")
	reason := fs.String("reason", "", "the emergency, as the justification")
	dur := fs.String("for", "", "how long (default: the role's default duration)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *principal == "" || *role == "" || *reason == "" {
		return usageError("breakglass: give --principal, --role and --reason")
	}
	var d = core.ActivationInput{Role: *role, Justification: *reason}
	if *dur != "" {
		v, err := core.ParseDuration(*dur)
		if err != nil {
			return usageError("breakglass --for: " + core.ErrorMessage(err))
		}
		d.Duration = v
	}
	m, err := NewMain(ctx, *cfgPath, newLogger(stderr), Options{})
	if err != nil {
		return err
	}
	defer m.Close()
	r, err := m.Config.Directory.Role(*role)
	if err != nil {
		return fmt.Errorf("breakglass: %s", core.ErrorMessage(err))
	}
	if !r.BreakGlass {
		return fmt.Errorf("breakglass: %s is not a break-glass role; request it in chat", r.Name)
	}
	req, err := m.Service.RequestActivation(ctx, core.Caller{Principal: *principal, Source: "cli"}, d)
	if err != nil {
		return fmt.Errorf("breakglass: %s", core.ErrorMessage(err))
	}
	if req.State != core.StateActive {
		return fmt.Errorf("breakglass: request %s is %s: %s", req.ID, req.State, req.Reason)
	}
	fmt.Fprintf(stdout, "breakglass: %s holds %s until %s (request %s); a High alert is open for the admins: %s\n",
		req.Principal, req.Role, req.EndsAt.UTC().Format("2006-01-02 15:04 MST"), req.ID, core.AlertID(core.AlertBreakGlassUsed, req.ID))
	return nil
}
