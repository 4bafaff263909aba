package notifications

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/elevate-pim/elevate/bot"
	"github.com/elevate-pim/elevate/core"
)

// Retry settings for failed posts.
const (
	maxAttempts  = 5
	firstBackoff = 200 * time.Millisecond
	queueSize    = 4096
)

// Config routes events that no role routing covers.
type Config struct {
	Channel       string // activation posts and assignment changes
	AlertsChannel string // alerts; default Channel
}

// Notifier is a core.EventSink that posts events. Without Start it posts
// synchronously (the console relies on that for its ordering); after Start
// a worker posts in the background, in order, so core never waits on a platform.
type Notifier struct {
	bot     *bot.Bot
	dir     *core.Directory
	cfg     Config
	posters []Poster
	log     zerolog.Logger

	mu    sync.Mutex
	refs  map[string][]Ref // request id → copies of its approval request
	queue chan queued
	wg    sync.WaitGroup
}

type queued struct {
	ctx context.Context
	e   core.Event
}

var _ core.EventSink = (*Notifier)(nil)

// New returns a Notifier that renders with b and posts through posters.
func New(b *bot.Bot, cfg Config, log zerolog.Logger, posters ...Poster) *Notifier {
	if cfg.AlertsChannel == "" {
		cfg.AlertsChannel = cfg.Channel
	}
	return &Notifier{bot: b, dir: b.Service().Directory(), cfg: cfg, posters: posters, log: log, refs: map[string][]Ref{}}
}

// AddPoster adds a platform to post to.
func (n *Notifier) AddPoster(p Poster) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.posters = append(n.posters, p)
}

// Start posts in the background until ctx ends; Wait drains what is queued.
func (n *Notifier) Start(ctx context.Context) {
	n.queue = make(chan queued, queueSize)
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		for {
			select {
			case q := <-n.queue:
				n.deliver(q.ctx, q.e)
			case <-ctx.Done():
				for {
					select {
					case q := <-n.queue:
						n.deliver(context.WithoutCancel(q.ctx), q.e)
					default:
						return
					}
				}
			}
		}
	}()
}

// Wait blocks until the background worker has stopped (after Start's ctx ended).
func (n *Notifier) Wait() { n.wg.Wait() }

// Publish implements core.EventSink.
func (n *Notifier) Publish(ctx context.Context, e core.Event) {
	if n.queue == nil {
		n.deliver(ctx, e)
		return
	}
	// A post must outlive the request that caused it.
	n.queue <- queued{ctx: context.WithoutCancel(ctx), e: e}
}

// deliver routes one event to its posts.
func (n *Notifier) deliver(ctx context.Context, e core.Event) {
	for _, p := range n.route(e) {
		if p.update {
			n.updateCopies(ctx, e)
			continue
		}
		refs := n.post(ctx, p.to, n.bot.Notice(e, p.audience))
		if p.keep && e.Request != nil {
			n.mu.Lock()
			n.refs[e.Request.ID] = append(n.refs[e.Request.ID], refs...)
			n.mu.Unlock()
		}
	}
}

// post sends m to d on every platform that can reach d, retrying failures
// with backoff and logging what still fails: posts are never dropped silently.
func (n *Notifier) post(ctx context.Context, d Destination, m bot.Message) []Ref {
	n.mu.Lock()
	posters := append([]Poster(nil), n.posters...)
	n.mu.Unlock()
	var refs []Ref
	for _, p := range posters {
		var ref Ref
		err := retry(ctx, func() error {
			var err error
			ref, err = p.Post(ctx, d, m)
			return err
		})
		switch {
		case errors.Is(err, ErrNoRoute):
		case err != nil:
			n.log.Error().Err(err).Str("destination", d.String()).Str("request_id", m.RequestID).Msg("post failed after retries")
		default:
			refs = append(refs, ref)
		}
	}
	return refs
}

// updateCopies replaces every copy of a request's approval message with its outcome.
func (n *Notifier) updateCopies(ctx context.Context, e core.Event) {
	n.mu.Lock()
	refs := n.refs[e.Request.ID]
	if e.Request.State != core.PendingApproval {
		delete(n.refs, e.Request.ID)
	}
	posters := append([]Poster(nil), n.posters...)
	n.mu.Unlock()
	m := n.bot.Notice(e, ForCopies(e))
	for _, ref := range refs {
		for _, p := range posters {
			u, ok := p.(Updater)
			if !ok {
				continue
			}
			err := retry(ctx, func() error { return u.Update(ctx, ref, m) })
			if errors.Is(err, ErrNoRoute) {
				continue
			}
			if err != nil {
				n.log.Error().Err(err).Str("destination", ref.Destination.String()).Str("request_id", e.Request.ID).Msg("update failed after retries")
			}
		}
	}
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
