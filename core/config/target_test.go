package config_test

import (
	"strings"
	"testing"
	"time"

	"github.com/elevate-pim/elevate/core/config"
)

const targetsBase = `admin_role: admin
principals:
  dana: {}
roles:
  admin:
    activation: {max_duration: 1h}
    assignment: {allow_permanent: true}
  db:
    activation: {max_duration: 1h}
    targets:
%s
assignments:
  - {principal: dana, role: admin, type: active, permanent: true}
slack:
  bot_token: ${ELEVATE_SLACK_BOT_TOKEN}
  signing_secret_file: /run/secrets/slack-signing
discord:
  app_id: "42"
  mode: http
  guilds: ["1", "2"]
`

func TestTargets(t *testing.T) {
	cfg, err := config.Parse("t.yaml", []byte(strings.Replace(targetsBase, "%s", `      - {type: webhook, url: "https://hooks.example/elevate", secret: "${HOOK_SECRET}", timeout: 3s}
      - {type: exec, command: /usr/local/bin/grant, args: [--db, prod]}
      - {type: slack_usergroup, usergroup: S0DB}
      - {type: discord_role, guild: "1", role: "2"}`, 1)), time.Now())

	if err != nil {
		t.Fatal(err)
	}
	ts := cfg.Targets["db"]
	if len(ts) != 4 || ts[0].Type != config.TargetWebhook || ts[0].Timeout != 3*time.Second || ts[0].Secret.Env != "HOOK_SECRET" ||
		ts[1].Command != "/usr/local/bin/grant" || ts[1].Args[1] != "prod" || ts[1].Timeout != 10*time.Second ||
		ts[2].Usergroup != "S0DB" || ts[3].Guild != "1" || ts[3].Role != "2" {
		t.Fatalf("targets = %+v", ts)
	}
	if cfg.Slack.BotToken.Env != "ELEVATE_SLACK_BOT_TOKEN" || cfg.Slack.SigningSecret.File != "/run/secrets/slack-signing" {
		t.Fatalf("slack = %+v", cfg.Slack)
	}
	if cfg.Discord.Mode != "http" || len(cfg.Discord.Guilds) != 2 {
		t.Fatalf("discord = %+v", cfg.Discord)
	}
}

func TestTargetProblems(t *testing.T) {
	tests := []struct{ target, want string }{
		{`      - {type: webhook, url: "https://x.example"}`, `t.yaml:11: roles.db.targets[0].secret: required`},
		{`      - {type: webhook, url: "ftp://x", secret: "${S}"}`, `t.yaml:11: roles.db.targets[0].url: must be an http(s) URL`},
		{`      - {type: exec, command: grant}`, `t.yaml:11: roles.db.targets[0].command: must be an absolute path`},
		{`      - {type: carrier-pigeon}`, `t.yaml:11: roles.db.targets[0].type: unknown target type`},
		{`      - {type: discord_role, guild: "1"}`, `t.yaml:11: roles.db.targets[0].role: required`},
		{`      - {type: slack_usergroup}`, `t.yaml:11: roles.db.targets[0].usergroup: required`},
		{`      - {type: discord_role, guild: "1", role: "2", list: true}`, `t.yaml:11: roles.db.targets[0].list: only webhook and exec targets take list`},
		{`      - {type: webhook, url: "https://x.example", secret: plaintext}`, `t.yaml:11: roles.db.targets[0].secret: `},
	}
	for _, tt := range tests {
		_, err := config.Parse("t.yaml", []byte(strings.Replace(targetsBase, "%s", tt.target, 1)), time.Now())
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s:\n got %v\nwant %q", tt.target, err, tt.want)
		}
	}
}

func TestRoleNamedLikeARequestID(t *testing.T) {
	_, err := config.Parse("t.yaml", []byte(strings.Replace(strings.Replace(targetsBase, "  db:", "  r-team:", 1), "%s", "      []", 1)), time.Now())
	if err == nil || !strings.Contains(err.Error(), "looks like a request id") {
		t.Fatalf("err = %v", err)
	}
}
