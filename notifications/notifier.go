package notifications

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/elevate-pim/elevate/bot"
	"github.com/elevate-pim/elevate/core"
)

// Retry settings for a post within one delivery; a notice whose posts still
// fail is delivered again later by core's outbox, with backoff.
const (
	maxAttempts  = 3
	firstBackoff = 200 * time.Millisecond
)

// Config routes events that no role routing covers.
type Config struct {
	Channel       string // activation posts and assignment changes
	AlertsChannel string // alerts; default Channel
}

// CopyStore keeps the copies of approval messages beside their requests;
// core.Store satisfies it. Copies in the store, not in a process, let
// whichever replica records a decision update every copy.
type CopyStore interface {
	Request(ctx context.Context, id string) (*core.Request, error)
	PutCopy(ctx context.Context, request string, c core.MessageCopy) error
	Copies(ctx context.Context, request string) ([]core.MessageCopy, error)
	DropCopies(ctx context.Context, request string) error
}

// Notifier delivers core's outbox notices as posts (it is a core.Courier),
// and posts events published to it directly (a core.EventSink).
type Notifier struct {
	bot    *bot.Bot
	cfg    Config
	copies CopyStore
	log    zerolog.Logger

	mu      sync.Mutex
	posters []Poster
	pending atomic.Int64 // deliveries under way
}

var (
	_ core.EventSink = (*Notifier)(nil)
	_ core.Courier   = (*Notifier)(nil)
)

// New returns a Notifier that renders with b, keeps approval message copies
// in copies (the service's store), and posts through posters.
func New(b *bot.Bot, copies CopyStore, cfg Config, log zerolog.Logger, posters ...Poster) *Notifier {
	if cfg.AlertsChannel == "" {
		cfg.AlertsChannel = cfg.Channel
	}
	return &Notifier{bot: b, cfg: cfg, copies: copies, posters: posters, log: log}
}

// AddPoster adds a platform to post to.
func (n *Notifier) AddPoster(p Poster) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.posters = append(n.posters, p)
}

// Publish implements core.EventSink: it delivers e at once, logging what fails.
func (n *Notifier) Publish(ctx context.Context, e core.Event) {
	if err := n.Deliver(ctx, &core.Notice{Event: e}, func(context.Context) error { return nil }); err != nil {
		n.log.Error().Err(err).Str("event", string(e.Kind)).Msg("notice not fully delivered")
	}
}

// Deliver implements core.Courier: it makes every post of the notice whose
// key (destination and platform) is not in nt.Sent, saving the progress
// after each, and updates the copies of the request's approval message.
func (n *Notifier) Deliver(ctx context.Context, nt *core.Notice, save func(context.Context) error) error {
	n.pending.Add(1)
	defer n.pending.Add(-1)
	e := nt.Event
	if e.Kind == core.EventAlert && e.Alert != nil {
		return n.deliverAlert(ctx, nt, save)
	}
	var errs []error
	for _, d := range n.route(e) {
		if d.update {
			if err := n.updateCopies(ctx, e); err != nil {
				errs = append(errs, err)
			}
			continue
		}
		m := n.bot.Notice(e, d.audience)
		for i, p := range n.snapshot() {
			key := d.to.String() + " on " + platformOf(p, i)
			if slices.Contains(nt.Sent, key) {
				continue
			}
			var ref Ref
			err := retry(ctx, func() error {
				var err error
				ref, err = p.Post(ctx, d.to, m)
				return err
			})
			if errors.Is(err, ErrNoRoute) {
				continue
			}
			if err != nil {
				errs = append(errs, fmt.Errorf("post to %s: %w", d.to, err))
				continue
			}
			if ref.Platform == "" {
				ref.Platform = platformOf(p, i)
			}
			nt.Sent = append(nt.Sent, key)
			if err := save(ctx); err != nil {
				return fmt.Errorf("record post to %s: %w", d.to, err)
			}
			if d.keep && e.Request != nil {
				if err := n.keep(ctx, e.Request, ref); err != nil {
					errs = append(errs, err)
				}
			}
		}
	}
	return errors.Join(errs...)
}

// snapshot returns the posters.
func (n *Notifier) snapshot() []Poster {
	n.mu.Lock()
	defer n.mu.Unlock()
	return slices.Clone(n.posters)
}

