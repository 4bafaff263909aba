package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/elevate-pim/elevate/core"
	"github.com/elevate-pim/elevate/core/config"
)

// Version is set at build time with -ldflags "-X main.Version=...".
var Version = "dev"

const usage = `elevate: just-in-time privileged access for Slack, Discord and the console

Usage:
  elevate serve   --config FILE          run the bot: scheduler, chat adapters, /healthz
  elevate console --config FILE          chat with the bot locally: lines "NAME: COMMAND" on stdin
  elevate config validate [--store] FILE check a config file; problems as FILE:LINE: field: message
                                         (--store: also the lines of assignments an access review removed)
  elevate review export --config FILE --id ID [--format csv|json]
  elevate review apply --config FILE --id ID --as PRINCIPAL
                                         carry out the removals a closed review left (auto_apply: false),
                                         as PRINCIPAL (an admin or one of the review's owners)
  elevate audit export --config FILE [--since T] [--until T] [--principal P] [--role R] [--format csv|json]
  elevate audit verify --config FILE | --file EXPORT.json [--anchors FILE] [--anchor SEQ:HASH ...]
                                         (anchors: audit heads kept outside the store; a rewritten log fails)
  elevate breakglass --config FILE --principal P --role R --reason TEXT [--for DUR]
                                         break-glass activation without chat: same audit, alert and window
  elevate check [--config FILE] --principal P --role R   does P hold R now? (without --config: ELEVATE_REDIS_URL)
  elevate version

Environment:
  ELEVATE_REDIS_URL        redis://[:password@]host:port/db (rediss:// for TLS; ?master_name=M&addr=H:P
                           for Sentinel); without it state is in memory only
  ELEVATE_REDIS_MODE       cluster: the URL's host and addr= parameters are Redis Cluster nodes
  ELEVATE_ENCRYPTION_KEY   base64 of 32 bytes; seals TOTP secrets at rest
  ELEVATE_HTTP_ADDR        serve's listen address (default :8080)
  ELEVATE_REDIS_PREFIX     key prefix (hash tag) in Redis (default elevate)
  ELEVATE_DISCORD_LEASE_TTL  Discord gateway mode: one replica at a time holds the gateway session under
                           a lease this long (default 15s), the longest a dead holder delays the takeover
  ELEVATE_JOB_LEASE        how long a replica owns a claimed job before another may run it (default 30s)
  ELEVATE_SHUTDOWN_GRACE   how long serve may take to shut down in order on SIGTERM (default 20s)
  ELEVATE_LOG_LEVEL        debug, info (default), warn, error
`

// exit codes
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// Run runs the command line args and returns the process exit code.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, usage)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	var err error
	if args[0] != "version" && args[0] != "config" {
		if err := checkEnv(); err != nil {
			fmt.Fprintf(stderr, "elevate: %v\n", err)
			return exitUsage
		}
	}
	switch args[0] {
	case "version":
		fmt.Fprintln(stdout, "elevate", Version)
		return exitOK
	case "check":
		return cmdCheck(ctx, args[1:], stdout, stderr)
	case "serve":
		err = cmdServe(ctx, args[1:], stderr)
	case "console":
		err = cmdConsole(ctx, args[1:], stdin, stdout, stderr)
	case "config":
		if len(args) < 2 || args[1] != "validate" {
			err = usageError("config: the only subcommand is `config validate FILE`")
		} else {
			err = cmdValidate(ctx, args[2:], stdout, stderr)
		}
	case "review":
		switch {
		case len(args) > 1 && args[1] == "export":
			err = cmdReviewExport(ctx, args[2:], stdout, stderr)
		case len(args) > 1 && args[1] == "apply":
			err = cmdReviewApply(ctx, args[2:], stdout, stderr)
		default:
			err = usageError("review: use `review export --config FILE --id ID` or `review apply --config FILE --id ID --as PRINCIPAL`")
		}
	case "breakglass":
		err = cmdBreakGlass(ctx, args[1:], stdout, stderr)
	case "audit":
		switch {
		case len(args) > 1 && args[1] == "export":
			err = cmdAuditExport(ctx, args[2:], stdout, stderr)
		case len(args) > 1 && args[1] == "verify":
			err = cmdAuditVerify(ctx, args[2:], stdout, stderr)
		default:
			err = usageError("audit: use `audit export` or `audit verify`")
		}
	default:
		err = usageError(fmt.Sprintf("unknown command %q", args[0]))
	}
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	case isUsage(err):
		fmt.Fprintf(stderr, "elevate: %v\n\n%s", err, usage)
		return exitUsage
	case errors.Is(err, errReported):
		return exitFailure
	}
	fmt.Fprintf(stderr, "elevate: %v\n", err)
	return exitFailure
}

