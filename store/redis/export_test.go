package redis

import (
	"context"

	"github.com/elevate-pim/elevate/core"
)

// SHA256Source exposes the Lua SHA-256 to the external tests.
var SHA256Source = sha256Source

// ChainMisses is how many batches of s met an audit head that another
// writer had moved.
func ChainMisses(s *Store) int64 { return s.chain.misses.Load() }

// ChainInScript makes every batch's events chained by the script (the
// fallback after misses) until the test ends.
func ChainInScript(t interface{ Cleanup(func()) }) {
	was := chainAttempts
	chainAttempts = 0
	t.Cleanup(func() { chainAttempts = was })
}

// ApplyTogether queues every Change of cs before any is committed, so
// that they go to Redis in one batch, and returns each one's outcome.
func ApplyTogether(ctx context.Context, s *Store, cs []core.Change) []error {
	c := s.chain
	qs := make([]*queued, len(cs))
	c.mu.Lock()
	for i, ch := range cs {
		e, err := s.encode(ctx, ch)
		if err != nil {
			panic(err)
		}
		qs[i] = &queued{ctx: ctx, e: e, done: make(chan error, 1)}
		c.queue = append(c.queue, qs[i])
	}
	if !c.flushing {
		c.flushing = true
		go c.flush(s)
	}
	c.mu.Unlock()
	errs := make([]error, len(cs))
	for i, q := range qs {
		errs[i] = <-q.done
	}
	return errs
}

// ApplyResent commits c as Apply does (c must carry no audit events), then
// sends the very same script again, as go-redis does after a lost reply,
// and returns the outcome of each send.
func ApplyResent(ctx context.Context, s *Store, c core.Change) (first, again func() error, err error) {
	e, err := s.encode(ctx, c)
	if err != nil {
		return nil, nil, err
	}
	send := func() error {
		res, _, err := s.applyBatch(ctx, []*encoded{e})
		if err != nil {
			return err
		}
		return conflict(c, res[0])
	}
	return send, send, nil
}
