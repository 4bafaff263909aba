package memory

import (
	"context"
	"time"

	"github.com/elevate-pim/elevate/core"
)

// Apply commits c atomically. It first validates c (EINVALID) and checks
// every expectation against the stored state (ECONFLICT); only when all hold
// does it write anything. Within one Change, removals take effect before
// additions (CloseWindows before OpenWindows, DeleteAssignments before
// PutAssignments, Unschedule before Schedule), so a Change may replace a
// thing by removing and adding it.
func (s *Store) Apply(ctx context.Context, c core.Change) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := c.Validate(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.Now()
	if err := s.check(c); err != nil {
		return err
	}
	s.write(c, now)
	return nil
}

// check returns ECONFLICT when any expectation of c does not hold.
func (s *Store) check(c core.Change) error {
	for _, w := range c.Requests {
		var have int64
		if r, ok := s.requests[w.Request.ID]; ok {
			have = r.Version
		}
		if have != w.Expect {
			if w.Expect == 0 {
				return core.Errorf(core.ECONFLICT, "Request %s already exists.", w.Request.ID)
			}
			return core.Errorf(core.ECONFLICT, "Request %s changed meanwhile (version %d, expected %d).", w.Request.ID, have, w.Expect)
		}
	}
	for _, w := range c.Slots {
		if have := s.slots[slotKey{w.Principal, w.Role}]; have != w.Expect {
			if have != "" {
				return core.Errorf(core.ECONFLICT, "%s already has an open request for %s (%s).", w.Principal, w.Role, have)
			}
			return core.Errorf(core.ECONFLICT, "The open request of %s for %s changed meanwhile.", w.Principal, w.Role)
		}
	}
	if c.HoldersRev != nil && *c.HoldersRev != s.holdersRev {
		return core.Errorf(core.ECONFLICT, "Role holders changed meanwhile (revision %d, expected %d).", s.holdersRev, *c.HoldersRev)
	}
	for _, j := range c.Complete {
		if !s.holds(j) {
			return core.Errorf(core.ECONFLICT, "Job %s is no longer held under its lease.", j.ID())
		}
	}
	if err := s.rv.check(c); err != nil {
		return err
	}
	for _, w := range c.Alerts {
		var have int64
		if a, ok := s.alerts[w.Alert.ID]; ok {
			have = a.Version
		}
		if have != w.Expect {
			return alertConflict(w, have)
		}
	}
	if m := c.MFA; m != nil {
		var have int64
		if r, ok := s.mfa[m.Record.Principal]; ok {
			have = r.Version
		}
		if have != m.Expect {
			return core.Errorf(core.ECONFLICT, "The MFA record of %s changed meanwhile (version %d, expected %d).", m.Record.Principal, have, m.Expect)
		}
	}
	return nil
}

// write applies c, whose expectations check has confirmed.
func (s *Store) write(c core.Change, now time.Time) {
	for _, w := range c.Requests {
		r := w.Request.Clone()
		r.Version = w.Expect + 1
		s.requests[r.ID] = r
		s.reqOf.add(r.Principal, r.ID)
		if r.State.Final() {
			s.openOf.remove(r.Principal, r.ID)
		} else {
			s.openOf.add(r.Principal, r.ID)
		}
		if r.State == core.PendingApproval {
			s.awaiting.add(r.Role, r.ID)
		} else {
			s.awaiting.remove(r.Role, r.ID)
		}
	}
	for _, w := range c.Slots {
		k := slotKey{w.Principal, w.Role}
		if w.Set == "" {
			delete(s.slots, k)
		} else {
			s.slots[k] = w.Set
		}
	}

	for _, k := range c.CloseWindows {
		delete(s.windows[k.Role], k.Principal)
		if len(s.windows[k.Role]) == 0 {
			delete(s.windows, k.Role)
		}
	}
	for _, w := range c.OpenWindows {
		byPrincipal := s.windows[w.Window.Role]
		if byPrincipal == nil {
			byPrincipal = make(map[string]window)
			s.windows[w.Window.Role] = byPrincipal
		}
		byPrincipal[w.Window.Principal] = window{Window: w.Window, expires: now.Add(w.TTL)}
	}
	for _, k := range c.DeleteAssignments {
		if a, ok := s.assignments[k]; ok {
			delete(s.assignments, k)
			s.asgOf.remove(a.Principal, k)
			s.asgFor.remove(a.Role, k)
		}
	}
	for _, a := range c.PutAssignments {
		k := a.Key()
		s.assignments[k] = a
		s.asgOf.add(a.Principal, k)
		s.asgFor.add(a.Role, k)
	}
	if len(c.OpenWindows)+len(c.CloseWindows)+len(c.PutAssignments)+len(c.DeleteAssignments) > 0 {
		s.holdersRev++
	}

	if m := c.MFA; m != nil {
		r := cloneMFA(m.Record)
		r.Version = m.Expect + 1
		s.mfa[r.Principal] = r
	}

	for _, j := range c.Complete {
		delete(s.jobs, j.ID())
	}
	s.rv.write(c)

	for _, id := range c.Unschedule {
		delete(s.jobs, id)
	}
	for _, j := range c.Schedule {
		stored := &job{Job: j, score: j.Due}
		if !j.Lease.IsZero() {
			stored.score, stored.claimed = j.Lease, true
		}
		stored.Lease = time.Time{}
		stored.Payload = append([]byte(nil), j.Payload...)
		s.jobs[j.ID()] = stored
	}

	for _, w := range c.Alerts {
		a := w.Alert.Clone()
		a.Version = w.Expect + 1
		s.alerts[a.ID] = a
	}

	for _, e := range c.Audit {
		e = core.Chain(s.head, e)
		s.audit = append(s.audit, e)
		s.head = core.AuditHead{Seq: e.Seq, Hash: e.Hash}
	}
}

// alertConflict is the ECONFLICT of an alert write whose expectation failed.
func alertConflict(w core.AlertWrite, have int64) error {
	if w.Expect == 0 {
		return core.Errorf(core.ECONFLICT, "Alert %s already exists.", w.Alert.ID)
	}
	return core.Errorf(core.ECONFLICT, "Alert %s changed meanwhile (version %d, expected %d).", w.Alert.ID, have, w.Expect)
}
