package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/rs/zerolog"

	"github.com/elevate-pim/elevate/core"
)

const reloadBase = `admin_role: admin
principals:
  dana: {console: dana}
  alice: {console: alice}
roles:
  admin:
    activation: {max_duration: 1h}
    assignment: {allow_permanent: true}
  db:
    activation: {max_duration: 1h}
assignments:
  - {principal: dana, role: admin, type: active, permanent: true}
  - {principal: alice, role: db, type: eligible, permanent: true}
`

// reloadEnv is a serving replica on Redis whose config file the test
// rewrites, with SIGHUP wired as `elevate serve` wires it.
type reloadEnv struct {
	m    *Main
	file string
	log  *lockedBuffer
}

func newReloadEnv(t *testing.T) *reloadEnv {
	t.Helper()
	cfg := redisConfig(t, "http://127.0.0.1:9/", 0) // sets a fresh Redis prefix
	e := &reloadEnv{file: filepath.Join(filepath.Dir(cfg), "reload.yaml"), log: &lockedBuffer{}}
	writeFile(t, e.file, reloadBase)
	m, err := NewMain(context.Background(), e.file, zerolog.New(e.log).With().Timestamp().Logger(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	e.m = m
	serveMain(t, m)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	m.reloadOnHangup(ctx)
	return e
}

// hangup rewrites the config file, sends this process SIGHUP, and waits
// until the reload has been counted (taken or refused).
func (e *reloadEnv) hangup(t *testing.T, content, result string) {
	t.Helper()
	writeFile(t, e.file, content)
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(e.log.String(), result) {
		if time.Now().After(deadline) {
			t.Fatalf("no %q in the log after SIGHUP:\n%s", result, e.log.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (e *reloadEnv) ask(t *testing.T, who, text string) error {
	t.Helper()
	_, err := e.m.Bot.Handle(context.Background(), core.Caller{Principal: who, Source: "test"}, text)
	return err
}

// TestSIGHUPAddsRole: a role and an eligibility added to the file are
// usable after SIGHUP, without a restart.
func TestSIGHUPAddsRole(t *testing.T) {
	e := newReloadEnv(t)
	if err := e.ask(t, "alice", "ops for 30m checking the pager"); core.ErrorCode(err) != core.ENOTFOUND {
		t.Fatalf("ops before the reload: %v, want an unknown role", err)
	}
	// An assignment of a role the file lacks is refused...
	e.hangup(t, reloadBase+"  - {principal: alice, role: ops, type: eligible, permanent: true}\n", "config reload refused")
	// ...and taken once the role is there.
	withOps := strings.Replace(reloadBase, "assignments:\n", "  ops:\n    activation: {max_duration: 2h}\nassignments:\n", 1) +
		"  - {principal: alice, role: ops, type: eligible, permanent: true}\n"
	e.hangup(t, withOps, `"message":"config reloaded"`)
	if err := e.ask(t, "alice", "ops for 30m checking the pager"); err != nil {
		t.Fatalf("ops after the reload: %v", err)
	}
	w, err := e.m.Store.Window(context.Background(), "alice", "ops")
	if err != nil {
		t.Fatalf("no ops window for alice after activating the reloaded role: %v", err)
	}
	if got := w.End.Sub(w.Start); got != 30*time.Minute {
		t.Errorf("window %v, want 30m", got)
	}
}

// TestSIGHUPRefusesBrokenFile: a file with problems changes nothing; the
// refusal is logged with each problem as FILE:LINE.
func TestSIGHUPRefusesBrokenFile(t *testing.T) {
	e := newReloadEnv(t)
	broken := strings.Replace(reloadBase, "  db:\n    activation: {max_duration: 1h}\n",
		"  db:\n    activation: {max_duraton: 1h}\n  ops:\n    activation: {max_duration: 1h}\n", 1)
	e.hangup(t, broken, "config reload refused")
	log := e.log.String()
	if want := e.file + ":10:"; !strings.Contains(log, want) {
		t.Errorf("the refusal does not name %s (the misspelt key's line):\n%s", want, log)
	}
	if _, ok := e.m.Service.Directory().Roles["ops"]; ok {
		t.Error("a role of the refused file is in force")
	}
	if err := e.ask(t, "alice", "db for 30m fixing replication"); err != nil {
		t.Fatalf("db, from the running config, after a refused reload: %v", err)
	}
	if got := value(scrapeRegistry(t, e.m), "elevate_config_reloads_total", map[string]string{"result": "invalid"}); got != 1 {
		t.Errorf("invalid reloads counted: %v, want 1", got)
	}
}

// scrapeRegistry gathers m's metrics as scrape would parse them.
func scrapeRegistry(t *testing.T, m *Main) map[string]*dto.MetricFamily {
	t.Helper()
	fams, err := m.Metrics.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*dto.MetricFamily{}
	for _, f := range fams {
		out[f.GetName()] = f
	}
	return out
}
