package webhook

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/elevate-pim/elevate/core"
)

// Lister is a Webhook whose configuration says the receiver can list its
// members (`list: true`): outside_elevate compares them with the role's
// holders.
type Lister struct {
	*Webhook
	role string
}

var _ core.MemberTarget = (*Lister)(nil)

// Members is the receiver's answer to a "list" action.
type Members struct {
	Members []string `json:"members"` // principal ids
}

// Listing returns w as a listing target of role.
func (w *Webhook) Listing(role string) *Lister { return &Lister{Webhook: w, role: role} }

// Platform says that Members returns principal ids.
func (l *Lister) Platform() string { return "" }

// Members posts a signed {"action":"list","role":ROLE} and reads the
// receiver's 2xx answer {"members":["alice",...]}: the principal ids that
// hold the role at the system.
func (l *Lister) Members(ctx context.Context) ([]string, error) {
	body, err := json.Marshal(Payload{Action: "list", Role: l.role})
	if err != nil {
		return nil, err
	}
	answer, err := l.call(ctx, "list", "list:"+l.role+":"+strconv.FormatInt(l.now().UnixNano(), 10), body)
	if err != nil {
		return nil, err
	}
	var m Members
	if err := json.Unmarshal(answer, &m); err != nil {
		return nil, &core.TargetError{Summary: "answered list with no member list", Err: fmt.Errorf("list %s: %w", l.url, err)}
	}
	return m.Members, nil
}

// RemoveMember takes a principal the receiver listed out of the system: a
// "revoke" for them, as at the end of a window.
func (l *Lister) RemoveMember(ctx context.Context, id string) error {
	return l.Revoke(ctx, core.Grant{Principal: core.Principal{ID: id}, Role: l.role,
		Delivery: "remove:" + l.role + ":" + id + ":" + strconv.FormatInt(l.now().UnixNano(), 10)})
}
