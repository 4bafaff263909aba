package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/elevate-pim/elevate/core"
)

// exit codes of `elevate check`
const (
	checkHolds   = 0
	checkNo      = 1
	checkUnknown = 3 // the store could not be asked: treat as no
)

// cmdCheck answers "does P hold R right now?" from the store alone — the
// window's TTL key or a direct assignment — so it is right even when no bot
// replica is running.
func cmdCheck(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("check", stderr)
	cfgPath := fs.String("config", "", "config file")
	principal := fs.String("principal", "", "principal id")
	role := fs.String("role", "", "role name")
	if err := parseFlags(fs, args); err != nil {
		fmt.Fprintf(stderr, "elevate check: %v\n", err)
		return exitUsage
	}
	if *principal == "" || *role == "" {
		fmt.Fprintln(stderr, "elevate check: --principal and --role are required")
		return exitUsage
	}
	st, closeStore, err := openStoreForCLI(ctx, *cfgPath, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "elevate check: %v\n", err)
		return checkUnknown
	}
	defer closeStore()
	holds, until, via, err := core.HoldsNow(ctx, st, *principal, *role, time.Now())
	if err != nil {
		fmt.Fprintf(stderr, "elevate check: %v\n", err)
		return checkUnknown
	}
	if !holds {
		fmt.Fprintf(stdout, "%s does not hold %s\n", *principal, *role)
		return checkNo
	}
	if until.IsZero() {
		fmt.Fprintf(stdout, "%s holds %s (%s, permanent)\n", *principal, *role, via)
		return checkHolds
	}
	fmt.Fprintf(stdout, "%s holds %s (%s) until %s: %s left\n", *principal, *role, via, until.UTC().Format(time.RFC3339), core.FormatDuration(time.Until(until)))
	return checkHolds
}
