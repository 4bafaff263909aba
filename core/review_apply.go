package core

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// ReviewApplied is what Apply did: how many removals it carried out now,
// and the review's item totals after it.
type ReviewApplied struct {
	Review  *Review
	Applied int            // items this call carried out; 0 when nothing was left
	Counts  map[string]int // the review's items per status afterwards
}

// notApplied is the pass of Apply: the removals a review's end recorded
// as not applied (auto_apply: false), now applied on behalf of c.
func notApplied(c Caller) application {
	return application{due: func(it *ReviewItem) bool { return it.Outcome == OutcomeNotApplied }, apply: true,
		by: func(*ReviewItem) Caller { return c }}
}

// Apply carries out the removals decided in closed review id that its end
// left as "remove not applied" (auto_apply: false). Each goes through the
// same removal path as Unassign (last-admin protection holds: such an item
// ends "kept: last admin"), audited as done by c, and is committed
// together with its item's outcome by compare-and-set: running Apply twice,
// or on two replicas at once, removes each assignment once. Admins and the
// review's owners may. Errors: ENOTFOUND; EFORBIDDEN; ECONFLICT while the
// review is open.
func (r *Reviews) Apply(ctx context.Context, c Caller, id string) (*ReviewApplied, error) {
	rv, err := r.s.store.Review(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := r.authorizeOwner(ctx, c, rv, "apply its removals"); err != nil {
		return nil, err
	}
	if rv.State != ReviewClosed {
		return nil, Errorf(ECONFLICT, "Review %s is still open: its removals are applied when it ends (review stop %s ends it now).", id, id)
	}
	counts, err := r.s.store.ReviewCounts(ctx, id)
	if err != nil {
		return nil, err
	}
	out := &ReviewApplied{Review: rv, Counts: counts}
	if counts["outcome:"+OutcomeNotApplied] == 0 {
		return out, nil
	}
	if out.Applied, err = r.applyItems(ctx, rv, notApplied(c)); err != nil {
		return nil, err
	}
	if out.Applied > 0 {
		e := reviewAudit(rv, "review_apply", c, r.s.clock.Now())
		e.Reason = fmt.Sprintf("%d decided removal(s) carried out", out.Applied)
		if err := r.s.Commit(ctx, Change{Audit: []AuditEvent{e}}); err != nil {
			return nil, err
		}
	}
	if out.Counts, err = r.s.store.ReviewCounts(ctx, id); err != nil {
		return nil, err
	}
	return out, nil
}

// authorizeOwner lets admins, the review's owners (its plan's owners,
// principals or group:NAME) and whoever started it do what.
func (r *Reviews) authorizeOwner(ctx context.Context, c Caller, rv *Review, what string) error {
	if c.Principal != "" && c.Principal != System.Principal && c.Principal == rv.StartedBy {
		return nil
	}
	for _, o := range rv.Plan.Owners {
		group, isGroup := strings.CutPrefix(o, GroupPrefix)
		if o == c.Principal && c.Principal != "" || isGroup && slices.Contains(r.s.dir().expand(nil, []string{group}), c.Principal) {
			return nil
		}
	}
	err := r.s.authorize(ctx, c, what, r.s.dir().AdminRole)
	if ErrorCode(err) == EFORBIDDEN {
		return Errorf(EFORBIDDEN, "Only admins and the owners of %s may %s.", rv.ID, what)
	}
	return err
}
