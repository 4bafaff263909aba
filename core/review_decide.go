package core

import (
	"context"
	"slices"
)

// ErrReasonRequired is Decide's answer to a decision without a reason in a
// review that requires one: chat asks for the reason in a form.
var ErrReasonRequired = &Error{Code: EINVALID, Message: "This review asks for a reason with every decision.", Field: FieldReason}

// Decide records a reviewer's decision (keep or remove) on item n of review
// id, with an optional reason (required when the plan says so). Only the
// item's reviewers in the current stage may decide, and never on their own
// access unless the stage is a self-review. Errors: ENOTFOUND; EFORBIDDEN;
// EINVALID; ECONFLICT when the item is decided or the stage is over.
func (r *Reviews) Decide(ctx context.Context, c Caller, id string, n int, d ReviewDecision, reason string) (*ReviewItem, error) {
	if d != DecisionKeep && d != DecisionRemove {
		return nil, Errorf(EINVALID, "Decide keep or remove.")
	}
	if err := checkText(FieldReason, "The reason", reason); err != nil {
		return nil, err
	}
	if len([]rune(reason)) > maxTextLen {
		return nil, Invalidf(FieldReason, "The reason is too long: the limit is %d characters.", maxTextLen)
	}
	for range maxRetries {
		rv, was, err := r.decidable(ctx, c, id, n)
		if err != nil {
			return nil, err
		}
		if rv.Plan.RequireReason && reason == "" {
			return nil, ErrReasonRequired
		}
		now := r.s.clock.Now()
		it := was.Clone()
		it.Decision, it.DecidedBy, it.Reason, it.DecidedAt = d, c.Principal, reason, now
		ch := Change{ReviewItems: []ReviewItemWrite{{Item: it, Was: was}}, Audit: []AuditEvent{itemAudit(it, "review_decision", c, now)}}
		if err := r.s.store.Apply(ctx, ch); ErrorCode(err) == ECONFLICT {
			continue
		} else if err != nil {
			return nil, err
		}
		it.Version = was.Version + 1
		return it, nil
	}
	return nil, Errorf(ECONFLICT, "Review item %s/%d is changing too quickly; try again.", id, n)
}

