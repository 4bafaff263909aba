// Package notifications turns domain events into posts: approval requests
// to approvers' DMs and approvals channels, activation posts and alerts to
// security channels, and step-by-step DMs to requesters. It posts through
// the adapters' neutral Poster, updates every copy of an approval request
// once it is decided, and retries failed posts instead of dropping them.
package notifications

import (
	"context"
	"errors"

	"github.com/elevate-pim/elevate/bot"
)

// Destination is where a post goes: a channel (a key of the config's
// channel table) or a principal's direct messages.
type Destination struct {
	Channel   string
	Principal string
}

// String renders the destination the way the console shows it.
func (d Destination) String() string {
	if d.Principal != "" {
		return "DM @" + d.Principal
	}
	return "#" + d.Channel
}

// Ref identifies a posted message so that it can be updated later.
type Ref struct {
	Destination Destination
	Platform    string
	ID          string // platform message id (for Slack, "channel/ts")
}

// Poster posts messages to one platform.
type Poster interface {
	// Post sends m to d. It returns ErrNoRoute when d has no address on
	// this platform (a channel or principal without an id there).
	Post(ctx context.Context, d Destination, m bot.Message) (Ref, error)
}

// Updater is the optional capability of replacing a posted message.
type Updater interface {
	Update(ctx context.Context, ref Ref, m bot.Message) error
}

// ErrNoRoute says a destination cannot be reached on a platform; it is not a failure.
var ErrNoRoute = errors.New("notifications: no route to destination")
