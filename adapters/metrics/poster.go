package metrics

import (
	"context"
	"errors"

	"github.com/elevate-pim/elevate/bot"
	"github.com/elevate-pim/elevate/notifications"
)

// Poster wraps a platform's poster, counting posts and failed posts and
// updates by platform. The wrapper is an Updater when p is one.
func (m *Metrics) Poster(platform string, p notifications.Poster) notifications.Poster {
	w := poster{p, platform, m}
	if u, ok := p.(notifications.Updater); ok {
		return updatingPoster{w, u}
	}
	return w
}

// OutboxDepth exports depth, the number of notifications waiting to be
// posted, as a gauge read at each scrape.
func (m *Metrics) OutboxDepth(depth func() int) {
	m.reg.MustRegister(newGaugeFunc("notification_outbox_depth", "Notifications waiting to be posted.", func() float64 { return float64(depth()) }))
}

type poster struct {
	next     notifications.Poster
	platform string
	m        *Metrics
}

func (p poster) Post(ctx context.Context, d notifications.Destination, msg bot.Message) (notifications.Ref, error) {
	ref, err := p.next.Post(ctx, d, msg)
	if errors.Is(err, notifications.ErrNoRoute) {
		return ref, err // this platform cannot reach d: neither a post nor a failure
	}
	p.m.posts.WithLabelValues(p.platform).Inc()
	if err != nil {
		p.m.postFailures.WithLabelValues(p.platform).Inc()
	}
	return ref, err
}

type updatingPoster struct {
	poster
	u notifications.Updater
}

func (p updatingPoster) Update(ctx context.Context, ref notifications.Ref, msg bot.Message) error {
	err := p.u.Update(ctx, ref, msg)
	if err != nil && !errors.Is(err, notifications.ErrNoRoute) {
		p.m.postFailures.WithLabelValues(p.platform).Inc()
	}
	return err
}