// platformOf names a poster's platform, for the keys of posts.
func platformOf(p Poster, i int) string {
	if pl, ok := p.(interface{ Platform() string }); ok {
		return pl.Platform()
	}
	return fmt.Sprintf("poster %d", i)
}

// keep records a posted copy of req's approval message. When the request
// has moved on while the copy was being posted (a decision on another
// replica), the copy is brought up to date at once.
func (n *Notifier) keep(ctx context.Context, req *core.Request, ref Ref) error {
	c := core.MessageCopy{Platform: ref.Platform, Channel: ref.Destination.Channel, Principal: ref.Destination.Principal, ID: ref.ID, Shown: req.Version}
	if err := n.copies.PutCopy(ctx, req.ID, c); err != nil {
		return fmt.Errorf("record copy of %s: %w", req.ID, err)
	}
	cur, err := n.copies.Request(ctx, req.ID)
	if err != nil || cur.Version <= req.Version {
		return err
	}
	return n.updateCopies(ctx, eventOf(cur))
}

// updateCopies brings every copy of a request's approval message that shows
// an older version of the request up to e, once per copy: each copy records
// the version it shows. Copies of a final request are then dropped.
func (n *Notifier) updateCopies(ctx context.Context, e core.Event) error {
	r := e.Request
	copies, err := n.copies.Copies(ctx, r.ID)
	if err != nil {
		return fmt.Errorf("copies of %s: %w", r.ID, err)
	}
	m := n.bot.Notice(e, ForCopies(e))
	posters := n.snapshot()
	var errs []error
	for _, c := range copies {
		if c.Shown >= r.Version {
			continue
		}
		ref := Ref{Destination: Destination{Channel: c.Channel, Principal: c.Principal}, Platform: c.Platform, ID: c.ID}
		for _, p := range posters {
			u, ok := p.(Updater)
			if !ok {
				continue
			}
			err := retry(ctx, func() error { return u.Update(ctx, ref, m) })
			if errors.Is(err, ErrNoRoute) {
				continue
			}
			if err == nil {
				c.Shown = r.Version
				err = n.copies.PutCopy(ctx, r.ID, c)
			}
			if err != nil {
				errs = append(errs, fmt.Errorf("update copy %s of %s: %w", c.Key(), r.ID, err))
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if r.State != core.PendingApproval && r.State != core.PendingMFA {
		return n.copies.DropCopies(ctx, r.ID)
	}
	return nil
}

// eventOf is the event a request's copies show for its current state.
func eventOf(r *core.Request) core.Event {
	kind := core.EventApproved
	switch r.State {
	case core.PendingApproval:
		kind = core.EventApprovalVote
		if len(r.Approvals) == 0 {
			kind = core.EventRequested
		}
	case core.Denied:
		kind = core.EventDenied
	case core.Canceled:
		kind = core.EventCanceled
	case core.TimedOut:
		kind = core.EventTimedOut
	case core.Failed:
		if r.DecidedBy == "" {
			kind = core.EventFailed
		}
	}
	actor := r.DecidedBy
	if n := len(r.Approvals); kind == core.EventApprovalVote && n > 0 {
		actor = r.Approvals[n-1].Approver
	}
	return core.Event{Kind: kind, Severity: core.SeverityInfo, Actor: actor, Request: r}
}

// ForCopies is the audience an updated approval message is rendered for:
// approvers while votes are still open (keeping the buttons), the channel
// view (no buttons) once decided.
func ForCopies(e core.Event) bot.Audience {
	if e.Request != nil && e.Request.State == core.PendingApproval {
		return bot.ForApprover
	}
	return bot.ForChannel
}

// retry runs f until it succeeds, fails with ErrNoRoute, or maxAttempts pass.
func retry(ctx context.Context, f func() error) error {
	backoff := firstBackoff
	var err error
	for range maxAttempts {
		if err = f(); err == nil || errors.Is(err, ErrNoRoute) {
			return err
		}
		select {
		case <-ctx.Done():
			return errors.Join(err, ctx.Err())
		case <-time.After(backoff):
		}
		backoff *= 2
	}
	return err
}

// dir is the directory in force: a config reload swaps it.
func (n *Notifier) dir() *core.Directory { return n.bot.Service().Directory() }
