package metrics

import (
	"time"

	"github.com/elevate-pim/elevate/core"
)

var _ core.Observer = (*Metrics)(nil)

// JobRan implements core.Observer: jobs by kind and result, and the lag
// from due to run.
func (m *Metrics) JobRan(kind core.JobKind, lag time.Duration, err error) {
	result := "ok"
	if err != nil {
		result = "error"
	}
	m.jobs.WithLabelValues(string(kind), result).Inc()
	m.lag.WithLabelValues(string(kind)).Observe(seconds(max(lag, 0)))
}

// SchedulerTick implements core.Observer: it records when the scheduler
// last ran (wall time: it is what readiness and alerting compare with).
func (m *Metrics) SchedulerTick(error) { m.lastTick.Store(time.Now().UnixNano()) }
