package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/elevate-pim/elevate/adapters/discord/discordtest"
	"github.com/elevate-pim/elevate/core"
)

// discordServe is `serve` wired to a Discord stand-in over HTTP interactions.
type discordServe struct {
	fake   *discordtest.Server
	signer *discordtest.Signer
	m      *Main
	url    string // the interactions endpoint
	where  discordtest.Where
	seq    int
}

// mustServeDiscord runs `serve` on the in-memory store, wired from the
// environment to a Discord stand-in. Guild g1 holds dana (1000, the
// permanent admin), alice (1001, eligible for staging, whose discord_role
// target is r1), bob (1002, eligible for staging) and carol (1003, on the
// break-glass list of bg, whose target is r9, and permanently active in
// the critical role ops); #sec is channel 9000.
func mustServeDiscord(t *testing.T) *discordServe {
	t.Helper()
	fake := discordtest.New(t)
	for _, u := range []string{"1000", "1001", "1002", "1003"} {
		fake.AddMember("g1", u)
	}
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
  bob: {discord: "1002"}
  carol: {discord: "1003"}
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
  ops:
    critical: true
    activation: {max_duration: 1h}
    assignment: {allow_permanent: true}
  bg:
    break_glass: true
    break_glass_principals: [carol]
    activation: {max_duration: 1h}
    targets:
      - {type: discord_role, guild: "g1", role: "r9"}
assignments:
  - {principal: dana, role: admin, type: active, permanent: true}
  - {principal: alice, role: staging, type: eligible, permanent: true}
  - {principal: bob, role: staging, type: eligible, permanent: true}
  - {principal: carol, role: ops, type: active, permanent: true}
discord:
  guilds: ["g1"]
`), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	m, base := mustServe(t, cfg)
	return &discordServe{fake: fake, signer: signer, m: m, url: base + "/discord/interactions",
		where: discordtest.Where{App: "app", Guild: "g1", Channel: "c1"}}
}

// interactionReply is the part of an interaction response the tests read.
type interactionReply struct {
	Type discordgo.InteractionResponseType `json:"type"`
	Data struct {
		CustomID string                    `json:"custom_id"`
		Content  string                    `json:"content"`
		Embeds   []*discordgo.MessageEmbed `json:"embeds"`
	} `json:"data"`
}

// Text is the reply's content and embeds, joined.
func (r interactionReply) Text() string {
	return discordtest.Message{Content: r.Data.Content, Embeds: r.Data.Embeds}.Text()
}

// post sends a signed interaction built by build (given a fresh id) and
// returns Discord's view of the answer.
func (d *discordServe) post(t *testing.T, build func(id string) []byte) interactionReply {
	t.Helper()
	d.seq++
	body := build("i" + string(rune('a'+d.seq/26)) + string(rune('a'+d.seq%26)))
	var resp *http.Response
	var err error
	for range 50 { // the listener is up at once; the adapter mounts as serve starts
		resp, err = http.DefaultClient.Do(d.signer.Request(d.url, body, time.Now()))
		if err == nil && resp.StatusCode != http.StatusNotFound {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("interaction: %v %v", err, resp)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var r interactionReply
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatalf("interaction answer %q: %v", raw, err)
	}
	return r
}

// click presses the button with customID as user.
func (d *discordServe) click(t *testing.T, user, customID string) interactionReply {
	t.Helper()
	return d.post(t, func(id string) []byte { return discordtest.Button(d.where, id, user, customID) })
}

// alertPost waits for the post of alert id in #sec to satisfy cond, and returns it.
func (d *discordServe) alertPost(t *testing.T, id, what string, cond func(discordtest.Message) bool) discordtest.Message {
	t.Helper()
	var got discordtest.Message
	waitFor(t, what, 5*time.Second, func() bool {
		for _, msg := range d.fake.Messages("9000") {
			if strings.Contains(plain(msg), id) && cond(msg) {
				got = msg
				return true
			}
		}
		return false
	})
	return got
}

// plain is a message's text with Discord's markdown escapes taken out.
func plain(m discordtest.Message) string { return strings.ReplaceAll(m.Text(), "\\", "") }

func mustAudited(t *testing.T, m *Main, what string, match func(core.AuditEvent) bool) {
	t.Helper()
	events, _, err := core.ReadAudit(context.Background(), m.Store, core.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(events, match) {
		t.Fatalf("not audited: %s", what)
	}
}

// TestAlertsOnDiscord: a discord_role target's guild role with a member
// elevate never granted raises a High outside_elevate alert naming them in
// #sec, with buttons; a non-admin's click on Remove changes nothing, an
// admin's takes the role away at the stand-in, is audited, and the post
// says the alert resolved. A member who left the guild raises
// deactivated_account, which an admin dismisses through the button and the
// modal it opens; Convert on standing_access makes a permanent holder eligible.
func TestAlertsOnDiscord(t *testing.T) {
	d := mustServeDiscord(t)
	ctx := context.Background()
	d.fake.AddMember("g1", "1009", "r1") // given the role by hand in the guild settings
	// alice activates through elevate: her role is granted, not outside.
	d.post(t, func(id string) []byte {
		return discordtest.Command(d.where, id, "1001", "request", discordtest.Option{Name: "role", Value: "staging"})
	})
	d.fake.WaitFor(t, 5*time.Second, 1, "PUT", `/guilds/g1/members/1001/roles/r1`)
	if err := d.m.Service.Alerts().Scan(ctx); err != nil {
		t.Fatal(err)
	}
	id := core.AlertID(core.AlertOutsideElevate, "discord_role:g1/r1")
	remove := "elevate:alerts remove " + id + " 1009"
	post := d.alertPost(t, id, "the High outside_elevate post naming 1009", func(m discordtest.Message) bool {
		return strings.Contains(plain(m), "Security alert (high): outside_elevate") && strings.Contains(m.Text(), "1009") &&
			!strings.Contains(m.Text(), "1001 is a member")
	})
	if !slices.Contains(post.CustomIDs(), remove) ||
		!slices.Contains(post.CustomIDs(), "elevate:alerts dismiss "+id) {
		t.Fatalf("alert post: %s\nbuttons %q", post.Text(), post.CustomIDs())
	}

	// Admins only: alice's click is refused and nothing changes.
	if r := d.click(t, "1001", remove); !strings.Contains(r.Text(), "Only holders of admin may act on alerts") {
		t.Fatalf("alice's Remove: %s", r.Text())
	}
	if !slices.Contains(d.fake.Roles("g1", "1009"), "r1") {
		t.Fatal("a non-admin's click removed the role")
	}
	if r := d.click(t, "1000", remove); !strings.Contains(r.Text(), "Removed 1009") {
		t.Fatalf("dana's Remove: %s", r.Text())
	}
	if got := d.fake.Roles("g1", "1009"); slices.Contains(got, "r1") || !slices.Contains(d.fake.Roles("g1", "1001"), "r1") {
		t.Fatalf("after Remove: 1009 has %v, 1001 has %v", got, d.fake.Roles("g1", "1001"))
	}
	mustAudited(t, d.m, "dana's removal of 1009", func(e core.AuditEvent) bool {
		return e.Action == "remove_outside_member" && e.Actor == "dana" && e.Source == core.PlatformDiscord && strings.Contains(e.Reason, "1009")
	})
	d.alertPost(t, id, "the post edited to resolved, its buttons gone", func(m discordtest.Message) bool {
		return m.ID == post.ID && strings.HasPrefix(m.Embeds[0].Title, "Resolved") && len(m.CustomIDs()) == 0
	})

	// bob leaves the guild while eligible.
	d.fake.Leave("g1", "1002")
	if err := d.m.Service.Alerts().Scan(ctx); err != nil {
		t.Fatal(err)
	}
	gone := core.AlertID(core.AlertDeactivatedAccount, "")
	post = d.alertPost(t, gone, "the High deactivated_account post naming bob", func(m discordtest.Message) bool {
		return strings.Contains(plain(m), "Security alert (high): deactivated_account") && strings.Contains(m.Text(), "bob")
	})
	if strings.Contains(post.Text(), "alice") || !slices.Contains(post.CustomIDs(), "elevate:alerts remove "+gone+" bob") {
		t.Fatalf("deactivated_account post: %s\nbuttons %q", post.Text(), post.CustomIDs())
	}
	// Dismiss opens a modal for the reason; submitting it dismisses.
	r := d.click(t, "1000", "elevate:alerts dismiss "+gone)
	if r.Type != discordgo.InteractionResponseModal || r.Data.CustomID == "" {
		t.Fatalf("Dismiss answered %+v, want a modal", r)
	}
	r = d.post(t, func(id string) []byte {
		return discordtest.ModalSubmit(d.where, id, "1000", r.Data.CustomID, map[string]string{"reason": "bob is on leave, HR confirmed"})
	})
	if !strings.Contains(r.Text(), "is dismissed") {
		t.Fatalf("dismiss submitted: %s", r.Text())
	}
	d.alertPost(t, gone, "the post edited to dismissed", func(m discordtest.Message) bool {
		return m.ID == post.ID && strings.HasPrefix(m.Embeds[0].Title, "Dismissed") && strings.Contains(m.Text(), "HR confirmed")
	})

	// Convert on the standing access of the critical role ops.
	standing := core.AlertID(core.AlertStandingAccess, "")
	post = d.alertPost(t, standing, "the standing_access post with Convert", func(m discordtest.Message) bool {
		return slices.Contains(m.CustomIDs(), "elevate:convert carol ops")
	})
	if r := d.click(t, "1001", "elevate:convert carol ops"); !strings.Contains(r.Text(), "Only holders of admin") {
		t.Fatalf("alice's Convert: %s", r.Text())
	}
	d.click(t, "1000", "elevate:convert carol ops")
	all, err := d.m.Store.AssignmentsByPrincipal(ctx, "carol")
	if err != nil || len(all) != 1 || all[0].Kind != core.Eligible {
		t.Fatalf("carol's assignments after Convert: %+v %v", all, err)
	}
}

// TestSIGHUPChangesWatchedTargets: a discord_role target added to the file
// is watched by outside_elevate after SIGHUP, without a restart; one taken
// out is no longer watched, and its alert resolves.
func TestSIGHUPChangesWatchedTargets(t *testing.T) {
	d := mustServeDiscord(t)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	d.m.reloadOnHangup(ctx)              // as `elevate serve` wires it
	d.fake.AddMember("g1", "1009", "r2") // given by hand
	id := core.AlertID(core.AlertOutsideElevate, "discord_role:g1/r2")
	status := func() core.AlertStatus {
		t.Helper()
		if err := d.m.Service.Alerts().Scan(ctx); err != nil {
			t.Fatal(err)
		}
		a, err := d.m.Service.Alerts().Get(ctx, core.Caller{Principal: "dana"}, id)
		if err != nil {
			return ""
		}
		return a.Status
	}
	if s := status(); s != "" {
		t.Fatalf("r2 is no target yet, but its alert is %s", s)
	}
	hangup := func(from, to string) {
		t.Helper()
		data, err := os.ReadFile(d.m.cfgFile)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(d.m.cfgFile, []byte(strings.Replace(string(data), from, to, 1)), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
	}
	r1 := "      - {type: discord_role, guild: \"g1\", role: \"r1\"}\n"
	r2 := "      - {type: discord_role, guild: \"g1\", role: \"r2\"}\n"
	hangup(r1, r1+r2)
	waitFor(t, "r2 watched after SIGHUP", 5*time.Second, func() bool { return status() == core.AlertOpen })
	hangup(r2, "")
	waitFor(t, "r2 no longer watched after SIGHUP", 5*time.Second, func() bool { return status() == core.AlertResolved })
}
