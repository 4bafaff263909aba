package slack_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/elevate-pim/elevate/adapters/slack/slacktest"
	"github.com/elevate-pim/elevate/bot"
	"github.com/elevate-pim/elevate/notifications"
)

// TestRateLimitedPostIsRetried: a 429 with Retry-After: 1 is waited out,
// and the post arrives after the retry.
func TestRateLimitedPostIsRetried(t *testing.T) {
	e := newEnv(t, options{})
	e.fake.Fail("chat.postMessage", slacktest.Failure{Status: 429, RetryAfter: time.Second})
	ref, err := e.a.Post(context.Background(), notifications.Destination{Channel: "security"}, bot.Message{Title: "Security alert", Text: "posted after the retry"})
	if err != nil {
		t.Fatalf("Post: %v", err)
	}
	calls := e.fake.Calls("chat.postMessage")
	if len(calls) != 2 || calls[0].Status != 429 || calls[1].Status != 200 {
		t.Fatalf("chat.postMessage calls = %+v, want a 429 then a success", calls)
	}
	if wait := calls[1].At.Sub(calls[0].At); wait < 900*time.Millisecond {
		t.Errorf("retried after %v, want Retry-After's 1s", wait)
	}
	msgs := e.fake.Messages(cSec)
	if len(msgs) != 1 || !strings.Contains(msgs[0].Text, "posted after the retry") {
		t.Fatalf("messages in the security channel = %+v", msgs)
	}
	if ref.Platform != "slack" || ref.ID != cSec+"/"+msgs[0].TS {
		t.Errorf("ref = %+v, want slack %s/%s", ref, cSec, msgs[0].TS)
	}
	if !strings.Contains(e.logs.String(), "slack rate limit") {
		t.Error("the rate limit was not logged")
	}
}

// TestPostRoutes: channels map through Config.Channels, principals to DMs;
// what has no Slack address is notifications.ErrNoRoute, and refs of other
// platforms are not updated.
func TestPostRoutes(t *testing.T) {
	e := newEnv(t, options{})
	ctx := context.Background()
	m := bot.Message{Text: "hello"}
	for _, d := range []notifications.Destination{{Channel: "nowhere"}, {Principal: "ghost"}} {
		if _, err := e.a.Post(ctx, d, m); !errors.Is(err, notifications.ErrNoRoute) {
			t.Errorf("Post(%v) = %v, want ErrNoRoute", d, err)
		}
	}
	if err := e.a.Update(ctx, notifications.Ref{Platform: "discord", ID: "1/2"}, m); !errors.Is(err, notifications.ErrNoRoute) {
		t.Errorf("Update of a discord ref = %v, want ErrNoRoute", err)
	}
	// carol has no Slack id in the config: her DM is found by her email.
	ref, err := e.a.Post(ctx, notifications.Destination{Principal: "carol"}, m)
	if err != nil || !strings.HasPrefix(ref.ID, slacktest.DM(uCarol)+"/") {
		t.Fatalf("Post to carol = %+v, %v; want her DM", ref, err)
	}
	if err := e.a.Update(ctx, ref, bot.Message{Text: "updated"}); err != nil {
		t.Fatal(err)
	}
	if got := e.fake.Messages(slacktest.DM(uCarol)); len(got) != 1 || got[0].Text != "updated" || got[0].Updates != 1 {
		t.Errorf("carol's DM after update = %+v", got)
	}
}
