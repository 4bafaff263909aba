package core

import (
	"context"
	"sort"
	"time"
)

// Holder is someone who holds a role now, and how.
type Holder struct {
	Principal string
	Via       string    // "assignment" or "activation"
	RequestID string    // for activations
	Until     time.Time // zero when permanent
}

// holders returns who holds role now, the role's assignments, and the
// holders revision read with them. It reads only role's keys.
func (s *Service) holders(ctx context.Context, role string) ([]Holder, []Assignment, int64, error) {
	as, rev, err := s.store.AssignmentsByRole(ctx, role)
	if err != nil {
		return nil, nil, 0, err
	}
	now := s.clock.Now()
	var out []Holder
	for _, a := range as {
		if a.Kind == Active && a.In(now) {
			h := Holder{Principal: a.Principal, Via: "assignment"}
			if !a.Permanent {
				h.Until = a.End
			}
			out = append(out, h)
		}
	}
	windows, err := s.store.Windows(ctx, role)
	if err != nil {
		return nil, nil, 0, err
	}
	for _, w := range windows {
		out = append(out, Holder{Principal: w.Principal, Via: "activation", RequestID: w.RequestID, Until: w.End})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Principal < out[j].Principal })
	return out, as, rev, nil
}

// holds reports whether principal holds role now, by a direct assignment
// or a live window; nobody holds the unconfigured role "".
func (s *Service) holds(ctx context.Context, principal, role string) (bool, error) {
	if role == "" {
		return false, nil
	}
	ok, _, err := s.Holds(ctx, principal, role)
	return ok, err
}

// Holds answers "does principal hold role right now?" and until when (zero
// when permanent). It needs no caller: downstream systems ask it.
func (s *Service) Holds(ctx context.Context, principal, role string) (bool, time.Time, error) {
	ok, until, _, err := HoldsNow(ctx, s.store, principal, role, s.clock.Now())
	return ok, until, err
}

// HoldsReader is the part of a Store that HoldsNow reads.
type HoldsReader interface {
	// Holding returns principal's live window of role and their direct
	// active assignment of it, each nil when there is none, read together
	// in one round trip: the hot path of "does P hold R?".
	Holding(ctx context.Context, principal, role string) (*Window, *Assignment, error)
}

// HoldsNow answers from the store alone whether principal holds role at
// now: a live window (its TTL is the truth) or a direct assignment in force.
// via says which ("activation r-xxxx" or "assignment").
func HoldsNow(ctx context.Context, st HoldsReader, principal, role string, now time.Time) (ok bool, until time.Time, via string, err error) {
	w, a, err := st.Holding(ctx, principal, role)
	switch {
	case err != nil:
		return false, time.Time{}, "", err
	case w != nil:
		return true, w.End, "activation " + w.RequestID, nil
	case a != nil && a.In(now):
		return true, a.End, "assignment", nil
	}
	return false, time.Time{}, "", nil
}

// guardLastAdmin refuses a change that takes role away from principal when
// role is the admin role and nobody else would hold it. viaWindow says
// whether the window (true) or the direct assignment (false) goes. It pins
// the holders revision in ch so that two such changes cannot both pass.
func (s *Service) guardLastAdmin(ctx context.Context, role string, ch *Change, principal string, viaWindow bool) error {
	if role != s.dir().AdminRole {
		return nil
	}
	hs, _, rev, err := s.holders(ctx, role)
	if err != nil {
		return err
	}
	ch.HoldersRev = &rev
	for _, h := range hs {
		if h.Principal != principal || (h.Via == "activation") != viaWindow {
			return nil
		}
	}
	return Errorf(ECONFLICT, "%s is the last active holder of the admin role %s; assign another admin first.", principal, role)
}
