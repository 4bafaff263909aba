// Package config loads elevate's config as code: the YAML file in which an
// admin keeps principals, groups, roles with their policies, assignments,
// notification channels and references to secrets.
//
// Loading is strict and complete: an unknown key is a problem, and Parse
// reports every problem in one go, each as "FILE:LINE: field: what is
// wrong", so that a CI check or an editor can point at the line. A config
// that Parse returns is fully built: core.Directory with core.Policy values
// whose durations are parsed, defaults applied and ticket patterns compiled.
//
// Secrets never appear in the file: a Secret field is given as
// KEY: ${ENV_NAME} or KEY_file: /path, and is read only by Secret.Resolve.
package config

import (
	"fmt"
	"os"
	"reflect"
	"time"

	"github.com/elevate-pim/elevate/core"
)

// Source is the core.Assignment Source of assignments that come from the file.
const Source = "config"

// DefaultIssuer is the TOTP issuer shown in authenticator apps when mfa.issuer is unset.
const DefaultIssuer = "elevate"

// Config is a validated config file.
type Config struct {
	// File is the name the config was parsed under.
	File string
	// Directory holds principals, groups and roles (each with its
	// policy fully built), and the admin and reader role names.
	Directory *core.Directory
	// Assignments are the file's eligible and active assignments, in file
	// order, with Source "config". Start and End are zero when absent.
	Assignments []core.Assignment
	// AssignmentLines maps each file assignment's key to its line, so that
	// start-up can name the line of one an access review removed.
	AssignmentLines map[string]int
	// Reviews are the access review definitions, in file order.
	Reviews []core.ReviewPlan
	// Alerts tune the alert engine: every built-in kind with its effective
	// rule, and audit.anchor_file.
	Alerts core.AlertSettings
	// Channels maps a channel key to its destination per platform
	// (core.PlatformSlack, ...): channel key → platform → destination id.
	Channels map[string]map[string]string
	// Channel is the default channel key for activation posts;
	// AlertsChannel is where alerts go (defaults to Channel). Either may be "".
	Channel, AlertsChannel string
	// Location is the time zone for "at 14:00" and displayed times (default UTC).
	Location *time.Location
	// MFA configures TOTP enrolment.
	MFA MFASettings
	// Store configures where state is kept.
	Store StoreSettings
	// Retention says how long finished things are kept.
	Retention RetentionSettings
	// Audit configures the audit archive and SIEM streaming.
	Audit AuditSettings
	// Targets are the systems each role is granted in: role name → targets.
	Targets map[string][]Target
	// Server, Slack and Discord configure the transports; environment
	// variables fill what the file leaves out.
	Server  ServerSettings
	Slack   SlackSettings
	Discord DiscordSettings
	// API holds the HTTP API's bearer tokens.
	API APISettings
}

// Target is one system where a role is really granted.
type Target struct {
	Name      string        // how chat, logs and metrics name it (webhook, exec); default from its URL or command
	Type      string        // TargetWebhook, TargetExec, TargetSlackUsergroup or TargetDiscordRole
	URL       string        // webhook: where to POST
	Secret    Secret        // webhook: HMAC signing secret
	Timeout   time.Duration // webhook, exec: per attempt (default 10s)
	Command   string        // exec: absolute path of the program (no shell)
	Args      []string      // exec: its arguments
	Usergroup string        // slack_usergroup: the user group id
	Guild     string        // discord_role: the guild id
	Role      string        // discord_role: the guild role id
	List      bool          // webhook, exec: the target can list its members, for outside_elevate
}

// Target types.
const (
	TargetWebhook        = "webhook"
	TargetExec           = "exec"
	TargetSlackUsergroup = "slack_usergroup"
	TargetDiscordRole    = "discord_role"
)

// ServerSettings configures the HTTP listener.
type ServerSettings struct {
	HTTPAddr string
}

// SlackSettings configures the Slack adapter.
type SlackSettings struct {
	BotToken, SigningSecret, AppToken Secret
	APIURL                            string
}

// DiscordSettings configures the Discord adapter.
type DiscordSettings struct {
	BotToken  Secret
	AppID     string
	PublicKey string
	Mode      string // "gateway" or "http"
	Guilds    []string
	APIURL    string
}

// MFASettings configures TOTP: the issuer shown in authenticator apps and
// the key that encrypts TOTP seeds at rest.
type MFASettings struct {
	Issuer        string
	EncryptionKey Secret
}

// StoreSettings configures the state store; an unset RedisURL means the
// in-memory store.
type StoreSettings struct {
	RedisURL Secret
	// RedisMode is "" (one server, or Sentinel when the URL has
	// master_name) or "cluster".
	RedisMode string
}

// RetentionSettings says how long finished things are kept.
type RetentionSettings struct {
	// Requests is how long a final request is kept before the scheduler
	// deletes it (its audit events stay); default core.DefaultRequestRetention.
	Requests time.Duration
	// Reviews is how long a closed access review and its items are kept
	// (their audit events and the removals they decided stay); default
	// core.DefaultReviewRetention.
	Reviews time.Duration
}

// AuditSettings configure where the audit trail goes besides the store.
type AuditSettings struct {
	// Hot is how long events stay in the store before they move to the
	// archive (default core.DefaultAuditHot); it applies only with an archive.
	Hot time.Duration
	// ArchiveDir is the directory of the archive's segment files ("" for
	// none; with no archive at all the store keeps every event). Replicas
	// must share it.
	ArchiveDir string
	// ArchivePostgres is the DSN of the PostgreSQL database whose table
	// holds the archive (unset for none). With ArchiveDir too, events go
	// to both.
	ArchivePostgres Secret
	// SyslogURL (tcp://host:port or tls://host:port) and HTTPURL (an
	// http(s) endpoint taking JSON lines) receive every event as it happens.
	SyslogURL, HTTPURL string
}

// Load reads the file at path and parses it as of now. A file that cannot
// be read is an ordinary error; bad content is Problems.
func Load(path string, now time.Time) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return Parse(path, data, now)
}

// Parse validates data, the contents of file, and builds a Config. file
// names the file in problems and is the base for relative KEY_file secret
// paths. now is the time the rules that depend on it (an assignment's
// length from today) are checked at. When anything is wrong the error is
// Problems, sorted by line, holding every problem found.
func Parse(file string, data []byte, now time.Time) (*Config, error) {
	l := newLoader(file)
	l.now = now
	var cfg *Config
	// A file that is not YAML gets its syntax error alone: checking the
	// half that was read would only add noise.
	if root, ok := l.parseYAML(data); ok {
		var spec fileFormat
		if root != nil {
			l.decode(root, reflect.ValueOf(&spec).Elem(), "")
		}
		cfg = l.build(&spec)
	}
	if len(l.probs) > 0 {
		l.probs.sort()
		return nil, l.probs.dedupe()
	}
	cfg.File = file
	return cfg, nil
}

// RequiresMFA reports whether any role demands MFA to activate, so that
// start-up can insist on an encryption key for TOTP seeds.
func (c *Config) RequiresMFA() bool {
	for _, r := range c.Directory.Roles {
		if r.Policy.RequireMFA {
			return true
		}
	}
	return false
}

// ChannelIDs maps each channel key to its destination on platform,
// leaving out channels that have none there.
func (c *Config) ChannelIDs(platform string) map[string]string {
	out := map[string]string{}
	for key, ids := range c.Channels {
		if id := ids[platform]; id != "" {
			out[key] = id
		}
	}
	return out
}

// Destination returns the destination id of channel key on platform, or
// "" when the channel has none there.
func (c *Config) Destination(channel, platform string) string {
	return c.Channels[channel][platform]
}
