package core

import (
	"context"
	"crypto/sha256"
	"fmt"
	"time"
)

// The inbox holds the chat commands and clicks an adapter has acknowledged
// and not yet answered, as jobs of the platform's inbox kind: acknowledging
// only after the item is in the store (one write) means that an
// acknowledged command is always answered, by this replica at once or,
// when it dies, by whichever replica claims the item after its lease.

// InboxJob is the job kind of the inbox items of platform's adapter.
func InboxJob(platform string) JobKind { return JobKind("inbox_" + platform) }

// Accept durably queues an acknowledged delivery of platform (payload: what
// the adapter needs to run and answer it), held by this replica: run it
// with RunHeld, or Discard it. Call it before acknowledging the delivery.
// Errors: the store's, such as EUNAVAILABLE (then acknowledge nothing and
// tell the user that nothing was changed).
func (s *Service) Accept(ctx context.Context, platform string, payload []byte) (Job, error) {
	return s.Enqueue(ctx, InboxJob(platform), newNoticeID(), payload)
}

// Discard removes an inbox item this replica holds without running it: a
// repeated delivery of one already run.
func (s *Service) Discard(ctx context.Context, j Job) error { return s.store.CompleteJob(ctx, j) }

// HandleInbox makes run answer platform's inbox items, on whichever replica
// claims them. An item older than lifetime can no longer be answered (the
// platform's reply URL or token has expired): it is dropped with a log
// line and an alert instead of being run late or retried forever.
func (s *Service) HandleInbox(platform string, lifetime time.Duration, run JobHandler) {
	s.HandleJobs(InboxJob(platform), func(ctx context.Context, h *Held) error {
		if age := s.clock.Now().Sub(h.Job().Due); age > lifetime {
			err := fmt.Errorf("%s inbox item %s dropped: acknowledged %v ago, its answer can no longer reach the user", platform, h.Job().Ref, age.Round(time.Second))
			if s.onErr != nil {
				s.onErr(err)
			}
			s.alert(ctx, SeverityMedium, fmt.Sprintf("A %s command acknowledged at %s could not be answered within %s; it was dropped without running. Its user saw no answer.",
				platform, s.when(h.Job().Due), FormatDuration(lifetime)))
			return nil
		}
		return run(ctx, h)
	})
}

// deliveryRequestID is the id of the request a delivery (an inbox item)
// opens: run again after a crash, the delivery finds its request instead
// of opening a second one.
func deliveryRequestID(delivery string) string {
	const alphabet = "abcdefghijkmnpqrstuvwxyz23456789"
	sum := sha256.Sum256([]byte("request:" + delivery))
	b := make([]byte, 6)
	for i := range b {
		b[i] = alphabet[int(sum[i])%len(alphabet)]
	}
	return "r-" + string(b)
}
