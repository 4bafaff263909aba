package config

import (
	"net/url"
	"path/filepath"
	"strconv"
	"time"
)

// defaultTargetTimeout bounds one webhook call or program run.
const defaultTargetTimeout = 10 * time.Second

// allTargets builds every role's targets, in file order.
func (l *loader) allTargets(spec *fileFormat) map[string][]Target {
	out := map[string][]Target{}
	for _, name := range byLine(l, "roles", spec.Roles) {
		for i, ts := range spec.Roles[name].Targets {
			if t, ok := l.target("roles."+name+".targets["+strconv.Itoa(i)+"]", ts); ok {
				out[name] = append(out[name], t)
			}
		}
	}
	return out
}

// target checks one target of a role.
func (l *loader) target(path string, s targetSpec) (Target, bool) {
	t := Target{Name: s.Name, Type: s.Type, URL: s.URL, Secret: s.Secret, Command: s.Command, Args: s.Args, Usergroup: s.Usergroup, Guild: s.Guild, Role: s.Role, List: s.List, Timeout: defaultTargetTimeout}
	if s.Timeout != "" {
		d, ok := l.duration(path+".timeout", s.Timeout, false)
		if !ok {
			return t, false
		}
		t.Timeout = d
	}
	before := len(l.probs)
	switch s.Type {
	case TargetWebhook:
		u, err := url.Parse(s.URL)
		switch {
		case s.URL == "":
			l.problem(path+".url", "required for a webhook target")
		case err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "":
			l.problem(path+".url", "must be an http(s) URL")
		}
		if !s.Secret.IsSet() {
			l.problem(path+".secret", "required: the receiver verifies X-Elevate-Signature with it (${ENV} or secret_file)")
		}
	case TargetExec:
		if s.Command == "" || !filepath.IsAbs(s.Command) {
			l.problem(path+".command", "must be an absolute path to a program (it runs without a shell)")
		}
	case TargetSlackUsergroup:
		if s.Usergroup == "" {
			l.problem(path+".usergroup", "required: the Slack user group id (S...)")
		}
	case TargetDiscordRole:
		if s.Guild == "" {
			l.problem(path+".guild", "required: the Discord guild id")
		}
		if s.Role == "" {
			l.problem(path+".role", "required: the Discord guild role id")
		}
	case "":
		l.problem(path+".type", "required: webhook, exec, slack_usergroup or discord_role")
	default:
		l.problem(path+".type", "unknown target type %s: use webhook, exec, slack_usergroup or discord_role", quote(s.Type))
	}
	if s.List && (s.Type == TargetSlackUsergroup || s.Type == TargetDiscordRole) {
		l.problem(path+".list", "only webhook and exec targets take list: Slack user groups and Discord roles are always listed")
	}
	return t, len(l.probs) == before
}

// discord checks the Discord settings.
func (l *loader) discord(s discordSpec) DiscordSettings {
	if s.Mode != "" && s.Mode != "gateway" && s.Mode != "http" {
		l.problem("discord.mode", "must be gateway or http")
	}
	return DiscordSettings{BotToken: s.BotToken, AppID: s.AppID, PublicKey: s.PublicKey, Mode: s.Mode, Guilds: s.Guilds, APIURL: s.APIURL}
}
