package core

import (
	"strconv"
	"time"
)

// Validate rejects a Change that no store state could make sensible:
// missing ids, negative expectations, a non-positive window TTL, or one
// request or slot written twice. Stores call it before anything else, so
// every store answers bad Changes with the same EINVALID errors.
func (c Change) Validate() error {
	ids := make(map[string]bool, len(c.Requests))
	for _, w := range c.Requests {
		switch {
		case w.Request == nil:
			return Errorf(EINVALID, "A request write has no request.")
		case w.Request.ID == "":
			return Errorf(EINVALID, "A request write has no request id.")
		case w.Expect < 0:
			return Errorf(EINVALID, "Request %s: expected version %d is negative.", w.Request.ID, w.Expect)
		case ids[w.Request.ID]:
			// Two writes of one request could not both hold their expectation
			// after the first is applied: the Change is a caller's bug.
			return Errorf(EINVALID, "Request %s is written twice in one change.", w.Request.ID)
		}
		ids[w.Request.ID] = true
	}
	slots := make(map[WindowKey]bool, len(c.Slots))
	for _, w := range c.Slots {
		k := WindowKey{Principal: w.Principal, Role: w.Role}
		switch {
		case w.Principal == "" || w.Role == "":
			return Errorf(EINVALID, "A slot write needs a principal and a role.")
		case slots[k]:
			return Errorf(EINVALID, "The slot of %s for %s is written twice in one change.", w.Principal, w.Role)
		}
		slots[k] = true
	}
	for _, w := range c.OpenWindows {
		switch {
		case w.Window.Principal == "" || w.Window.Role == "":
			return Errorf(EINVALID, "A window needs a principal and a role.")
		case w.TTL <= 0:
			return Errorf(EINVALID, "The window of %s for %s has a TTL of %v; it must be positive.", w.Window.Principal, w.Window.Role, w.TTL)
		}
	}
	for _, k := range c.CloseWindows {
		if k.Principal == "" || k.Role == "" {
			return Errorf(EINVALID, "A window to close needs a principal and a role.")
		}
	}
	for _, a := range c.PutAssignments {
		if a.Kind == "" || a.Principal == "" || a.Role == "" {
			return Errorf(EINVALID, "An assignment needs a kind, a principal and a role.")
		}
	}
	for _, k := range c.DeleteAssignments {
		if k == "" {
			return Errorf(EINVALID, "An assignment to delete has no key.")
		}
	}
	if m := c.MFA; m != nil {
		switch {
		case m.Record == nil:
			return Errorf(EINVALID, "An MFA write has no record.")
		case m.Record.Principal == "":
			return Errorf(EINVALID, "An MFA record has no principal.")
		case m.Expect < 0:
			return Errorf(EINVALID, "MFA record of %s: expected version %d is negative.", m.Record.Principal, m.Expect)
		}
	}
	for _, j := range c.Schedule {
		switch {
		case j.Kind == "" || j.Ref == "":
			return Errorf(EINVALID, "A job needs a kind and a ref.")
		case !j.Lease.IsZero() && j.Lease.UnixMilli() <= j.Due.UnixMilli():
			// A claimed job is told apart from an unclaimed one by its
			// lease, at millisecond precision: it must end after the due time.
			return Errorf(EINVALID, "Job %s is claimed until %v, not after its due time %v.", j.ID(), j.Lease, j.Due)
		}
	}
	for _, j := range c.Complete {
		if j.Kind == "" || j.Ref == "" || j.Lease.IsZero() {
			return Errorf(EINVALID, "A job to complete needs a kind, a ref and the lease it is held under.")
		}
	}
	if err := c.validateReviews(); err != nil {
		return err
	}
	alerts := make(map[string]bool, len(c.Alerts))
	for _, w := range c.Alerts {
		switch {
		case w.Alert == nil || w.Alert.ID == "":
			return Errorf(EINVALID, "An alert write has no alert id.")
		case w.Expect < 0:
			return Errorf(EINVALID, "Alert %s: expected version %d is negative.", w.Alert.ID, w.Expect)
		case alerts[w.Alert.ID]:
			return Errorf(EINVALID, "Alert %s is written twice in one change.", w.Alert.ID)
		}
		alerts[w.Alert.ID] = true
	}
	for _, id := range c.Unschedule {
		if id == "" {
			return Errorf(EINVALID, "A job to unschedule has no id.")
		}
	}
	return nil
}

