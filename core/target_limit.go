package core

import (
	"context"
	"sync"
)

// targetConcurrency is how many calls one replica makes to one target at
// once. Thousands of windows ending in the same second are revoked by up
// to jobWorkers jobs at a time; each target sees at most this many of
// them at once, so that a webhook or a program is not flooded, and one
// slow target does not take every worker from the others.
const targetConcurrency = 16

// targetLimits bounds the concurrent calls to each target, by name.
type targetLimits struct {
	mu    sync.Mutex
	slots map[string]chan struct{}
}

// call runs f, a call to target t, once fewer than targetConcurrency calls
// to t are running; it gives up when ctx ends first.
func (l *targetLimits) call(ctx context.Context, t Target, f func() error) error {
	l.mu.Lock()
	if l.slots == nil {
		l.slots = map[string]chan struct{}{}
	}
	slots, ok := l.slots[t.Name()]
	if !ok {
		slots = make(chan struct{}, targetConcurrency)
		l.slots[t.Name()] = slots
	}
	l.mu.Unlock()
	select {
	case slots <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-slots }()
	return f()
}