// decidable loads review id and its item n, and says why c may not decide it now.
func (r *Reviews) decidable(ctx context.Context, c Caller, id string, n int) (*Review, *ReviewItem, error) {
	rv, err := r.s.store.Review(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	it, err := r.s.store.ReviewItem(ctx, id, n)
	if err != nil {
		return nil, nil, err
	}
	self := slices.Contains(rv.Plan.Stages[it.Stage].Reviewers, ReviewersSelf)
	switch {
	case it.Principal == c.Principal && !self:
		return nil, nil, Errorf(EFORBIDDEN, "Nobody reviews their own access: %s item %d is yours.", id, n)
	case !slices.Contains(it.Reviewers, c.Principal):
		return nil, nil, Errorf(EFORBIDDEN, "You are not a reviewer of %s item %d.", id, n)
	case rv.State != ReviewOpen || !r.s.clock.Now().Before(rv.StageEnd) || it.Stage != rv.Stage:
		return nil, nil, Errorf(ECONFLICT, "Review %s is over for item %d.", id, n)
	case !it.Pending():
		who := it.DecidedBy
		if who == "" {
			who = "default"
		}
		return nil, nil, Errorf(ECONFLICT, "Item %d of %s is decided already (%s by %s).", n, id, it.Decision, who)
	}
	return rv, it, nil
}

// AcceptAll decides every item pending for the caller in review id as its
// recommendation says, in batches, and returns how many it decided.
func (r *Reviews) AcceptAll(ctx context.Context, c Caller, id string) (int, error) {
	rv, err := r.s.store.Review(ctx, id)
	if err != nil {
		return 0, err
	}
	if rv.State != ReviewOpen || !r.s.clock.Now().Before(rv.StageEnd) {
		return 0, Errorf(ECONFLICT, "Review %s is over.", id)
	}
	// A holder is never among the reviewers of their own item outside a
	// self-review, so everything on the caller's pending index is theirs to decide.
	done := 0
	for range rv.Items/reviewBatch + maxRetries {
		page, _, err := r.s.store.PendingReviewItems(ctx, id, rv.Stage, c.Principal, 0, reviewBatch)
		if err != nil || len(page) == 0 {
			return done, err
		}
		now := r.s.clock.Now()
		var ch Change
		for i := range page {
			it := page[i].Clone()
			it.Decision, it.DecidedBy, it.Reason, it.DecidedAt = it.Recommendation, c.Principal, "accepted the recommendation", now
			ch.ReviewItems = append(ch.ReviewItems, ReviewItemWrite{Item: it, Was: &page[i]})
			ch.Audit = append(ch.Audit, itemAudit(it, "review_decision", c, now))
		}
		if err := r.s.store.Apply(ctx, ch); ErrorCode(err) == ECONFLICT {
			continue // someone decided one meanwhile: read the page again
		} else if err != nil {
			return done, err
		}
		done += len(ch.ReviewItems)
	}
	return done, Errorf(ECONFLICT, "Review %s is changing too quickly; try again.", id)
}

// Page is one page of a reviewer's pending items.
type Page struct {
	Review *Review
	Items  []ReviewItem
	Offset int
	Total  int
}

// Pending returns the caller's pending items of review id from offset.
func (r *Reviews) Pending(ctx context.Context, c Caller, id string, offset int) (*Page, error) {
	rv, err := r.s.store.Review(ctx, id)
	if err != nil {
		return nil, err
	}
	items, total, err := r.s.store.PendingReviewItems(ctx, id, rv.Stage, c.Principal, offset, ReviewPageSize)
	if err != nil {
		return nil, err
	}
	if rv.State != ReviewOpen {
		items, total = nil, 0
	}
	return &Page{Review: rv, Items: items, Offset: offset, Total: total}, nil
}

// Open returns the open reviews the caller may see (all for admins and
// readers, those with items waiting for them otherwise) and how many items
// wait for the caller in each.
func (r *Reviews) Open(ctx context.Context, c Caller) ([]*Review, map[string]int, error) {
	all, err := r.s.store.OpenReviews(ctx)
	if err != nil {
		return nil, nil, err
	}
	overseer, err := r.overseer(ctx, c)
	if err != nil {
		return nil, nil, err
	}
	mine := map[string]int{}
	var out []*Review
	for _, rv := range all {
		if rv.State != ReviewOpen {
			continue // still being created
		}
		n, err := r.waiting(ctx, rv, c.Principal)
		if err != nil {
			return nil, nil, err
		}
		if n > 0 {
			mine[rv.ID] = n
		}
		if overseer || mine[rv.ID] > 0 {
			out = append(out, rv)
		}
	}
	return out, mine, nil
}

// overseer reports whether c may see every review: admins and readers.
// A store that cannot tell is an error, not a "no".
func (r *Reviews) overseer(ctx context.Context, c Caller) (bool, error) {
	err := r.s.authorize(ctx, c, "see every review", r.s.dir().AdminRole, r.s.dir().ReaderRole)
	if ErrorCode(err) == EFORBIDDEN {
		return false, nil
	}
	return err == nil, err
}

// Progress is a review and its items per status.
type Progress struct {
	Review *Review
	Counts map[string]int
	Mine   int // items waiting for the caller
}

// Progress returns review id's progress. Admins, readers and its current
// reviewers may see it. Errors: ENOTFOUND; EFORBIDDEN.
func (r *Reviews) Progress(ctx context.Context, c Caller, id string) (*Progress, error) {
	rv, err := r.s.store.Review(ctx, id)
	if err != nil {
		return nil, err
	}
	mine, err := r.waiting(ctx, rv, c.Principal)
	if err != nil {
		return nil, err
	}
	if mine == 0 {
		if overseer, err := r.overseer(ctx, c); err != nil {
			return nil, err
		} else if !overseer {
			return nil, Errorf(EFORBIDDEN, "Only admins, readers and its reviewers may see review %s.", id)
		}
	}
	counts, err := r.s.store.ReviewCounts(ctx, id)
	if err != nil {
		return nil, err
	}
	return &Progress{Review: rv, Counts: counts, Mine: mine}, nil
}

// waiting returns how many items of rv's current stage wait for principal,
// from principal's own index.
func (r *Reviews) waiting(ctx context.Context, rv *Review, principal string) (int, error) {
	_, n, err := r.s.store.PendingReviewItems(ctx, rv.ID, rv.Stage, principal, 0, 1)
	return n, err
}

// Report returns review id and all of its items, for admins and readers.
// Errors: ENOTFOUND; EFORBIDDEN.
func (r *Reviews) Report(ctx context.Context, c Caller, id string) (*Review, []ReviewItem, error) {
	if err := r.s.authorize(ctx, c, "see review reports", r.s.dir().AdminRole, r.s.dir().ReaderRole); err != nil {
		return nil, nil, err
	}
	return ReviewReport(ctx, r.s.store, id)
}

// ReviewReport reads review id and all of its items from st, page by page.
// The CLI export calls it with the store alone.
func ReviewReport(ctx context.Context, st ReviewStore, id string) (*Review, []ReviewItem, error) {
	rv, err := st.Review(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	var items []ReviewItem
	for after := 0; after < rv.Items; after += reviewBatch {
		page, err := st.ReviewItems(ctx, id, after, reviewBatch)
		if err != nil {
			return nil, nil, err
		}
		items = append(items, page...)
	}
	return rv, items, nil
}