// errReported is returned when the command already printed what went wrong.
var errReported = errors.New("reported")

type usageErr string

func (e usageErr) Error() string { return string(e) }

func usageError(msg string) error { return usageErr(msg) }

func isUsage(err error) bool {
	var u usageErr
	return errors.As(err, &u)
}

// newFlags returns a flag set that reports errors instead of exiting.
func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// parseFlags parses args, mapping flag errors to usage errors.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError(err.Error())
	}
	return nil
}

// cmdValidate checks a config file and prints every problem.
func cmdValidate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("config validate", stderr)
	withStore := fs.Bool("store", false, "also read the configured store and name the lines of assignments an access review removed")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError("config validate: give exactly one FILE")
	}
	cfg, err := config.Load(fs.Arg(0), time.Now())
	var probs config.Problems
	if errors.As(err, &probs) {
		for _, p := range probs {
			fmt.Fprintln(stderr, p.String())
		}
		fmt.Fprintf(stderr, "%s: %d problem(s)\n", fs.Arg(0), len(probs))
		return errReported
	}
	if err != nil {
		return err
	}
	if *withStore {
		if err := checkRemoved(ctx, cfg, stderr); err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, "%s: ok (%d principals, %d roles, %d assignments, %d reviews)\n", fs.Arg(0), len(cfg.Directory.Principals), len(cfg.Directory.Roles), len(cfg.Assignments), len(cfg.Reviews))
	return nil
}

// checkRemoved reports the file's assignments that an access review removed:
// start-up keeps them removed, and the line should go.
func checkRemoved(ctx context.Context, cfg *config.Config, stderr io.Writer) error {
	st, closeStore, err := openStoreForCLI(ctx, cfg.File, stderr)
	if err != nil {
		return err
	}
	defer closeStore()
	removals, err := st.ReviewRemovals(ctx)
	if err != nil {
		return err
	}
	n := 0
	for _, r := range removals {
		if _, declared := cfg.AssignmentLines[r.Key]; declared {
			fmt.Fprintln(stderr, removedLine(cfg, r)+": delete this line")
			n++
		}
	}
	if n > 0 {
		fmt.Fprintf(stderr, "%s: %d assignment(s) removed by access reviews are still declared\n", cfg.File, n)
		return errReported
	}
	return nil
}

// cmdReviewExport writes one review's report: a row per item.
func cmdReviewExport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("review export", stderr)
	cfgPath := fs.String("config", "", "config file")
	id := fs.String("id", "", "the review id (rv-...)")
	format := fs.String("format", "csv", "csv or json")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *id == "" {
		return usageError("review export: --id is required")
	}
	if *format != "csv" && *format != "json" {
		return usageError("--format must be csv or json")
	}
	st, closeStore, err := openStoreForCLI(ctx, *cfgPath, stderr)
	if err != nil {
		return err
	}
	defer closeStore()
	rv, items, err := core.ReviewReport(ctx, st, *id)
	if err != nil {
		return fmt.Errorf("review %s: %s", *id, core.ErrorMessage(err))
	}
	return core.WriteReviewReport(stdout, *format, rv, items)
}

// cmdReviewApply carries out the removals a closed review left to an
// admin, as the principal --as names (core authorizes them as in chat).
func cmdReviewApply(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("review apply", stderr)
	cfgPath := fs.String("config", os.Getenv("ELEVATE_CONFIG"), "config file")
	id := fs.String("id", "", "the review id (rv-...)")
	as := fs.String("as", "", "the principal applying them: an admin or one of the review's owners")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *id == "" || *as == "" {
		return usageError("review apply: give --id and --as")
	}
	m, err := NewMain(ctx, *cfgPath, newLogger(stderr), Options{})
	if err != nil {
		return err
	}
	defer m.Close()
	r, err := m.Service.Reviews().Apply(ctx, core.Caller{Principal: *as, Source: "cli"}, *id)
	if err != nil {
		return fmt.Errorf("review apply %s: %s", *id, core.ErrorMessage(err))
	}
	if r.Applied == 0 {
		fmt.Fprintf(stdout, "review apply: nothing left to apply in %s (%s)\n", *id, core.Totals(r.Counts))
		return nil
	}
	fmt.Fprintf(stdout, "review apply: %d decided removal(s) of %s carried out (%s)\n", r.Applied, *id, core.Totals(r.Counts))
	return nil
}

// parseTimeFlag reads a --since/--until value: RFC3339 or YYYY-MM-DD (UTC).
func parseTimeFlag(name, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t, nil
		}
	}
	return time.Time{}, usageError(fmt.Sprintf("--%s %q: use RFC3339 or YYYY-MM-DD", name, v))
}

