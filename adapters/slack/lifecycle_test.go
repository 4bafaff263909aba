package slack_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/elevate-pim/elevate/adapters/slack"
)

// TestCloseRefusesNewWork: after Close, deliveries get 503 (Slack retries
// events elsewhere) and change nothing; Socket Mode disconnects.
func TestCloseRefusesNewWork(t *testing.T) {
	e := newEnv(t, options{appToken: appToken})
	if err := e.a.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !e.fake.WaitConnected(5 * time.Second) {
		t.Fatal("no socket connection")
	}
	if err := e.a.Start(context.Background()); err == nil {
		t.Error("a second Start succeeded")
	}
	e.waitFor("the token check", func() bool { return len(e.fake.Calls("auth.test")) == 1 })
	e.a.Close()
	e.a.Wait()
	if !e.fake.WaitDisconnected(5 * time.Second) {
		t.Error("the socket stayed connected after Close")
	}
	form, _, _ := e.slashForm(uAlice, "staging for 1h")
	if rec := e.post("/slack/commands", form); rec.Code != http.StatusServiceUnavailable {
		t.Errorf("command after Close: status %d, want 503", rec.Code)
	}
	e.a.Wait()
	if n := e.auditCount("request"); n != 0 {
		t.Errorf("%d requests after Close", n)
	}
}

// TestEnvConfig: the environment variables cmd reads, and the channel table.
func TestEnvConfig(t *testing.T) {
	env := map[string]string{
		"ELEVATE_SLACK_BOT_TOKEN": "xoxb-1", "ELEVATE_SLACK_SIGNING_SECRET": "s",
		"ELEVATE_SLACK_APP_TOKEN": "xapp-1", "ELEVATE_SLACK_API_URL": "http://127.0.0.1:1/api/",
	}
	c := slack.EnvConfig(func(k string) string { return env[k] })
	if c.BotToken != "xoxb-1" || c.SigningSecret != "s" || c.AppToken != "xapp-1" || c.APIURL != "http://127.0.0.1:1/api/" {
		t.Errorf("EnvConfig = %+v", c)
	}
}
