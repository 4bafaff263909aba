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
// window. roles returns the configured role names (it may change on
// reload). A role whose windows cannot be read is left out of that scrape
// (the store's error counter shows why).
func (m *Metrics) ActiveWindows(s core.Store, roles func() []string) {
	m.reg.MustRegister(&windowsCollector{store: s, roles: roles, desc: prometheus.NewDesc(
		prometheus.BuildFQName(namespace, "", "active_windows"), "Live activation windows, by role.", []string{"role"}, nil)})
}

type windowsCollector struct {
	store core.Store
	roles func() []string
	desc  *prometheus.Desc
}

func (c *windowsCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *windowsCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	for _, role := range c.roles() {
		ws, err := c.store.Windows(ctx, role)
		if err != nil {
			continue
		}
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(len(ws)), role)
	}
}

// newGaugeFunc is a gauge of this namespace whose value f gives at each scrape.
func newGaugeFunc(name, help string, f func() float64) prometheus.GaugeFunc {
	return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: namespace, Name: name, Help: help}, f)
}
