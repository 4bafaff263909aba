package core

import (
	"context"
	"fmt"
)

// sweepBatch is how many requests one step of a request sweep reads.
const sweepBatch = 256

// requestSweep is a one-time job that visits every stored request, batch
// by batch, saving its scan position as the job's progress so that a
// replica taking the job over goes on from there, and then marks itself
// done in a store cursor so that it is never scheduled again. Its visit
// must be idempotent: replicas starting together, or a takeover, may
// repeat a batch.
type requestSweep struct {
	kind   JobKind
	layout string // the store cursor that is 1 once the sweep has run to its end
	visit  func(ctx context.Context, s *Service, reqs []*Request) error
}

// schedule schedules the sweep unless it has run to its end before.
func (w requestSweep) schedule(ctx context.Context, s *Service) error {
	done, err := s.store.Cursor(ctx, w.layout)
	if err != nil || done > 0 {
		return err
	}
	return s.store.Apply(ctx, Change{Schedule: []Job{{Kind: w.kind, Ref: "requests", Due: s.clock.Now()}}})
}

// run visits every stored request from the job's saved position on.
func (w requestSweep) run(ctx context.Context, s *Service, h *Held) error {
	after := string(h.Job().Payload)
	for {
		reqs, next, err := s.store.ScanRequests(ctx, after, sweepBatch)
		if err == nil {
			err = w.visit(ctx, s, reqs)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", w.kind, err)
		}
		if next == "" {
			break
		}
		if err := h.Save(ctx, []byte(next)); err != nil {
			return err
		}
		after = next
	}
	_, err := s.store.AdvanceCursor(ctx, w.layout, 0, 1)
	return err
}
