package metrics

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/elevate-pim/elevate/core"
)

// scrapeTimeout bounds the store reads of one scrape.
const scrapeTimeout = 2 * time.Second

// ActiveWindows exports the live windows of each role as a gauge, read
// from the store at each scrape: the store, not this replica, knows every
// window. roles returns the configured role names (they change on reload).
// A role whose windows cannot be read is left out of that scrape (the
// store's error counter shows why).
func (m *Metrics) ActiveWindows(s core.Store, roles func() []string) {
	m.scrapeGauge("active_windows", "Live activation windows, by role.", []string{"role"},
		func(ctx context.Context, emit func(float64, ...string)) {
			for _, role := range roles() {
				if ws, err := s.Windows(ctx, role); err == nil {
					emit(float64(len(ws)), role)
				}
			}
		})
}

// OpenAlerts exports the open security alerts by kind and severity, read
// from the store at each scrape.
func (m *Metrics) OpenAlerts(s core.Store) {
	m.scrapeGauge("alerts_open", "Open security alerts, by kind and severity.", []string{"kind", "severity"},
		func(ctx context.Context, emit func(float64, ...string)) {
			alerts, err := s.Alerts(ctx)
			if err != nil {
				return
			}
			type key struct{ kind, severity string }
			open := map[key]int{}
			for _, a := range alerts {
				if a.Status == core.AlertOpen {
					open[key{string(a.Kind), string(a.Severity)}]++
				}
			}
			for k, n := range open {
				emit(float64(n), k.kind, k.severity)
			}
		})
}

// scrapeGauge registers a gauge whose samples collect reads at each scrape.
func (m *Metrics) scrapeGauge(name, help string, labels []string, collect func(ctx context.Context, emit func(float64, ...string))) {
	m.reg.MustRegister(&scraped{collect: collect,
		desc: prometheus.NewDesc(prometheus.BuildFQName(namespace, "", name), help, labels, nil)})
}

type scraped struct {
	desc    *prometheus.Desc
	collect func(ctx context.Context, emit func(float64, ...string))
}

func (c *scraped) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *scraped) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	c.collect(ctx, func(v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, v, labels...)
	})
}

// newGaugeFunc is a gauge of this namespace whose value f gives at each scrape.
func newGaugeFunc(name, help string, f func() float64) prometheus.GaugeFunc {
	return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: namespace, Name: name, Help: help}, f)
}
