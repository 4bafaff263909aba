package discord

import (
	"context"
	"fmt"

	"github.com/bwmarrin/discordgo"

	"github.com/elevate-pim/elevate/core"
)

// Discord JSON error codes that mean a role is already gone.
const (
	codeUnknownMember = 10007
	codeUnknownRole   = 10011
)

// RoleTarget grants an activation as a guild role: the config's
// discord_role target.
type RoleTarget struct {
	a     *Adapter
	guild string
	role  string
}

var _ core.Target = (*RoleTarget)(nil)

// NewRoleTarget returns a target that adds guild role roleID in guildID to
// the principal's Discord user on grant and removes it on revoke. The bot
// needs Manage Roles, and its own highest role must sit above roleID.
func NewRoleTarget(a *Adapter, guildID, roleID string) *RoleTarget {
	return &RoleTarget{a: a, guild: guildID, role: roleID}
}

// Name implements core.Target.
func (t *RoleTarget) Name() string { return "discord_role:" + t.guild + "/" + t.role }

// Grant adds the role. Discord's PUT is idempotent: granting twice is fine.
func (t *RoleTarget) Grant(ctx context.Context, g core.Grant) error {
	user := g.Principal.IDs[core.PlatformDiscord]
	if user == "" {
		return fmt.Errorf("principal %s has no discord id in the config", g.Principal.ID)
	}
	if err := t.a.session.GuildMemberRoleAdd(t.guild, user, t.role, discordgo.WithContext(ctx),
		discordgo.WithAuditLogReason(auditReason("grant", g))); err != nil {
		return fmt.Errorf("add guild role %s to %s: %w", t.role, user, err)
	}
	return nil
}

// Revoke removes the role. A member who left the guild, or a role that was
// deleted, has nothing left to revoke; so does a principal without a
// Discord id, who was never granted.
func (t *RoleTarget) Revoke(ctx context.Context, g core.Grant) error {
	user := g.Principal.IDs[core.PlatformDiscord]
	if user == "" {
		return nil
	}
	err := t.a.session.GuildMemberRoleRemove(t.guild, user, t.role, discordgo.WithContext(ctx),
		discordgo.WithAuditLogReason(auditReason("revoke", g)))
	if gone(err, codeUnknownMember, codeUnknownRole) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("remove guild role %s from %s: %w", t.role, user, err)
	}
	return nil
}

// auditReason is what Discord's audit log shows for the change.
func auditReason(action string, g core.Grant) string {
	return "elevate " + action + " " + g.Role + " (" + g.RequestID + ")"
}