// ValidateClaim rejects a job claim whose lease or limit is not positive.
func ValidateClaim(lease time.Duration, limit int) error {
	if lease <= 0 {
		return Errorf(EINVALID, "A job lease must be positive, not %v.", lease)
	}
	if limit <= 0 {
		return Errorf(EINVALID, "A job claim limit must be positive, not %d.", limit)
	}
	return nil
}

// ValidateOnce rejects a de-duplication key that is empty or a TTL that is not positive.
func ValidateOnce(key string, ttl time.Duration) error {
	if key == "" {
		return Errorf(EINVALID, "A de-duplication key is empty.")
	}
	if ttl <= 0 {
		return Errorf(EINVALID, "A de-duplication TTL must be positive, not %v.", ttl)
	}
	return nil
}

// ValidateRenew rejects a lease renewal of a job that names no claim, or
// whose new lease does not end after the job's due time.
func ValidateRenew(j Job, until time.Time) error {
	switch {
	case j.Kind == "" || j.Ref == "":
		return Errorf(EINVALID, "A job to renew needs a kind and a ref.")
	case j.Lease.IsZero():
		return Errorf(EINVALID, "Job %s is not claimed: there is no lease to renew.", j.ID())
	case until.UnixMilli() <= j.Due.UnixMilli():
		return Errorf(EINVALID, "Job %s: a lease until %v does not end after its due time.", j.ID(), until)
	}
	return nil
}

// ValidateCopy rejects a message copy without a request, a platform or a message id.
func ValidateCopy(request string, c MessageCopy) error {
	if request == "" || c.Platform == "" || c.ID == "" {
		return Errorf(EINVALID, "A message copy needs a request, a platform and a message id.")
	}
	return nil
}

// validateReviews checks the review parts of a Change.
func (c Change) validateReviews() error {
	reviews := map[string]bool{}
	for _, w := range c.Reviews {
		switch {
		case w.Review == nil || w.Review.ID == "":
			return Errorf(EINVALID, "A review write has no review id.")
		case w.Expect < 0:
			return Errorf(EINVALID, "Review %s: expected version %d is negative.", w.Review.ID, w.Expect)
		case reviews[w.Review.ID]:
			return Errorf(EINVALID, "Review %s is written twice in one change.", w.Review.ID)
		}
		reviews[w.Review.ID] = true
	}
	items := map[string]bool{}
	for _, w := range c.ReviewItems {
		switch {
		case w.Item == nil || w.Item.Review == "" || w.Item.N < 1:
			return Errorf(EINVALID, "A review item write needs a review id and a position from 1.")
		case w.Was != nil && (w.Was.Review != w.Item.Review || w.Was.N != w.Item.N):
			return Errorf(EINVALID, "Review item %s/%d is written over another item.", w.Item.Review, w.Item.N)
		}
		k := w.Item.Review + "/" + strconv.Itoa(w.Item.N)
		if items[k] {
			return Errorf(EINVALID, "Review item %s is written twice in one change.", k)
		}
		items[k] = true
	}
	for _, r := range c.PutRemovals {
		if r.Key == "" {
			return Errorf(EINVALID, "A review removal has no assignment key.")
		}
	}
	for _, k := range c.DeleteRemovals {
		if k == "" {
			return Errorf(EINVALID, "A review removal to forget has no key.")
		}
	}
	return nil
}

// ValidateLease rejects a lease with an empty name or a TTL that is not positive.
func ValidateLease(name string, ttl time.Duration) error {
	if name == "" {
		return Errorf(EINVALID, "A lease has no name.")
	}
	if ttl <= 0 {
		return Errorf(EINVALID, "A lease TTL must be positive, not %v.", ttl)
	}
	return nil
}

// ValidateCursor rejects a cursor without a name.
func ValidateCursor(name string) error {
	if name == "" {
		return Errorf(EINVALID, "A cursor has no name.")
	}
	return nil
}
