package core

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
)

// Notice is an outbox item: an event that must reach people, written as a
// notify job by the same Change as the transition that caused it, so that
// it is delivered (at least once) even when the replica that committed it dies.
type Notice struct {
	Event Event `json:"event"`
	// Sent holds the keys of the posts already made, saved after each, so
	// that a delivery taken over after a crash does not make them again.
	Sent []string `json:"sent,omitempty"`
}

// Courier delivers notices; an EventSink that also implements Courier
// (notifications.Notifier) gets notices through Deliver, any other sink
// through Publish.
type Courier interface {
	// Deliver makes the posts of n whose keys are not in n.Sent. After each
	// post it adds the post's key to n.Sent and calls save, which records
	// the progress (and fails when another replica has taken the notice over).
	// An error leaves the notice to be delivered again later.
	Deliver(ctx context.Context, n *Notice, save func(context.Context) error) error
}

// Announce adds events to ch as outbox notices, held by this replica so
// that Commit delivers them at once; another replica delivers any that are
// left when this one dies. Alerts, reviews and admin actions announce their
// events through it, in the Change that records what they announce.
func (s *Service) Announce(ch *Change, events ...Event) error {
	now := s.clock.Now()
	for _, e := range events {
		b, err := json.Marshal(Notice{Event: e})
		if err != nil {
			return fmt.Errorf("encode notice %s: %w", e.Kind, err)
		}
		ch.Schedule = append(ch.Schedule, s.held(Job{Kind: JobNotify, Ref: newNoticeID(), Payload: b}, now))
		// The alert checks the event may trip are due with it, durably.
		ch.Schedule = append(ch.Schedule, s.alerts.checks(e, ch.Schedule...)...)
	}
	return nil
}

// Notify commits events as notices in a Change of their own and delivers them.
func (s *Service) Notify(ctx context.Context, events ...Event) error {
	var ch Change
	if err := s.Announce(&ch, events...); err != nil {
		return err
	}
	return s.Commit(ctx, ch)
}

// Commit applies ch, then runs at once the jobs ch scheduled held by this
// replica: grants and extends first, then notices, then revocations, the
// order in which people should hear of them. A job that fails is left to
// its lease, so Commit reports only whether ch was applied.
func (s *Service) Commit(ctx context.Context, ch Change) error {
	_, err := s.commit(ctx, ch)
	return err
}

// commit is Commit that also reports whether a grant it ran was refused.
func (s *Service) commit(ctx context.Context, ch Change) (refused bool, err error) {
	if err := s.store.Apply(ctx, ch); err != nil {
		return false, err
	}
	return s.follow(ctx, ch), nil
}

// follow runs the held jobs of a committed Change, detached from the
// caller's cancellation: the work outlives the request that caused it. It
// reports whether a grant was refused.
func (s *Service) follow(ctx context.Context, ch Change) (refused bool) {
	ctx = context.WithoutCancel(ctx)
	var notices []Job
	for _, pass := range []func(Job) bool{
		func(j Job) bool { return j.Kind != JobNotify && j.Kind != JobRevoke },
		func(j Job) bool { return j.Kind == JobNotify },
		func(j Job) bool { return j.Kind == JobRevoke },
	} {
		for _, j := range ch.Schedule {
			if j.Lease.IsZero() || !pass(j) {
				continue
			}
			if j.Kind == JobNotify && s.background.Load() {
				notices = append(notices, j)
				continue
			}
			h := &Held{s: s, job: j, req: requestIn(ch, j.Ref)}
			s.runLogged(ctx, h)
			refused = refused || h.refused
		}
	}
	if len(notices) > 0 {
		ctx := withoutStoreWait(ctx)
		s.bg.Add(1)
		go func() {
			defer s.bg.Done()
			for _, j := range notices {
				s.runLogged(ctx, &Held{s: s, job: j})
			}
		}()
	}
	return refused
}

// requestIn returns the request ch writes with id, if any.
func requestIn(ch Change, id string) *Request {
	for _, w := range ch.Requests {
		if w.Request.ID == id {
			return w.Request
		}
	}
	return nil
}

// runLogged runs a held job and reports a failure to the service's error log.
func (s *Service) runLogged(ctx context.Context, h *Held) {
	if err := s.run(ctx, h); err != nil && s.onErr != nil {
		s.onErr(err)
	}
}

// deliver runs a notify job: the notice goes to the courier, with its
// progress saved in the job.
func (s *Service) deliver(ctx context.Context, h *Held) error {
	var n Notice
	if err := json.Unmarshal(h.Job().Payload, &n); err != nil {
		return nil // unreadable: retrying cannot help
	}
	c, ok := s.events.(Courier)
	if !ok {
		s.events.Publish(ctx, n.Event)
		return nil
	}
	err := c.Deliver(ctx, &n, func(ctx context.Context) error {
		b, err := json.Marshal(n)
		if err != nil {
			return err
		}
		return h.Save(ctx, b)
	})
	if err == nil || ErrorCode(err) == ECONFLICT {
		return err // done, or another replica has it now
	}
	attempt, rerr := s.retry(ctx, h, err)
	if rerr == nil && attempt == noticeAlertAttempt && n.Event.Kind != EventAlert {
		s.alert(ctx, SeverityHigh, fmt.Sprintf("A %s notice could not be delivered after %d attempts: %v. Retrying.", n.Event.Kind, attempt, err))
	}
	return rerr
}

// noticeAlertAttempt is the failed delivery of a notice after which an alert is raised.
const noticeAlertAttempt = 5

// newNoticeID names a notice: random, so that every notice is its own job.
func newNoticeID() string {
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err))
	}
	return hex.EncodeToString(b[:])
}
