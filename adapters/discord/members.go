package discord

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sort"

	"github.com/bwmarrin/discordgo"

	"github.com/elevate-pim/elevate/core"
)

// codeUnknownUser is Discord's JSON error code for a user that no longer exists.
const codeUnknownUser = 10013

var (
	_ core.MemberTarget   = (*RoleTarget)(nil)
	_ core.AccountChecker = (*Adapter)(nil)
)

// Platform says that Members returns Discord user ids.
func (t *RoleTarget) Platform() string { return core.PlatformDiscord }

// Members returns the users who hold the guild role now, read afresh
// (never from the approver-group cache), so that outside_elevate sees a
// role given by hand in the guild settings. Needs the Server Members intent.
func (t *RoleTarget) Members(ctx context.Context) ([]string, error) {
	members, err := t.a.listMembers(ctx, t.guild)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", t.Name(), err)
	}
	var out []string
	for user, roles := range members {
		if slices.Contains(roles, t.role) {
			out = append(out, user)
		}
	}
	sort.Strings(out)
	return out, nil
}

// RemoveMember takes the guild role from the Discord user id, as an
// admin's Remove on an outside_elevate alert asks. A user who has already
// left the guild, or a role that is gone, has nothing left to remove.
func (t *RoleTarget) RemoveMember(ctx context.Context, id string) error {
	err := t.a.session.GuildMemberRoleRemove(t.guild, id, t.role, discordgo.WithContext(ctx),
		discordgo.WithAuditLogReason("elevate: removed by an admin, granted outside elevate"))
	if gone(err, codeUnknownMember, codeUnknownRole) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("remove guild role %s from %s: %w", t.role, id, err)
	}
	return nil
}

// Deactivated reports whether the Discord user id has left every
// configured guild (or no longer exists), for deactivated_account. Each
// guild is asked about the one member, which needs no privileged intent.
// Without configured guilds nothing can be told, and nobody is reported.
func (a *Adapter) Deactivated(ctx context.Context, id string) (bool, error) {
	if len(a.cfg.Guilds) == 0 {
		return false, nil
	}
	for _, guild := range a.cfg.Guilds {
		_, err := a.session.GuildMember(guild, id, discordgo.WithContext(ctx))
		switch {
		case err == nil:
			return false, nil
		case gone(err, codeUnknownUser):
			return true, nil
		case !gone(err, codeUnknownMember):
			return false, fmt.Errorf("discord: member %s of guild %s: %w", id, guild, err)
		}
	}
	return true, nil
}

// gone reports whether err is Discord's 404 with one of the JSON codes.
func gone(err error, codes ...int) bool {
	var rest *discordgo.RESTError
	return errors.As(err, &rest) && rest.Response != nil && rest.Response.StatusCode == http.StatusNotFound &&
		rest.Message != nil && slices.Contains(codes, rest.Message.Code)
}
