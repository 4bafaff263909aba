package metrics

import (
	"context"
	"time"

	"github.com/elevate-pim/elevate/core"
)

// Targets wraps ts so that every grant and revoke is timed and its
// failures counted, by target name (from the config, never a principal).
func (m *Metrics) Targets(ts core.Targets) core.Targets { return targets{ts, m} }

type targets struct {
	next core.Targets
	m    *Metrics
}

func (t targets) For(role string) []core.Target {
	inner := t.next.For(role)
	if len(inner) == 0 {
		return inner
	}
	out := make([]core.Target, len(inner))
	for i, x := range inner {
		out[i] = target{x, t.m}
	}
	return out
}

type target struct {
	core.Target
	m *Metrics
}

// Unwrap returns the timed target, so that core finds its optional
// capabilities (a MemberTarget's listing).
func (t target) Unwrap() core.Target { return t.Target }

func (t target) Grant(ctx context.Context, g core.Grant) error {
	return t.observe("grant", func() error { return t.Target.Grant(ctx, g) })
}

func (t target) Revoke(ctx context.Context, g core.Grant) error {
	return t.observe("revoke", func() error { return t.Target.Revoke(ctx, g) })
}

// Extend passes an extension on to a wrapped Extender; a target that is
// not one has nothing to do.
func (t target) Extend(ctx context.Context, g core.Grant) error {
	x, ok := t.Target.(core.Extender)
	if !ok {
		return nil
	}
	return t.observe("extend", func() error { return x.Extend(ctx, g) })
}

func (t target) observe(action string, call func() error) error {
	start := time.Now()
	err := call()
	name := t.Name()
	t.m.targetTime.WithLabelValues(name, action).Observe(seconds(time.Since(start)))
	if err != nil {
		t.m.targetFailures.WithLabelValues(name, action).Inc()
	}
	return err
}
