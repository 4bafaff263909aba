package config

import (
	"cmp"
	"fmt"
	"net/mail"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // time zones must resolve in minimal containers without /usr/share/zoneinfo

	"github.com/elevate-pim/elevate/core"
)

// idPattern is what role, principal and group ids look like: safe in chat
// commands, audit lines and Redis keys.
var idPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._@-]{0,62}$`)

// reservedWords are the chat command words; a role with such a name could
// not be told apart from the command in "/elevate NAME".
var reservedWords = map[string]bool{
	"help": true, "status": true, "drop": true, "extend": true, "cancel": true,
	"approve": true, "deny": true, "who": true, "assign": true, "unassign": true,
	"mfa": true, "audit": true, "code": true, "menu": true, "request": true,
	"convert": true, "alerts": true,
	"review": true, "reviews": true,
}

// build validates the decoded file and turns it into a Config, recording
// every problem. The Config is only returned to callers when there are none.
func (l *loader) build(spec *fileFormat) *Config {
	cfg := &Config{
		Location: l.location(spec.Timezone),
		Channels: l.channels(spec.Channels),
	}
	dir := &core.Directory{Principals: l.principals(spec.Principals)}
	dir.Groups = l.groups(spec.Groups, spec.Principals)
	cfg.Channel, cfg.AlertsChannel = l.notifications(spec.Notifications, cfg.Channels)
	dir.Roles = l.roles(spec, cfg.Channels, cfg.Channel)
	dir.AdminRole, dir.ReaderRole = l.adminRoles(spec)
	cfg.Directory = dir
	cfg.Assignments = l.assignments(spec, dir.Roles, cfg.Location)
	cfg.AssignmentLines = map[string]int{}
	for i, a := range cfg.Assignments {
		if _, dup := cfg.AssignmentLines[a.Key()]; !dup {
			cfg.AssignmentLines[a.Key()] = l.lines[fmt.Sprintf("assignments[%d]", i)]
		}
	}
	cfg.Reviews = l.reviews(spec, dir.Roles, cfg.Channels, cfg.Location)
	cfg.Alerts = l.alerts(spec, cfg.Channels)
	l.checkAdministered(spec, cfg.Assignments)
	cfg.MFA = MFASettings{Issuer: cmp.Or(spec.MFA.Issuer, DefaultIssuer), EncryptionKey: spec.MFA.EncryptionKey}
	cfg.Store = StoreSettings{RedisURL: spec.Store.RedisURL, RedisMode: spec.Store.RedisMode}
	if m := spec.Store.RedisMode; m != "" && m != "cluster" {
		l.problem("store.redis_mode", "unknown mode %s: use cluster, or leave it out for one server or Sentinel (a URL with master_name)", quote(m))
	}
	cfg.Retention = l.retention(spec.Retention)
	cfg.Audit = l.audit(spec.Audit)
	cfg.Targets = l.allTargets(spec)
	cfg.Server = ServerSettings{HTTPAddr: spec.Server.HTTPAddr}
	cfg.Slack = SlackSettings{BotToken: spec.Slack.BotToken, SigningSecret: spec.Slack.SigningSecret, AppToken: spec.Slack.AppToken, APIURL: spec.Slack.APIURL}
	cfg.Discord = l.discord(spec.Discord)
	cfg.API = l.api(spec.API, dir.Principals)
	return cfg
}

// retention builds the retention settings, defaults applied.
func (l *loader) retention(s retentionSpec) RetentionSettings {
	out := RetentionSettings{Requests: core.DefaultRequestRetention, Reviews: core.DefaultReviewRetention}
	if d, ok := l.duration("retention.requests", s.Requests, false); ok && d > 0 {
		out.Requests = d
	}
	if d, ok := l.duration("retention.reviews", s.Reviews, false); ok && d > 0 {
		out.Reviews = d
	}
	return out
}

// audit builds the audit archive and SIEM settings, defaults applied.
func (l *loader) audit(s auditSpec) AuditSettings {
	out := AuditSettings{Hot: core.DefaultAuditHot, ArchiveDir: s.ArchiveDir, ArchivePostgres: s.ArchivePostgres, SyslogURL: s.SIEM.Syslog, HTTPURL: s.SIEM.HTTP}
	if d, ok := l.duration("audit.hot", s.Hot, false); ok && d > 0 {
		out.Hot = d
	}
	if u := s.SIEM.Syslog; u != "" && !strings.HasPrefix(u, "tcp://") && !strings.HasPrefix(u, "tls://") {
		l.problem("audit.siem.syslog", "%s: use tcp://host:port or tls://host:port", quote(u))
	}
	if u := s.SIEM.HTTP; u != "" && !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
		l.problem("audit.siem.http", "%s: use an http:// or https:// URL", quote(u))
	}
	return out
}

// byLine returns a map's keys in file order (by the line of each key under
// prefix), so that building and problems never depend on map order.
func byLine[T any](l *loader, prefix string, m map[string]T) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		li, lj := l.lines[joinPath(prefix, keys[i])], l.lines[joinPath(prefix, keys[j])]
		if li != lj {
			return li < lj
		}
		return keys[i] < keys[j]
	})
	return keys
}

// quote renders user text in a message, shortened so that a huge value
// cannot flood the report.
func quote(s string) string {
	if len(s) > 60 {
		s = s[:60] + "..."
	}
	return strconv.Quote(s)
}

// checkID reports an id that does not match idPattern.
func (l *loader) checkID(path, kind, id string) {
	if !idPattern.MatchString(id) {
		l.problem(path, "%s id %s must be 1 to 63 lowercase letters, digits, '.', '_', '@' or '-', starting with a letter or digit", kind, quote(id))
	}
}

func (l *loader) location(tz string) *time.Location {
	if tz == "" {
		return time.UTC
	}
	// "Local" would make the meaning of the file depend on the host.
	loc, err := time.LoadLocation(tz)
	if err != nil || tz == "Local" {
		l.problem("timezone", "unknown time zone %s: use an IANA name such as Europe/Berlin or UTC", quote(tz))
		return time.UTC
	}
	return loc
}

func (l *loader) channels(specs map[string]channelSpec) map[string]map[string]string {
	out := make(map[string]map[string]string, len(specs))
	for _, key := range byLine(l, "channels", specs) {
		s := specs[key]
		dest := map[string]string{}
		for platform, id := range map[string]string{core.PlatformSlack: s.Slack, core.PlatformDiscord: s.Discord, core.PlatformConsole: s.Console} {
			if id != "" {
				dest[platform] = id
			}
		}
		if len(dest) == 0 {
			l.problem("channels."+key, "channel has no destination: set slack, discord or console")
		}
		out[key] = dest
	}
	return out
}

// checkChannel reports a reference to a channel key that is not defined.
func (l *loader) checkChannel(path, key string, channels map[string]map[string]string) {
	if _, ok := channels[key]; key != "" && !ok {
		l.problem(path, "unknown channel %s: define it under channels", quote(key))
	}
}

func (l *loader) notifications(s notificationsSpec, channels map[string]map[string]string) (channel, alerts string) {
	l.checkChannel("notifications.channel", s.Channel, channels)
	l.checkChannel("notifications.alerts_channel", s.AlertsChannel, channels)
	return s.Channel, cmp.Or(s.AlertsChannel, s.Channel)
}

// validEmail accepts a bare address (no display name) with a local part and a domain.
func validEmail(s string) bool {
	a, err := mail.ParseAddress(s)
	if err != nil || a.Name != "" || a.Address != s {
		return false
	}
	at := strings.LastIndexByte(s, '@')
	return at > 0 && at < len(s)-1
}

func (l *loader) principals(specs map[string]principalSpec) map[string]*core.Principal {
	out := make(map[string]*core.Principal, len(specs))
	owners := map[string]map[string]string{} // platform → platform user id → principal id
	emails := map[string]string{}            // lowercased email → principal id
	for _, id := range byLine(l, "principals", specs) {
		s := specs[id]
		path := "principals." + id
		l.checkID(path, "principal", id)
		p := &core.Principal{ID: id, Name: cmp.Or(s.Name, id), Email: s.Email, IDs: map[string]string{}, Manager: s.Manager}
		if _, ok := specs[s.Manager]; s.Manager != "" && (!ok || s.Manager == id) {
			l.problem(path+".manager", "manager %s must be another principal defined under principals", quote(s.Manager))
		}
		if s.Email != "" {
			key := strings.ToLower(s.Email)
			if !validEmail(s.Email) {
				l.problem(path+".email", "%s does not look like an email address (name@example.com)", quote(s.Email))
			} else if other, dup := emails[key]; dup {
				l.problem(path+".email", "email %s is also used by principal %s", s.Email, other)
			} else {
				emails[key] = id
			}
		}
		// The console id defaults to the principal id, and that default
		// takes part in the uniqueness check like an explicit id.
		consoleNote := ""
		if s.Console == "" {
			consoleNote = " (the default: the principal id)"
		}
		for _, pid := range []struct{ platform, id, note string }{
			{core.PlatformSlack, s.Slack, ""},
			{core.PlatformDiscord, s.Discord, ""},
			{core.PlatformConsole, cmp.Or(s.Console, id), consoleNote},
		} {
			if pid.id == "" {
				continue
			}
			p.IDs[pid.platform] = pid.id
			if owners[pid.platform] == nil {
				owners[pid.platform] = map[string]string{}
			}
			if other, dup := owners[pid.platform][pid.id]; dup {
				l.problem(path+"."+pid.platform, "%s id %s%s is also used by principal %s", pid.platform, quote(pid.id), pid.note, other)
				continue
			}
			owners[pid.platform][pid.id] = id
		}
		out[id] = p
	}
	return out
}

func (l *loader) groups(specs map[string]groupSpec, principals map[string]principalSpec) map[string]*core.Group {
	out := make(map[string]*core.Group, len(specs))
	for _, name := range byLine(l, "groups", specs) {
		s := specs[name]
		path := "groups." + name
		l.checkID(path, "group", name)
		g := &core.Group{Name: name, Platform: map[string]string{}}
		seen := map[string]bool{}
		for i, m := range s.Members {
			if _, ok := principals[m]; !ok {
				l.problem(fmt.Sprintf("%s.members[%d]", path, i), "unknown principal %s: define it under principals", quote(m))
				continue
			}
			if !seen[m] {
				seen[m] = true
				g.Members = append(g.Members, m)
			}
		}
		if s.SlackUsergroup != "" {
			g.Platform[core.PlatformSlack] = s.SlackUsergroup
		}
		if s.DiscordRole != "" {
			g.Platform[core.PlatformDiscord] = s.DiscordRole
		}
		out[name] = g
	}
	return out
}

func (l *loader) adminRoles(spec *fileFormat) (admin, reader string) {
	if spec.AdminRole == "" {
		l.problem("admin_role", "required: name the role whose holders manage elevate")
	} else if _, ok := spec.Roles[spec.AdminRole]; !ok {
		l.problem("admin_role", "unknown role %s: define it under roles", quote(spec.AdminRole))
	}
	if _, ok := spec.Roles[spec.ReaderRole]; spec.ReaderRole != "" && !ok {
		l.problem("reader_role", "unknown role %s: define it under roles", quote(spec.ReaderRole))
	}
	return spec.AdminRole, spec.ReaderRole
}

// checkAdministered insists that someone holds the admin role, or nobody
// could manage assignments once elevate runs.
func (l *loader) checkAdministered(spec *fileFormat, assignments []core.Assignment) {
	if _, ok := spec.Roles[spec.AdminRole]; !ok {
		return // already reported
	}
	for _, a := range assignments {
		if a.Role == spec.AdminRole && a.Kind == core.Active {
			return
		}
	}
	l.problem("admin_role", "role %s has no active assignment: add one (type: active) so that someone can administer elevate", spec.AdminRole)
}
