package discord

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/elevate-pim/elevate/core"
)

const (
	// memberTTL is how long a guild's member list is trusted. A member who
	// loses a guild role may still approve for up to this long.
	memberTTL = time.Minute
	// memberPage is Discord's largest page of guild members.
	memberPage = 1000
)

// memberCache holds each guild's members and their roles, briefly.
type memberCache struct {
	mu     sync.Mutex
	guilds map[string]guildMembers
}

type guildMembers struct {
	at    time.Time
	roles map[string][]string // user id → role ids
}

// GroupMembers returns the principals who hold g's Discord guild role in
// any configured guild. It implements core.GroupResolver; an error makes
// core add nobody, so authorization fails closed. Listing members needs the
// Server Members intent enabled for the application.
func (a *Adapter) GroupMembers(ctx context.Context, g *core.Group) ([]string, error) {
	role := g.Platform[core.PlatformDiscord]
	if role == "" {
		return nil, nil
	}
	if len(a.cfg.Guilds) == 0 {
		return nil, fmt.Errorf("discord: group %s names guild role %s, but no guild is configured to look it up", g.Name, role)
	}
	var out []string
	for _, guild := range a.cfg.Guilds {
		members, err := a.members(ctx, guild)
		if err != nil {
			return nil, err
		}
		for uid, roles := range members {
			if !slices.Contains(roles, role) {
				continue
			}
			if p, err := a.dir().PrincipalFor(core.PlatformDiscord, uid); err == nil && !slices.Contains(out, p.ID) {
				out = append(out, p.ID)
			}
		}
	}
	sort.Strings(out)
	return out, nil
}

// members returns a guild's members' roles, from the cache when fresh.
func (a *Adapter) members(ctx context.Context, guild string) (map[string][]string, error) {
	now := a.clock.Now()
	a.groups.mu.Lock()
	c, ok := a.groups.guilds[guild]
	a.groups.mu.Unlock()
	if ok && now.Sub(c.at) < memberTTL && now.Sub(c.at) >= 0 {
		return c.roles, nil
	}
	return a.listMembers(ctx, guild)
}

// listMembers reads a guild's members' roles from Discord, page by page,
// and keeps them in the cache.
func (a *Adapter) listMembers(ctx context.Context, guild string) (map[string][]string, error) {
	now := a.clock.Now()
	roles := map[string][]string{}
	after := ""
	for {
		page, err := a.session.GuildMembers(guild, after, memberPage, discordgo.WithContext(ctx))
		if err != nil {
			return nil, fmt.Errorf("discord: list members of guild %s: %w", guild, err)
		}
		for _, m := range page {
			if m == nil || m.User == nil {
				continue
			}
			roles[m.User.ID] = m.Roles
			after = m.User.ID
		}
		if len(page) < memberPage {
			break
		}
		if after == "" {
			return nil, errors.New("discord: guild member page without user ids")
		}
	}
	a.groups.mu.Lock()
	a.groups.guilds[guild] = guildMembers{at: now, roles: roles}
	a.groups.mu.Unlock()
	return roles, nil
}