// cmdAuditExport writes the filtered audit trail of the configured store.
func cmdAuditExport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("audit export", stderr)
	cfgPath := fs.String("config", "", "config file")
	since := fs.String("since", "", "first time to include (RFC3339 or YYYY-MM-DD)")
	until := fs.String("until", "", "first time to exclude (RFC3339 or YYYY-MM-DD)")
	principal := fs.String("principal", "", "only events about this principal")
	role := fs.String("role", "", "only events about this role")
	format := fs.String("format", "csv", "csv or json")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *format != "csv" && *format != "json" {
		return usageError("--format must be csv or json")
	}
	f := core.AuditFilter{Principal: *principal, Role: *role}
	var err error
	if f.Since, err = parseTimeFlag("since", *since); err != nil {
		return err
	}
	if f.Until, err = parseTimeFlag("until", *until); err != nil {
		return err
	}
	st, closeStore, err := openAuditForCLI(ctx, *cfgPath, stderr)
	if err != nil {
		return err
	}
	defer closeStore()
	aw, err := core.NewAuditWriter(stdout, *format)
	if err != nil {
		return err
	}
	if _, err := core.ScanAudit(ctx, st, 0, func(e *core.AuditEvent) error {
		if !f.Match(*e) {
			return nil
		}
		return aw.Write(e)
	}); err != nil {
		return err
	}
	return aw.Close()
}

// cmdAuditVerify checks the audit hash chain of the store or of an exported
// JSON file, streaming, and against anchors kept outside the store if given.
func cmdAuditVerify(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("audit verify", stderr)
	cfgPath := fs.String("config", "", "config file (verify the configured store)")
	file := fs.String("file", "", "an `audit export --format json` file to verify")
	anchorFile := fs.String("anchors", "", "a file of anchors (SEQ:HASH per line, as audit.anchor_file keeps them)")
	var anchors anchorFlags
	fs.Var(&anchors, "anchor", "an anchor SEQ:HASH, as posted to the alerts channel (repeatable)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *anchorFile != "" {
		f, err := os.Open(*anchorFile)
		if err != nil {
			return err
		}
		read, err := core.ReadAnchors(f, *anchorFile)
		f.Close()
		if err != nil {
			return usageError(core.ErrorMessage(err))
		}
		anchors = append(read, anchors...)
	}
	var (
		v     core.AuditVerifier
		check = core.NewAnchorCheck(anchors)
		head  core.AuditHead
		err   error
	)
	add := func(e *core.AuditEvent) error {
		if err := v.Add(e); err != nil {
			return err
		}
		return check.Event(*e)
	}
	switch {
	case *file != "":
		head, err = scanExport(*file, add)
	case *cfgPath != "":
		st, closeStore, oerr := openAuditForCLI(ctx, *cfgPath, stderr)
		if oerr != nil {
			return oerr
		}
		defer closeStore()
		head, err = core.ScanAudit(ctx, st, 0, add)
		if err == nil {
			err = verifyArchiveCopies(ctx, st)
		}
	default:
		return usageError("audit verify: give --config FILE or --file EXPORT.json")
	}
	if err == nil {
		err = v.End(head)
	}
	if err == nil {
		err = check.Done()
	}
	if err != nil {
		fmt.Fprintf(stderr, "audit verify: FAILED: %v\n", err)
		return errReported
	}
	if len(anchors) > 0 {
		fmt.Fprintf(stdout, "audit verify: ok, %d events, chain intact, %d anchors match\n", v.Count(), len(anchors))
		return nil
	}
	fmt.Fprintf(stdout, "audit verify: ok, %d events, chain intact\n", v.Count())
	return nil
}

// scanExport calls add with each event of an `audit export --format json`
// file, in order, and returns its last event as the head: an export
// carries no separate head.
func scanExport(path string, add func(*core.AuditEvent) error) (core.AuditHead, error) {
	f, err := os.Open(path)
	if err != nil {
		return core.AuditHead{}, err
	}
	defer f.Close()
	var last core.AuditHead
	err = core.ScanAuditJSON(f, func(e *core.AuditEvent) error {
		last = core.AuditHead{Seq: e.Seq, Hash: e.Hash}
		return add(e)
	})
	if err != nil {
		return last, fmt.Errorf("%s: %w", path, err)
	}
	return last, nil
}

// anchorFlags collects repeated --anchor SEQ:HASH flags.
type anchorFlags []core.Anchor

func (a *anchorFlags) String() string { return fmt.Sprint(len(*a), " anchors") }

func (a *anchorFlags) Set(v string) error {
	anchor, err := core.ParseAnchor(v, "--anchor")
	if err != nil {
		return errors.New(core.ErrorMessage(err))
	}
	*a = append(*a, anchor)
	return nil
}
