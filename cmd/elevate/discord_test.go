package main

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/elevate-pim/elevate/adapters/discord/discordtest"
)

// TestServeWithDiscordHTTP wires `serve` to Discord's HTTP interactions
// from the environment and the config file: a signed /elevate request on the
// serve endpoint activates a role, whose discord_role target adds the guild
// role through the (fake) Discord API.
func TestServeWithDiscordHTTP(t *testing.T) {
	fake := discordtest.New(t)
	fake.AddMember("g1", "1001")
	signer := discordtest.NewSigner()
	t.Setenv("ELEVATE_REDIS_URL", "")
	t.Setenv("ELEVATE_DISCORD_BOT_TOKEN", "bot-token")
	t.Setenv("ELEVATE_DISCORD_APP_ID", "app")
	t.Setenv("ELEVATE_DISCORD_PUBLIC_KEY", signer.PublicKeyHex())
	t.Setenv("ELEVATE_DISCORD_MODE", "http")
	t.Setenv("ELEVATE_SLACK_BOT_TOKEN", "")
	t.Setenv("ELEVATE_DISCORD_API_URL", fake.URL())
	cfg := filepath.Join(t.TempDir(), "elevate.yaml")
	err := os.WriteFile(cfg, []byte(`admin_role: admin
principals:
  dana: {discord: "1000"}
  alice: {discord: "1001"}
channels:
  sec: {discord: "9000"}
notifications: {channel: sec}
roles:
  admin:
    activation: {max_duration: 1h}
    assignment: {allow_permanent: true}
  staging:
    activation: {max_duration: 1h}
    targets:
      - {type: discord_role, guild: "g1", role: "r1"}
assignments:
  - {principal: dana, role: admin, type: active, permanent: true}
  - {principal: alice, role: staging, type: eligible, permanent: true}
discord:
  guilds: ["g1"]
`), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	m, base := mustServe(t, cfg)

	url := base + "/discord/interactions"
	where := discordtest.Where{App: "app", Guild: "g1", Channel: "c1"}
	body := discordtest.Command(where, "i1", "1001", "request",
		discordtest.Option{Name: "role", Value: "staging"}, discordtest.Option{Name: "duration", Value: "30m"})
	var resp *http.Response
	for range 50 { // the listener is up at once; the adapter mounts as serve starts
		resp, err = http.DefaultClient.Do(signer.Request(url, body, time.Now()))
		if err == nil && resp.StatusCode != http.StatusNotFound {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("interaction: %v %v", err, resp)
	}
	resp.Body.Close()
	fake.WaitFor(t, 5*time.Second, 1, "PUT", `^/guilds/g1/members/1001/roles/r1$`)
	if ok, _, _ := m.Service.Holds(context.Background(), "alice", "staging"); !ok {
		t.Fatal("alice does not hold staging")
	}
	// A forged interaction is refused at the serve endpoint.
	forged := discordtest.NewSigner().Request(url, discordtest.Command(where, "i2", "1001", "status"), time.Now())
	if resp, err := http.DefaultClient.Do(forged); err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("forged: %v %v", err, resp)
	}
}
