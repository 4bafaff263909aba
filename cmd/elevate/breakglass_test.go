package main

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/elevate-pim/elevate/adapters/discord/discordtest"
	"github.com/elevate-pim/elevate/adapters/slack/slacktest"
	"github.com/elevate-pim/elevate/core"
)

// breakGlassAlerts returns the break_glass_used alerts, as admin dana sees them.
func breakGlassAlerts(t *testing.T, m *Main) []core.Alert {
	t.Helper()
	open, err := m.Service.Alerts().List(context.Background(), core.Caller{Principal: "dana", Source: "test"})
	if err != nil {
		t.Fatal(err)
	}
	return slices.DeleteFunc(open, func(a core.Alert) bool { return a.Kind != core.AlertBreakGlassUsed })
}

// TestBreakGlassOnSlack: a signed slash command by bob, who is not on the
// break-glass list, is refused with a clear reply and changes nothing;
// carol's opens the window at once, adds her to the role's user group at
// the stand-in, posts the High break_glass_used alert with its follow-up
// buttons to #sec and DMs the admin.
func TestBreakGlassOnSlack(t *testing.T) {
	fake, m, base := mustServeSlack(t,
		slacktest.User{ID: "U0", Name: "dana", Email: "dana@example.com"},
		slacktest.User{ID: "U2", Name: "bob", Email: "bob@example.com"},
		slacktest.User{ID: "U3", Name: "carol", Email: "carol@example.com"})
	ctx := context.Background()

	slackSlash(t, fake, base, "U2", "bg the primary is down")
	if r := slackReply(t, fake, "bg the primary is down"); !strings.Contains(r, "not on the break-glass list of bg") {
		t.Fatalf("bob's reply: %s", r)
	}
	if held, _, _ := m.Service.Holds(ctx, "bob", "bg"); held || len(breakGlassAlerts(t, m)) != 0 {
		t.Fatalf("bob's refused break-glass changed something: holds %v, alerts %+v", held, breakGlassAlerts(t, m))
	}

	slackSlash(t, fake, base, "U3", "bg slack approvers asleep, db on fire")
	waitFor(t, "carol added to S2", 5*time.Second, func() bool { g, _ := fake.Group("S2"); return slices.Contains(g.Members, "U3") })
	if held, _, _ := m.Service.Holds(ctx, "carol", "bg"); !held {
		t.Fatal("carol holds no window of bg")
	}
	var open []core.Alert
	waitFor(t, "the break-glass alert", 5*time.Second, func() bool { open = breakGlassAlerts(t, m); return len(open) > 0 })
	if len(open) != 1 || open[0].Severity != core.SeverityHigh {
		t.Fatalf("break-glass alerts: %+v", open)
	}
	id := open[0].ID
	posted := func(channel string) func() bool {
		return func() bool {
			for _, msg := range fake.Messages(channel) {
				all := msg.Text + string(msg.Blocks)
				if strings.Contains(all, "Security alert (high): break_glass_used") && strings.Contains(all, "db on fire") &&
					strings.Contains(all, "alerts revoke "+id) && strings.Contains(all, "alerts ack "+id) {
					return true
				}
			}
			return false
		}
	}
	waitFor(t, "the High alert in #sec with Revoke now and Acknowledge", 5*time.Second, posted("C1"))
	waitFor(t, "the alert in dana's DMs", 5*time.Second, posted(slacktest.DM("U0")))
	if g, _ := fake.Group("S2"); slices.Contains(g.Members, "U2") {
		t.Fatal("bob was granted")
	}
}

// TestBreakGlassOnDiscord: the same over signed Discord interactions: bob
// is refused and nothing changes; carol's request opens the window, adds
// the guild role at the stand-in, posts the High alert to #sec and DMs the
// admin; the admin's Revoke now ends the window at the stand-in and
// closes the follow-up item.
func TestBreakGlassOnDiscord(t *testing.T) {
	d := mustServeDiscord(t)
	ctx := context.Background()
	request := func(user, why string) interactionReply {
		return d.post(t, func(id string) []byte {
			return discordtest.Command(d.where, id, user, "request",
				discordtest.Option{Name: "role", Value: "bg"}, discordtest.Option{Name: "justification", Value: why})
		})
	}
	if r := request("1002", "the primary is down"); !strings.Contains(r.Text(), "not on the break-glass list of bg") {
		t.Fatalf("bob's reply: %s", r.Text())
	}
	if held, _, _ := d.m.Service.Holds(ctx, "bob", "bg"); held || len(breakGlassAlerts(t, d.m)) != 0 ||
		len(d.fake.Find("PUT", `/guilds/g1/members/.*/roles/r9`)) != 0 {
		t.Fatal("bob's refused break-glass changed something")
	}

	request("1003", "discord approvers asleep, db on fire")
	d.fake.WaitFor(t, 5*time.Second, 1, "PUT", `/guilds/g1/members/1003/roles/r9`)
	if held, _, _ := d.m.Service.Holds(ctx, "carol", "bg"); !held {
		t.Fatal("carol holds no window of bg")
	}
	var open []core.Alert
	waitFor(t, "the break-glass alert", 5*time.Second, func() bool { open = breakGlassAlerts(t, d.m); return len(open) > 0 })
	if len(open) != 1 || open[0].Severity != core.SeverityHigh {
		t.Fatalf("break-glass alerts: %+v", open)
	}
	id := open[0].ID
	revoke := "elevate:alerts revoke " + id
	alert := func(m discordtest.Message) bool {
		return strings.Contains(plain(m), "Security alert (high): break_glass_used") && strings.Contains(plain(m), "db on fire") &&
			slices.Contains(m.CustomIDs(), revoke) && slices.Contains(m.CustomIDs(), "elevate:alerts ack "+id)
	}
	post := d.alertPost(t, id, "the High alert in #sec with Revoke now and Acknowledge", alert)
	waitFor(t, "the alert in dana's DMs", 5*time.Second, func() bool {
		return slices.ContainsFunc(d.fake.Messages(discordtest.DMChannel("1000")), alert)
	})

	// The follow-up: carol cannot close it herself; dana revokes now.
	if r := d.click(t, "1003", revoke); !strings.Contains(r.Text(), "Only holders of admin") {
		t.Fatalf("carol's Revoke now: %s", r.Text())
	}
	d.click(t, "1000", revoke)
	d.fake.WaitFor(t, 5*time.Second, 1, "DELETE", `/guilds/g1/members/1003/roles/r9`)
	if held, _, _ := d.m.Service.Holds(ctx, "carol", "bg"); held {
		t.Fatal("Revoke now left the window open")
	}
	d.alertPost(t, id, "the post edited to resolved", func(m discordtest.Message) bool {
		return m.ID == post.ID && strings.HasPrefix(plain(m), "\nResolved") && strings.Contains(plain(m), "revoked by dana")
	})
}
