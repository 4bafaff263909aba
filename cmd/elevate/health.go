package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// Readiness settings.
const (
	// pingTimeout bounds a readiness probe's store round trip, so that a
	// replica that lost its store says so well within 5 seconds.
	pingTimeout = time.Second
	// schedulerStale is how long the scheduler may go without a pass
	// before the replica stops counting as ready (a pass waits for its
	// slowest job, bounded by the job lease).
	schedulerStale = 30 * time.Second
)

// healthz answers while the process is alive.
func healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain")
	_, _ = io.WriteString(w, "ok\n")
}

// readyz answers 200 when the replica can do its work (its store answers,
// every chat platform is connected or has its endpoint mounted, the
// scheduler runs) and 503 otherwise, listing each check.
func (m *Main) readyz(w http.ResponseWriter, r *http.Request) {
	var b strings.Builder
	ready := true
	for _, c := range m.readiness(r.Context()) {
		if c.err != nil {
			ready = false
			fmt.Fprintf(&b, "%s: %v\n", c.name, c.err)
		} else {
			fmt.Fprintf(&b, "%s: ok\n", c.name)
		}
	}
	w.Header().Set("Content-Type", "text/plain")
	if !ready {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	_, _ = io.WriteString(w, b.String())
}

// check is one readiness condition and why it fails (nil: it holds).
type check struct {
	name string
	err  error
}

// readiness checks the store, each chat platform and the scheduler.
func (m *Main) readiness(ctx context.Context) []check {
	var store error
	if m.ping != nil {
		ctx, cancel := context.WithTimeout(ctx, pingTimeout)
		if err := m.ping(ctx); err != nil {
			store = errors.New("unreachable")
			m.Log.Warn().Err(err).Msg("readiness: store unreachable")
		}
		cancel()
	}
	checks := []check{{"store", store}}
	for _, c := range m.chats {
		checks = append(checks, check{c.platform, c.Ready()})
	}
	var sched error
	switch last := m.Metrics.LastSchedulerRun(); {
	case last.IsZero():
		sched = errors.New("not started")
	case time.Since(last) > schedulerStale:
		sched = fmt.Errorf("no pass for %s", time.Since(last).Round(time.Second))
	}
	return append(checks, check{"scheduler", sched})
}
