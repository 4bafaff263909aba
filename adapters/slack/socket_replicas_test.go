package slack_test

import (
	"context"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/elevate-pim/elevate/adapters/slack"
	"github.com/elevate-pim/elevate/bot"
	"github.com/elevate-pim/elevate/core"
	"github.com/elevate-pim/elevate/core/totp"
)

// replica starts a second elevate on e's store and clock, as another
// replica of the deployment would run: its own service, bot and Slack
// adapter, with its own Socket Mode connection to the fake Slack.
func (e *env) replica() *slack.Adapter {
	e.t.Helper()
	svc, err := core.NewService(core.Config{
		Store: e.store, Directory: directory(), Clock: e.clock, OTP: totp.TOTP{}, MFAKey: make([]byte, 32), Targets: e.targets,
		Events: core.EventSinkFunc(func(ctx context.Context, ev core.Event) { e.notifier.Publish(ctx, ev) }),
	})
	if err != nil {
		e.t.Fatal(err)
	}
	a, err := slack.New(bot.New(svc, time.UTC), e.store, slack.Config{
		BotToken: botToken, SigningSecret: secret, AppToken: appToken, APIURL: e.fake.APIURL(),
		Channels: map[string]string{"security": cSec, "approvals": cAppr}, Log: zerolog.New(e.logs).With().Str("replica", "b").Logger(),
	})
	if err != nil {
		e.t.Fatal(err)
	}
	if err := a.Start(context.Background()); err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() {
		a.Close()
		a.Wait()
	})
	return a
}

// TestSocketModeEnvelopeHandledOnceAcrossReplicas: two replicas hold
// Socket Mode connections; Slack delivers one envelope to both (a
// redelivery of an envelope not acknowledged in time on the other
// connection): both acknowledge it, and its work runs once, by whichever
// replica claims the delivery in the shared store first: one activation
// and one reply for a slash command, one App Home for an event, one
// deactivation and one reply for a button click.
func TestSocketModeEnvelopeHandledOnceAcrossReplicas(t *testing.T) {
	e := newEnv(t, options{appToken: appToken})
	if err := e.a.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		e.a.Close()
		e.a.Wait()
	})
	b := e.replica()
	e.waitFor("two socket connections", func() bool { return e.fake.Connected() == 2 })
	both := func(typ string, payload any) {
		t.Helper()
		id, err := e.fake.SendAll(typ, payload)
		if err != nil {
			t.Fatal(err)
		}
		e.waitFor("both acknowledgements of "+id, func() bool {
			n := 0
			for _, a := range e.fake.Acks() {
				if a.EnvelopeID == id {
					n++
				}
			}
			return n == 2
		})
		e.a.Wait()
		b.Wait()
	}
	settled := func() {
		time.Sleep(100 * time.Millisecond) // a second handler would have answered by now
		e.a.Wait()
		b.Wait()
	}

	form, _, resp := e.slashForm(uAlice, "staging for 1h")
	payload := map[string]string{}
	for k := range form {
		payload[k] = form.Get(k)
	}
	both("slash_commands", payload)
	e.waitResponse(resp)
	settled()
	if n := len(e.responses(resp)); n != 1 {
		t.Fatalf("the command was answered %d times, want once", n)
	}
	open, err := e.store.OpenRequestsOf(context.Background(), "alice")
	if err != nil {
		t.Fatal(err)
	}
	if len(open) != 1 || open[0].State != core.StateActive {
		t.Fatalf("alice's open requests after one command: %+v", open)
	}
	if n := e.auditCount("request"); n != 1 {
		t.Fatalf("%d requests audited, want 1", n)
	}

	both("events_api", appHomeOpened(uBob, "Ev-replicas-1"))
	e.waitFor("bob's App Home", func() bool { return e.publishes(uBob) > 0 })
	settled()
	if n := e.publishes(uBob); n != 1 {
		t.Fatalf("App Home published %d times for one event, want once", n)
	}

	home := e.fake.Home(uAlice)
	if home == nil {
		both("events_api", appHomeOpened(uAlice, "Ev-replicas-2"))
		e.waitFor("alice's App Home", func() bool { return e.fake.Home(uAlice) != nil })
		home = e.fake.Home(uAlice)
	}
	before := e.auditCount("")
	both("interactive", e.homeClick(uAlice, button(t, home, "drop ")))
	e.waitFor("the deactivation", func() bool { return e.auditCount("") > before })
	settled()
	if got := e.mustGet(open[0].ID); got.State != core.Revoked {
		t.Fatalf("after the click the request is %s", got.State)
	}
	if n := e.auditCount("deactivate"); n != 1 {
		t.Fatalf("%d deactivations audited for one click, want 1", n)
	}
}
