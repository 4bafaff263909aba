package main

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/elevate-pim/elevate/adapters/discord/discordtest"
)

// TestServeWithDiscordHTTP wires `serve` to Discord's HTTP interactions
// from the environment and the config file: a signed /elevate request on the
// serve endpoint activates a role, whose discord_role target adds the guild
// role through the (fake) Discord API.
func TestServeWithDiscordHTTP(t *testing.T) {
	d := mustServeDiscord(t)
	d.post(t, func(id string) []byte {
		return discordtest.Command(d.where, id, "1001", "request",
			discordtest.Option{Name: "role", Value: "staging"}, discordtest.Option{Name: "duration", Value: "30m"})
	})
	d.fake.WaitFor(t, 5*time.Second, 1, "PUT", `^/guilds/g1/members/1001/roles/r1$`)
	if ok, _, _ := d.m.Service.Holds(context.Background(), "alice", "staging"); !ok {
		t.Fatal("alice does not hold staging")
	}
	// A forged interaction is refused at the serve endpoint.
	forged := discordtest.NewSigner().Request(d.url, discordtest.Command(d.where, "i2", "1001", "status"), time.Now())
	if resp, err := http.DefaultClient.Do(forged); err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("forged: %v %v", err, resp)
	}
}
