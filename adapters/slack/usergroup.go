package slack

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	slackapi "github.com/slack-go/slack"

	"github.com/elevate-pim/elevate/core"
)

// UserGroupTarget grants a role as membership of a Slack user group. Grant
// and Revoke read the group's members, add or remove only the requester,
// and write the list back (usergroups.users.update), leaving everyone else
// in place; both are idempotent. Slack has no atomic add or remove, so the
// read-modify-write is serialized per group within this process; replicas
// granting the same group in the same instant can still race.
type UserGroupTarget struct {
	a         *Adapter
	usergroup string
	name      string
}

var _ core.Target = (*UserGroupTarget)(nil)

// NewUserGroupTarget returns a target for the Slack user group with id
// usergroupID (S…), calling Slack through a. Needs usergroups:read and usergroups:write.
func NewUserGroupTarget(a *Adapter, usergroupID string) *UserGroupTarget {
	return &UserGroupTarget{a: a, usergroup: usergroupID, name: "slack_usergroup:" + usergroupID}
}

// Name names the target in logs, audit and alerts.
func (t *UserGroupTarget) Name() string { return t.name }

// Grant adds the grant's principal to the user group.
func (t *UserGroupTarget) Grant(ctx context.Context, g core.Grant) error {
	return t.change(ctx, g, true)
}

// Revoke removes the grant's principal from the user group.
func (t *UserGroupTarget) Revoke(ctx context.Context, g core.Grant) error {
	return t.change(ctx, g, false)
}

func (t *UserGroupTarget) change(ctx context.Context, g core.Grant, add bool) error {
	a := t.a
	user := g.Principal.IDs[core.PlatformSlack]
	if user == "" {
		var err error
		if user, err = a.slackUserOf(ctx, g.Principal.ID); err != nil {
			return err
		}
	}
	if user == "" {
		return fmt.Errorf("%s: principal %s: %w", t.name, g.Principal.ID, errNoSlackUser)
	}
	mu := a.userGroupLock(t.usergroup)
	mu.Lock()
	defer mu.Unlock()
	// A disabled group has no effective members: its stored list is stale
	// (Slack cannot empty a group, so the last member left by disabling it).
	disabled, err := t.disabled(ctx)
	if err != nil {
		return fmt.Errorf("%s: %w", t.name, err)
	}
	var members []string
	if !disabled {
		if members, err = a.userGroupMembers(ctx, t.usergroup, true); err != nil {
			return fmt.Errorf("%s: %w", t.name, err)
		}
	}
	has := slices.Contains(members, user)
	if add == has {
		return nil
	}
	if add {
		members = append(members, user)
	} else {
		members = slices.DeleteFunc(members, func(m string) bool { return m == user })
	}
	switch {
	case len(members) == 0:
		err = a.call(ctx, "usergroups.disable", func(ctx context.Context) error {
			_, err := a.api.DisableUserGroupContext(ctx, t.usergroup)
			return err
		})
	default:
		err = a.call(ctx, "usergroups.users.update", func(ctx context.Context) error {
			_, err := a.api.UpdateUserGroupMembersContext(ctx, t.usergroup, strings.Join(members, ","))
			return err
		})
		if err == nil && disabled {
			err = a.call(ctx, "usergroups.enable", func(ctx context.Context) error {
				_, err := a.api.EnableUserGroupContext(ctx, t.usergroup)
				return err
			})
		}
	}
	if err != nil {
		return fmt.Errorf("%s: %w", t.name, err)
	}
	a.groups.mu.Lock()
	delete(a.groups.m, t.usergroup)
	a.groups.mu.Unlock()
	return nil
}

// disabled reports whether the user group is disabled (usergroups.list).
func (t *UserGroupTarget) disabled(ctx context.Context) (bool, error) {
	var groups []slackapi.UserGroup
	err := t.a.call(ctx, "usergroups.list", func(ctx context.Context) error {
		var err error
		groups, err = t.a.api.GetUserGroupsContext(ctx, slackapi.GetUserGroupsOptionIncludeDisabled(true))
		return err
	})
	if err != nil {
		return false, err
	}
	for _, g := range groups {
		if g.ID == t.usergroup {
			return g.DateDelete != 0, nil
		}
	}
	return false, fmt.Errorf("no user group %s", t.usergroup)
}

// userGroupLock returns the lock serializing changes to one user group.
func (a *Adapter) userGroupLock(usergroup string) *sync.Mutex {
	a.ugMu.Lock()
	defer a.ugMu.Unlock()
	mu, ok := a.ugLock[usergroup]
	if !ok {
		mu = &sync.Mutex{}
		a.ugLock[usergroup] = mu
	}
	return mu
}

// errNoSlackUser is returned for principals that cannot be found on Slack.
var errNoSlackUser = errors.New("no Slack user")

var _ core.MemberTarget = (*UserGroupTarget)(nil)

// Platform says that Members returns Slack user ids.
func (t *UserGroupTarget) Platform() string { return Platform }

// Members returns the user group's current members (none while it is
// disabled), so that outside_elevate can find members elevate did not grant.
func (t *UserGroupTarget) Members(ctx context.Context) ([]string, error) {
	disabled, err := t.disabled(ctx)
	if err != nil || disabled {
		return nil, err
	}
	members, err := t.a.userGroupMembers(ctx, t.usergroup, true)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", t.name, err)
	}
	return members, nil
}

// RemoveMember takes the Slack user id out of the user group, leaving the
// other members in place.
func (t *UserGroupTarget) RemoveMember(ctx context.Context, id string) error {
	return t.change(ctx, core.Grant{Principal: core.Principal{ID: id, IDs: map[string]string{Platform: id}}}, false)
}
