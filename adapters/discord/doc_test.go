package discord_test

import (
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/elevate-pim/elevate/adapters/discord"
)

// The deployment guide quotes the permissions integer and the invite URL
// the code uses; this keeps them from drifting apart.
func TestDeployGuideMatchesTheCode(t *testing.T) {
	guide, err := os.ReadFile("../../deploy/discord/README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		strconv.FormatInt(discord.Permissions, 10),
		discord.InviteURL("YOUR_APP_ID"),
		"ELEVATE_DISCORD_BOT_TOKEN", "ELEVATE_DISCORD_APP_ID", "ELEVATE_DISCORD_PUBLIC_KEY",
		"ELEVATE_DISCORD_MODE", "ELEVATE_DISCORD_API_URL", "ELEVATE_DISCORD_GUILDS", "ELEVATE_HTTP_ADDR",
		discord.InteractionsPath,
	} {
		if !strings.Contains(string(guide), want) {
			t.Errorf("deploy/discord/README.md does not mention %q", want)
		}
	}
}
