package notifications

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/elevate-pim/elevate/bot"
	"github.com/elevate-pim/elevate/core"
)

// alertKey names an alert's posts among the store's message copies.
func alertKey(id string) string { return "alert:" + id }

// deliverAlert posts an alert the first time it opens and edits that post
// at every later change: updated report, resolved, dismissed. The posts are
// message copies in the store, so that any replica edits what another
// posted, and each copy records the alert version it shows, so that a
// repeated or late delivery never undoes a newer one. A closed alert's
// copies are forgotten: a condition that trips again is posted anew. A
// break-glass alert also goes to each admin's DM (e.Recipients).
func (n *Notifier) deliverAlert(ctx context.Context, nt *core.Notice, save func(context.Context) error) error {
	e := nt.Event
	a := e.Alert
	key := alertKey(a.ID)
	copies, err := n.copies.Copies(ctx, key)
	if err != nil {
		return fmt.Errorf("posts of alert %s: %w", a.ID, err)
	}
	m := n.bot.Notice(e, bot.ForChannel)
	channel := a.Channel
	if channel == "" {
		channel = n.cfg.AlertsChannel
	}
	var errs []error
	if len(copies) == 0 && a.Status == core.AlertOpen {
		dests := []Destination{{Channel: channel}}
		for _, p := range e.Recipients {
			dests = append(dests, Destination{Principal: p})
		}
		for _, d := range dests {
			if d.Channel == "" && d.Principal == "" {
				continue
			}
			errs = append(errs, n.postOnce(ctx, nt, save, d, m, func(ref Ref) error {
				if d.Channel == "" {
					return nil // a DM is not edited later
				}
				return n.copies.PutCopy(ctx, key, core.MessageCopy{Platform: ref.Platform, Channel: d.Channel, ID: ref.ID, Shown: a.Version})
			}))
		}
		return errors.Join(errs...)
	}
	m.File = nil // an edit keeps the report file of the post
	for _, c := range copies {
		if c.Shown >= a.Version {
			continue
		}
		ref := Ref{Destination: Destination{Channel: c.Channel, Principal: c.Principal}, Platform: c.Platform, ID: c.ID}
		if err := n.edit(ctx, ref, m); err != nil {
			errs = append(errs, err)
			continue
		}
		c.Shown = a.Version
		if err := n.copies.PutCopy(ctx, key, c); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if a.Status != core.AlertOpen {
		return n.copies.DropCopies(ctx, key)
	}
	return nil
}

// postOnce posts m to d on every platform that reaches it and has not had
// it yet (by nt.Sent), records each post with kept, and saves the progress.
func (n *Notifier) postOnce(ctx context.Context, nt *core.Notice, save func(context.Context) error, d Destination, m bot.Message, kept func(Ref) error) error {
	var errs []error
	for i, p := range n.snapshot() {
		key := d.String() + " on " + platformOf(p, i)
		if slices.Contains(nt.Sent, key) {
			continue
		}
		var ref Ref
		err := retry(ctx, func() error {
			var err error
			ref, err = p.Post(ctx, d, m)
			return err
		})
		if errors.Is(err, ErrNoRoute) {
			continue
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("post to %s: %w", d, err))
			continue
		}
		if ref.Platform == "" {
			ref.Platform = platformOf(p, i)
		}
		if err := kept(ref); err != nil {
			errs = append(errs, err)
		}
		nt.Sent = append(nt.Sent, key)
		if err := save(ctx); err != nil {
			return fmt.Errorf("record post to %s: %w", d, err)
		}
	}
	return errors.Join(errs...)
}

// edit replaces a posted message on the platform that holds it.
func (n *Notifier) edit(ctx context.Context, ref Ref, m bot.Message) error {
	for _, p := range n.snapshot() {
		u, ok := p.(Updater)
		if !ok {
			continue
		}
		err := retry(ctx, func() error { return u.Update(ctx, ref, m) })
		if errors.Is(err, ErrNoRoute) {
			continue
		}
		if err != nil {
			return fmt.Errorf("edit %s: %w", ref.Destination, err)
		}
	}
	return nil
}
