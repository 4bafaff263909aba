package slack

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	slackapi "github.com/slack-go/slack"

	"github.com/elevate-pim/elevate/core"
)

// groupTTL is how long a Slack user group's members are cached: short, so
// that removing someone from the group soon removes their approval rights.
const groupTTL = time.Minute

// groupCache holds resolved user groups.
type groupCache struct {
	mu sync.Mutex
	m  map[string]groupEntry // user group id → principals
}

type groupEntry struct {
	principals []string
	expires    time.Time
}

func (c *groupCache) init() { c.m = map[string]groupEntry{} }

// GroupMembers returns the principals in the Slack user group of g
// (g.Platform["slack"], read with usergroups.users.list), each Slack user
// mapped as in principalOf; users who are not enrolled are left out.
// Results are cached for a minute. It implements core.GroupResolver: an
// error adds nobody, so authorization fails closed.
func (a *Adapter) GroupMembers(ctx context.Context, g *core.Group) ([]string, error) {
	if g == nil || g.Platform[core.PlatformSlack] == "" {
		return nil, nil
	}
	id := g.Platform[core.PlatformSlack]
	now := a.now()
	a.groups.mu.Lock()
	e, ok := a.groups.m[id]
	a.groups.mu.Unlock()
	if ok && now.Before(e.expires) {
		return slices.Clone(e.principals), nil
	}
	users, err := a.userGroupMembers(ctx, id, false)
	if err != nil {
		return nil, fmt.Errorf("slack user group %s of %s: %w", id, g.Name, err)
	}
	var out []string
	for _, u := range users {
		p, err := a.principalOf(ctx, u)
		if core.ErrorCode(err) == core.ENOTFOUND {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("slack user group %s of %s: %w", id, g.Name, err)
		}
		if !slices.Contains(out, p.ID) {
			out = append(out, p.ID)
		}
	}
	slices.Sort(out)
	a.groups.mu.Lock()
	a.groups.m[id] = groupEntry{principals: out, expires: now.Add(groupTTL)}
	a.groups.mu.Unlock()
	return slices.Clone(out), nil
}

// userGroupMembers reads a user group's Slack user ids; a disabled group
// has members only when includeDisabled is set.
func (a *Adapter) userGroupMembers(ctx context.Context, usergroup string, includeDisabled bool) ([]string, error) {
	var users []string
	err := a.call(ctx, "usergroups.users.list", func(ctx context.Context) error {
		var err error
		users, err = a.api.GetUserGroupMembersContext(ctx, usergroup, slackapi.GetUserGroupMembersOptionIncludeDisabled(includeDisabled))
		return err
	})
	return users, err
}
