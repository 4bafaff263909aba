package redis

import (
	"context"

	"github.com/elevate-pim/elevate/core"
)

// ApplyResent commits c as Apply does (c must carry no audit events), then
// sends the very same script again, as go-redis does after a lost reply,
// and returns the outcome of each send.
func ApplyResent(ctx context.Context, s *Store, c core.Change) (first, again func() error, err error) {
	keys, args, err := s.encode(ctx, c)
	if err != nil {
		return nil, nil, err
	}
	send := func() error {
		raw, err := s.runWrite(ctx, applyScript, keys, args...)
		if err != nil {
			return err
		}
		return conflict(c, raw.([]any))
	}
	return send, send, nil
}
