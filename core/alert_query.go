package core

import (
	"context"
	"slices"
	"sort"
)

// AlertFilter selects alerts; empty fields match all.
type AlertFilter struct {
	Status   AlertStatus
	Kind     AlertKind
	Severity Severity
}

// Match reports whether al passes the filter.
func (f AlertFilter) Match(al Alert) bool {
	return (f.Status == "" || al.Status == f.Status) && (f.Kind == "" || al.Kind == f.Kind) && (f.Severity == "" || al.Severity == f.Severity)
}

// Find returns the alerts f selects, in any state, most severe first, then
// oldest first. Admins and readers may look. Errors: EFORBIDDEN.
func (a *Alerts) Find(ctx context.Context, c Caller, f AlertFilter) ([]Alert, error) {
	if err := a.s.authorize(ctx, c, "see alerts", a.s.dir().AdminRole, a.s.dir().ReaderRole); err != nil {
		return nil, err
	}
	all, err := a.s.store.Alerts(ctx)
	if err != nil {
		return nil, err
	}
	var out []Alert
	for _, al := range all {
		if f.Match(al) {
			out = append(out, al)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if ri, rj := severityRank(out[i].Severity), severityRank(out[j].Severity); ri != rj {
			return ri > rj
		}
		return out[i].FirstSeen.Before(out[j].FirstSeen)
	})
	return out, nil
}

// Convert is the admin action on one subject of an alert whose report row
// offers Convert (standing access, a redundant assignment): it turns the
// row's active assignment into an eligible one, as ConvertToEligible does,
// and returns the alert, which resolves when its check runs again.
// Errors: EFORBIDDEN; ENOTFOUND for an unknown alert or a subject not in
// its report; EINVALID for a row with no Convert action; as ConvertToEligible.
func (a *Alerts) Convert(ctx context.Context, c Caller, id, subject string) (*Alert, error) {
	if err := a.s.authorize(ctx, c, "act on alerts", a.s.dir().AdminRole); err != nil {
		return nil, err
	}
	al, err := a.find(ctx, id)
	if err != nil {
		return nil, err
	}
	i := slices.IndexFunc(al.Report, func(r AlertRow) bool { return r.Subject == subject })
	switch {
	case i < 0:
		return nil, Errorf(ENOTFOUND, "%s is not in the report of alert %s.", subject, id)
	case al.Report[i].Action != "Convert":
		return nil, Errorf(EINVALID, "Alert %s (%s) has no convert action for %s.", id, al.Kind, subject)
	}
	if _, err := a.s.ConvertToEligible(ctx, c, al.Report[i].Principal, al.Report[i].Role); err != nil {
		return nil, err
	}
	return a.find(ctx, id)
}
