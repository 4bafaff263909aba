package metrics

import (
	"context"

	"github.com/elevate-pim/elevate/core"
)

// requestOutcomes are the events that settle an activation request.
var requestOutcomes = map[core.EventKind]string{
	core.EventActivated: "activated",
	core.EventDenied:    "denied",
	core.EventCanceled:  "canceled",
	core.EventTimedOut:  "timed_out",
	core.EventFailed:    "failed",
}

// Events wraps next, an event sink, counting request outcomes, approval
// decisions and their latency, ended windows and alert transitions on the
// way. When next is also a core.Courier (it delivers the outbox), so is the
// result: a notice is counted on its first delivery attempt.
func (m *Metrics) Events(next core.EventSink) core.EventSink {
	sink := core.EventSinkFunc(func(ctx context.Context, e core.Event) {
		m.observeEvent(e)
		next.Publish(ctx, e)
	})
	if c, ok := next.(core.Courier); ok {
		return courier{EventSinkFunc: sink, m: m, next: c}
	}
	return sink
}

// courier counts the notices next delivers.
type courier struct {
	core.EventSinkFunc
	m    *Metrics
	next core.Courier
}

func (c courier) Deliver(ctx context.Context, n *core.Notice, save func(context.Context) error) error {
	if len(n.Sent) == 0 {
		c.m.observeEvent(n.Event)
	}
	return c.next.Deliver(ctx, n, save)
}

func (m *Metrics) observeEvent(e core.Event) {
	if e.Kind == core.EventAlert {
		kind := "unrecorded"
		if e.Alert != nil {
			kind = string(e.Alert.Kind)
		}
		m.alerts.WithLabelValues(kind, string(e.Severity)).Inc()
		return
	}
	r := e.Request
	if r == nil {
		return
	}
	if outcome, ok := requestOutcomes[e.Kind]; ok {
		m.requests.WithLabelValues(r.Role, outcome).Inc()
	}
	switch e.Kind {
	case core.EventApproved, core.EventDenied:
		decision := map[core.EventKind]string{core.EventApproved: "approved", core.EventDenied: "denied"}[e.Kind]
		m.decisions.WithLabelValues(r.Role, decision).Inc()
		if !r.CreatedAt.IsZero() && !e.Time.Before(r.CreatedAt) {
			m.decisionTime.WithLabelValues(r.Role).Observe(seconds(e.Time.Sub(r.CreatedAt)))
		}
	case core.EventExpired:
		m.windowsEnded.WithLabelValues(r.Role, "expired").Inc()
	case core.EventRevoked:
		m.windowsEnded.WithLabelValues(r.Role, "revoked").Inc()
	}
}
