package siem

import (
	"context"
	"time"

	"github.com/rs/zerolog"

	"github.com/elevate-pim/elevate/core"
)

// Forwarder defaults.
const (
	DefaultBatch    = 500
	DefaultPoll     = 200 * time.Millisecond
	DefaultLeaseTTL = 15 * time.Second
	maxBackoff      = 30 * time.Second
)

// Forwarder streams the audit trail to one sink.
type Forwarder struct {
	Sink    Sink
	Source  Source
	Cursors Cursors
	Lease   Leaser
	Log     zerolog.Logger
	// Batch is the most events per send (default 500); Poll how often the
	// trail is looked at when nothing is new (default 200 ms); LeaseTTL how
	// long a dead forwarder keeps others from taking over (default 15 s).
	Batch    int
	Poll     time.Duration
	LeaseTTL time.Duration
}

// key names the forwarder's cursor and lease.
func (f *Forwarder) key() string { return "siem:" + f.Sink.Name() }

// Run forwards until ctx ends: it waits for the lease, then sends each
// batch after the cursor until the sink takes it (retrying with backoff),
// then moves the cursor. It releases the lease when ctx ends.
func (f *Forwarder) Run(ctx context.Context) {
	batch, poll, ttl := f.Batch, f.Poll, f.LeaseTTL
	if batch <= 0 {
		batch = DefaultBatch
	}
	if poll <= 0 {
		poll = DefaultPoll
	}
	if ttl <= 0 {
		ttl = DefaultLeaseTTL
	}
	log := f.Log.With().Str("sink", f.Sink.Name()).Logger()
	for ctx.Err() == nil {
		tok, ok, err := f.Lease.AcquireLease(ctx, f.key(), ttl)
		if err != nil && ctx.Err() == nil {
			log.Warn().Err(err).Msg("siem: cannot ask for the forwarding lease; retrying")
		}
		if !ok {
			sleep(ctx, ttl/3)
			continue
		}
		log.Info().Int64("fencing_token", tok).Msg("siem: forwarding the audit trail")
		f.forward(ctx, log, tok, batch, poll, ttl)
		rel, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = f.Lease.ReleaseLease(rel, f.key(), tok)
		cancel()
	}
}

// forward sends batches while token holds the lease.
func (f *Forwarder) forward(ctx context.Context, log zerolog.Logger, token int64, batch int, poll, ttl time.Duration) {
	renewed := time.Now()
	wait := poll
	for ctx.Err() == nil {
		if time.Since(renewed) > ttl/3 {
			ok, err := f.Lease.RenewLease(ctx, f.key(), token, ttl)
			if err != nil || !ok {
				if err == nil || time.Since(renewed) > ttl*2/3 {
					log.Warn().Err(err).Msg("siem: forwarding lease lost")
					return
				}
			} else {
				renewed = time.Now()
			}
		}
		pos, err := f.Cursors.Cursor(ctx, f.key())
		var events []core.AuditEvent
		if err == nil {
			events, err = f.Source.AuditRange(ctx, pos, batch)
		}
		if err == nil && len(events) > 0 {
			if err = f.Sink.Send(ctx, events); err == nil {
				_, err = f.Cursors.AdvanceCursor(ctx, f.key(), pos, events[len(events)-1].Seq)
			}
		}
		switch {
		case err != nil && ctx.Err() == nil:
			log.Warn().Err(err).Int64("after", pos).Dur("retry_in", wait).Msg("siem: forwarding failed; retrying")
			sleep(ctx, wait)
			wait = min(2*wait, maxBackoff)
		case err == nil && len(events) < batch:
			wait = poll
			sleep(ctx, poll)
		default:
			wait = poll
		}
	}
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
