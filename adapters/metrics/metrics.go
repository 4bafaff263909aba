// Package metrics exposes elevate's Prometheus metrics. core knows nothing
// of Prometheus: this package instruments it from outside, by wrapping the
// interfaces core calls (Store, Targets, EventSink), the notifier's
// Posters and the chat endpoints, and by implementing core.Observer for
// the scheduler. No metric has a principal as a label: roles, targets,
// platforms and job kinds come from the config and the code, so the
// number of series stays bounded.
package metrics

import (
	"net/http"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// namespace prefixes every metric name.
const namespace = "elevate"

// Metrics holds elevate's collectors and the registry they are served from.
type Metrics struct {
	reg *prometheus.Registry

	requests       *prometheus.CounterVec
	windowsEnded   *prometheus.CounterVec
	decisions      *prometheus.CounterVec
	decisionTime   *prometheus.HistogramVec
	alerts         *prometheus.CounterVec
	jobs           *prometheus.CounterVec
	lag            *prometheus.HistogramVec
	lastTick       atomic.Int64 // unix nanoseconds of the scheduler's last pass
	targetTime     *prometheus.HistogramVec
	targetFailures *prometheus.CounterVec
	posts          *prometheus.CounterVec
	postFailures   *prometheus.CounterVec
	acks           *prometheus.CounterVec
	ackTime        *prometheus.HistogramVec
	storeTime      *prometheus.HistogramVec
	storeErrors    *prometheus.CounterVec
	reloads        *prometheus.CounterVec
}

// New returns Metrics with every elevate metric registered, beside the Go
// runtime and process collectors.
func New() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.requests = m.counter("requests_total", "Activation requests that reached an outcome, by role and outcome (activated, denied, canceled, timed_out, failed).", "role", "outcome")
	m.windowsEnded = m.counter("windows_ended_total", "Active windows that ended, by role and reason (expired, revoked).", "role", "reason")
	m.decisions = m.counter("approval_decisions_total", "Approval decisions, by role and decision (approved, denied).", "role", "decision")
	m.decisionTime = m.histogram("approval_decision_seconds", "Time from a request to its approval decision, by role.",
		[]float64{10, 30, 60, 300, 900, 1800, 3600, 4 * 3600, 12 * 3600, 24 * 3600}, "role")
	m.alerts = m.counter("alert_events_total", "Security alert transitions published (opened, updated, resolved, dismissed), by kind and severity.", "kind", "severity")
	m.jobs = m.counter("scheduler_jobs_total", "Scheduled jobs run, by kind and result (ok, error).", "kind", "result")
	m.lag = m.histogram("scheduler_lag_seconds", "Delay from a job's due time to its run, by kind.",
		[]float64{.01, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300}, "kind")
	m.reg.MustRegister(newGaugeFunc("scheduler_last_run_timestamp_seconds", "When the scheduler last looked for due jobs (Unix seconds).",
		func() float64 { return float64(m.lastTick.Load()) / 1e9 }))
	m.targetTime = m.histogram("target_call_seconds", "Duration of grant and revoke calls at targets, by target and action.",
		prometheus.DefBuckets, "target", "action")
	m.targetFailures = m.counter("target_failures_total", "Failed grant and revoke calls at targets, by target and action.", "target", "action")
	m.posts = m.counter("notification_posts_total", "Notification posts attempted, by platform.", "platform")
	m.postFailures = m.counter("notification_post_failures_total", "Notification posts (and updates) that failed, by platform.", "platform")
	m.acks = m.counter("chat_acks_total", "Chat deliveries answered on the HTTP endpoints, by platform and HTTP status.", "platform", "status")
	m.ackTime = m.histogram("chat_ack_seconds", "Time to acknowledge a chat delivery, by platform.",
		[]float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5}, "platform")
	m.storeTime = m.histogram("store_operation_seconds", "Store round trips, by operation.",
		[]float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, 1}, "op")
	m.storeErrors = m.counter("store_errors_total", "Store operations that failed (not counting not-found and version conflicts), by operation.", "op")
	m.reloads = m.counter("config_reloads_total", "Config reloads, by result (ok, invalid).", "result")
	return m
}

func (m *Metrics) counter(name, help string, labels ...string) *prometheus.CounterVec {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: name, Help: help}, labels)
	m.reg.MustRegister(c)
	return c
}

func (m *Metrics) histogram(name, help string, buckets []float64, labels ...string) *prometheus.HistogramVec {
	h := prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: namespace, Name: name, Help: help, Buckets: buckets}, labels)
	m.reg.MustRegister(h)
	return h
}

// Registry is where the metrics are registered; tests gather from it.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the metrics in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Reloaded counts a config reload; ok says whether the new file was taken.
func (m *Metrics) Reloaded(ok bool) {
	m.reloads.WithLabelValues(map[bool]string{true: "ok", false: "invalid"}[ok]).Inc()
}

// LastSchedulerRun is when the scheduler last looked for due jobs (zero: never).
func (m *Metrics) LastSchedulerRun() time.Time {
	if n := m.lastTick.Load(); n != 0 {
		return time.Unix(0, n)
	}
	return time.Time{}
}

// seconds is d in seconds, for observations.
func seconds(d time.Duration) float64 { return d.Seconds() }
