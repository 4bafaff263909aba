package slack

import (
	"context"

	slackapi "github.com/slack-go/slack"

	"github.com/elevate-pim/elevate/core"
)

var _ core.AccountChecker = (*Adapter)(nil)

// Deactivated reports whether the Slack user id was deactivated
// (users.info "deleted") or no longer exists, for deactivated_account.
func (a *Adapter) Deactivated(ctx context.Context, id string) (bool, error) {
	var u *slackapi.User
	err := a.call(ctx, "users.info", func(ctx context.Context) error {
		var err error
		u, err = a.api.GetUserInfoContext(ctx, id)
		return err
	})
	if slackError(err, "user_not_found") {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	return u.Deleted, nil
}
