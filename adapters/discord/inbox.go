package discord

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime/debug"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/elevate-pim/elevate/bot"
	"github.com/elevate-pim/elevate/core"
)

// answerLifetime is how long an interaction's token can carry its answer:
// an inbox item older than this is dropped (with an alert) instead of run.
const answerLifetime = 15 * time.Minute

// accept puts i in the store's inbox, held by this replica.
func (a *Adapter) accept(ctx context.Context, i *discordgo.Interaction) (core.Job, error) {
	payload, err := json.Marshal(i)
	if err != nil {
		return core.Job{}, fmt.Errorf("encode interaction: %w", err)
	}
	return a.svc.Accept(ctx, core.PlatformDiscord, payload)
}

// runInbox runs an inbox item. On the replica that accepted it, the
// waiting request sends the first response (the answer, or a deferral this
// follows up); on a replica that took the item over, the interaction was
// deferred and the answer is its follow-up. Either way the item is
// completed only once the answer has gone out.
func (a *Adapter) runInbox(ctx context.Context, h *core.Held) error {
	if v, ok := a.waiting.Load(h.Job().Ref); ok {
		j := v.(*job)
		a.work(ctx, j)
		close(j.done)
		<-j.sent
		if j.deferred {
			a.finish(j.i, j.caller, j.task, j)
		}
		return nil
	}
	var i discordgo.Interaction
	if err := json.Unmarshal(h.Job().Payload, &i); err != nil || !wellFormed(&i) {
		a.log.Error().Err(err).Str("job", h.Job().ID()).Msg("unreadable discord inbox item dropped")
		return nil
	}
	i.AppID = a.cfg.AppID
	if _, ok := core.StoreWait(ctx); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(core.WithStoreWait(ctx, bot.StoreWait), workTimeout)
		defer cancel()
	}
	j := &job{i: &i}
	p, err := a.dir().PrincipalFor(core.PlatformDiscord, userOf(&i))
	if err == nil {
		j.caller = core.Caller{Principal: p.ID, Source: core.PlatformDiscord, Delivery: core.PlatformDiscord + ":" + h.Job().Ref}
		j.task, err = a.task(&i, j.caller)
	}
	if err != nil {
		j.err = err
	} else {
		a.work(ctx, j)
	}
	a.log.Info().Str("interaction_id", i.ID).Msg("discord interaction taken over from another replica")
	a.finish(&i, j.caller, j.task, j)
	return nil
}

// work runs j's task, recording its outcome (a panic as an error).
func (a *Adapter) work(ctx context.Context, j *job) {
	defer func() {
		if r := recover(); r != nil {
			j.err = fmt.Errorf("panic: %v\n%s", r, debug.Stack())
		}
	}()
	j.msg, j.err = j.task.run(ctx)
}
