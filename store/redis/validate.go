package redis

import "github.com/elevate-pim/elevate/core"

// slotKey names the open-request slot of a principal for a role.
type slotKey struct{ principal, role string }

// validate rejects a Change that no store state could make sensible, with
// the EINVALID errors of the memory store, before anything reaches Redis.
func validate(c core.Change) error {
	ids := make(map[string]bool, len(c.Requests))
	for _, w := range c.Requests {
		switch {
		case w.Request == nil:
			return core.Errorf(core.EINVALID, "A request write has no request.")
		case w.Request.ID == "":
			return core.Errorf(core.EINVALID, "A request write has no request id.")
		case w.Expect < 0:
			return core.Errorf(core.EINVALID, "Request %s: expected version %d is negative.", w.Request.ID, w.Expect)
		case ids[w.Request.ID]:
			// Two writes of one request could not both hold their expectation
			// after the first is applied: the Change is a caller's bug.
			return core.Errorf(core.EINVALID, "Request %s is written twice in one change.", w.Request.ID)
		}
		ids[w.Request.ID] = true
	}
	slots := make(map[slotKey]bool, len(c.Slots))
	for _, w := range c.Slots {
		k := slotKey{w.Principal, w.Role}
		switch {
		case w.Principal == "" || w.Role == "":
			return core.Errorf(core.EINVALID, "A slot write needs a principal and a role.")
		case slots[k]:
			return core.Errorf(core.EINVALID, "The slot of %s for %s is written twice in one change.", w.Principal, w.Role)
		}
		slots[k] = true
	}
	for _, w := range c.OpenWindows {
		switch {
		case w.Window.Principal == "" || w.Window.Role == "":
			return core.Errorf(core.EINVALID, "A window needs a principal and a role.")
		case w.TTL <= 0:
			return core.Errorf(core.EINVALID, "The window of %s for %s has a TTL of %v; it must be positive.", w.Window.Principal, w.Window.Role, w.TTL)
		}
	}
	for _, k := range c.CloseWindows {
		if k.Principal == "" || k.Role == "" {
			return core.Errorf(core.EINVALID, "A window to close needs a principal and a role.")
		}
	}
	for _, a := range c.PutAssignments {
		if a.Kind == "" || a.Principal == "" || a.Role == "" {
			return core.Errorf(core.EINVALID, "An assignment needs a kind, a principal and a role.")
		}
	}
	for _, k := range c.DeleteAssignments {
		if k == "" {
			return core.Errorf(core.EINVALID, "An assignment to delete has no key.")
		}
	}
	if m := c.MFA; m != nil {
		switch {
		case m.Record == nil:
			return core.Errorf(core.EINVALID, "An MFA write has no record.")
		case m.Record.Principal == "":
			return core.Errorf(core.EINVALID, "An MFA record has no principal.")
		case m.Expect < 0:
			return core.Errorf(core.EINVALID, "MFA record of %s: expected version %d is negative.", m.Record.Principal, m.Expect)
		}
	}
	for _, j := range c.Schedule {
		if j.Kind == "" || j.Ref == "" {
			return core.Errorf(core.EINVALID, "A job needs a kind and a ref.")
		}
	}
	for _, id := range c.Unschedule {
		if id == "" {
			return core.Errorf(core.EINVALID, "A job to unschedule has no id.")
		}
	}
	return nil
}
