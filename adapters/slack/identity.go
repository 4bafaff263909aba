package slack

import (
	"context"
	"strings"
	"sync"
	"time"

	slackapi "github.com/slack-go/slack"

	"github.com/elevate-pim/elevate/core"
)

// How long lookups of Slack users by email are remembered.
const (
	identityTTL    = 10 * time.Minute
	negativeTTL    = time.Minute // unknown users and emails: short, so enrolment takes effect soon
	maxIdentityMap = 50000
)

// identities caches what users.info and users.lookupByEmail told us.
type identities struct {
	mu      sync.Mutex
	byUser  map[string]idEntry // Slack user id → principal id ("" = not enrolled)
	byPrinc map[string]idEntry // principal id → Slack user id ("" = none found)
}

type idEntry struct {
	id      string
	expires time.Time
}

func (c *identities) init() {
	c.byUser = map[string]idEntry{}
	c.byPrinc = map[string]idEntry{}
}

func (c *identities) get(m map[string]idEntry, key string, now time.Time) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := m[key]
	if !ok || now.After(e.expires) {
		return "", false
	}
	return e.id, true
}

func (c *identities) put(m map[string]idEntry, key, id string, ttl time.Duration, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(m) >= maxIdentityMap {
		for k, e := range m {
			if now.After(e.expires) {
				delete(m, k)
			}
		}
	}
	m[key] = idEntry{id: id, expires: now.Add(ttl)}
}

// principalOf maps a Slack user to a principal: by the Slack id in the
// config, or else by the user's confirmed email (users.info, which needs
// users:read.email) when that principal has no Slack id of its own.
// Unknown users get core's "not enrolled" error.
func (a *Adapter) principalOf(ctx context.Context, slackUser string) (*core.Principal, error) {
	p, known, notEnrolled := a.knownPrincipal(slackUser)
	if known {
		return p, notEnrolled
	}
	now := a.now()
	var u *slackapi.User
	err := a.call(ctx, "users.info", func(ctx context.Context) error {
		var err error
		u, err = a.api.GetUserInfoContext(ctx, slackUser)
		return err
	})
	if slackError(err, "user_not_found") {
		a.ids.put(a.ids.byUser, slackUser, "", negativeTTL, now)
		return nil, notEnrolled
	}
	if err != nil {
		return nil, err
	}
	p = a.byEmail(u)
	if p == nil {
		a.ids.put(a.ids.byUser, slackUser, "", negativeTTL, now)
		return nil, notEnrolled
	}
	a.ids.put(a.ids.byUser, slackUser, p.ID, identityTTL, now)
	a.ids.put(a.ids.byPrinc, p.ID, slackUser, identityTTL, now)
	return p, nil
}

// knownPrincipal is principalOf without asking Slack: known is false when
// only users.info can tell who slackUser is, and err is then the "not
// enrolled" error that holds if users.info cannot either.
func (a *Adapter) knownPrincipal(slackUser string) (p *core.Principal, known bool, err error) {
	p, notEnrolled := a.dir().PrincipalFor(core.PlatformSlack, slackUser)
	if notEnrolled == nil {
		return p, true, nil
	}
	if slackUser == "" {
		return nil, true, notEnrolled
	}
	if id, ok := a.ids.get(a.ids.byUser, slackUser, a.now()); ok {
		if p, ok := a.dir().Principals[id]; ok {
			return p, true, nil
		}
		return nil, true, notEnrolled
	}
	return nil, false, notEnrolled
}

// byEmail returns the principal a Slack user stands for by email, or nil.
// Only a live human with a confirmed email maps, and only to a principal
// that has no Slack id configured: a configured id always wins.
func (a *Adapter) byEmail(u *slackapi.User) *core.Principal {
	if u == nil || u.Deleted || u.IsBot || !u.IsEmailConfirmed || u.Profile.Email == "" {
		return nil
	}
	p, err := a.dir().PrincipalByEmail(u.Profile.Email)
	if err != nil {
		if p, err = a.dir().PrincipalByEmail(strings.ToLower(u.Profile.Email)); err != nil {
			return nil
		}
	}
	if p.IDs[core.PlatformSlack] != "" && p.IDs[core.PlatformSlack] != u.ID {
		return nil
	}
	return p
}

// slackUserOf returns the Slack user id of a principal: the configured id,
// or one learned by email (users.lookupByEmail). "" means none.
func (a *Adapter) slackUserOf(ctx context.Context, principal string) (string, error) {
	p, ok := a.dir().Principals[principal]
	if !ok {
		return "", nil
	}
	if id := p.IDs[core.PlatformSlack]; id != "" {
		return id, nil
	}
	if p.Email == "" {
		return "", nil
	}
	now := a.now()
	if id, ok := a.ids.get(a.ids.byPrinc, principal, now); ok {
		return id, nil
	}
	var u *slackapi.User
	err := a.call(ctx, "users.lookupByEmail", func(ctx context.Context) error {
		var err error
		u, err = a.api.GetUserByEmailContext(ctx, p.Email)
		return err
	})
	if slackError(err, "users_not_found") {
		a.ids.put(a.ids.byPrinc, principal, "", negativeTTL, now)
		return "", nil
	}
	if err != nil {
		return "", err
	}
	if u.Deleted || u.IsBot || !u.IsEmailConfirmed {
		a.ids.put(a.ids.byPrinc, principal, "", negativeTTL, now)
		return "", nil
	}
	a.ids.put(a.ids.byPrinc, principal, u.ID, identityTTL, now)
	a.ids.put(a.ids.byUser, u.ID, principal, identityTTL, now)
	return u.ID, nil
}

// dmChannel opens (or reuses) the direct-message channel with a Slack user.
func (a *Adapter) dmChannel(ctx context.Context, slackUser string) (string, error) {
	a.dmMu.Lock()
	ch, ok := a.dms[slackUser]
	a.dmMu.Unlock()
	if ok {
		return ch, nil
	}
	err := a.call(ctx, "conversations.open", func(ctx context.Context) error {
		c, _, _, err := a.api.OpenConversationContext(ctx, &slackapi.OpenConversationParameters{Users: []string{slackUser}, ReturnIM: true})
		if err == nil {
			ch = c.ID
		}
		return err
	})
	if err != nil {
		return "", err
	}
	a.dmMu.Lock()
	a.dms[slackUser] = ch
	a.dmMu.Unlock()
	return ch, nil
}
