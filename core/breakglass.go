package core

import (
	"context"
	"fmt"
)

// breakGlassUsed raises the High alert of a break-glass activation: the
// follow-up item an admin must acknowledge or revoke, posted to the alerts
// channel and sent to every admin directly.
func (s *Service) breakGlassUsed(ctx context.Context, req *Request) {
	row := requestRow(req, fmt.Sprintf("%s until %s: %s", req.ID, s.when(req.EndsAt), req.Justification))
	row.Action, row.Command = "Revoke now", "alerts revoke "+AlertID(AlertBreakGlassUsed, req.ID)
	s.alerts.raise(ctx, AlertBreakGlassUsed, req.ID,
		fmt.Sprintf("Break-glass: %s activated %s without approval or MFA (via %s): %s", req.Principal, req.Role, req.Source, req.Justification), row)
}

// RevokeBreakGlass ends the window of a break-glass activation at once and
// closes its follow-up alert. Only admins may. Errors: EFORBIDDEN;
// ENOTFOUND; ECONFLICT when the alert is not a break-glass one or is closed.
func (a *Alerts) RevokeBreakGlass(ctx context.Context, c Caller, id string) (*Alert, error) {
	if err := a.s.authorize(ctx, c, "revoke break-glass access", a.s.dir().AdminRole); err != nil {
		return nil, err
	}
	al, err := a.find(ctx, id)
	if err != nil {
		return nil, err
	}
	if al.Kind != AlertBreakGlassUsed {
		return nil, Errorf(ECONFLICT, "%s is not a break-glass alert.", id)
	}
	if err := openOnly(al); err != nil {
		return nil, err
	}
	if _, err := a.s.Deactivate(ctx, c, al.Scope); err != nil && ErrorCode(err) != ECONFLICT {
		return nil, err
	}
	return a.close(ctx, id, AlertResolved, c, "revoked by "+c.Principal, "alert_acknowledge", openOnly)
}
