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
	"github.com/elevate-pim/elevate/store/memory"
	"github.com/elevate-pim/elevate/store/redis/redistest"
)

// replica starts an elevate on st with e's clock, as one replica of a
// deployment runs: its own service, bot and Slack adapter, with its own
// Socket Mode connection to e's fake Slack.
func (e *env) replica(st core.Store, name string) *slack.Adapter {
	e.t.Helper()
	svc, err := core.NewService(core.Config{
		Store: st, Directory: directory(), Clock: e.clock, OTP: totp.TOTP{}, MFAKey: make([]byte, 32), Targets: e.targets,
	})
	if err != nil {
		e.t.Fatal(err)
	}
	err = svc.SeedAssignments(context.Background(), []core.Assignment{{Kind: core.Eligible, Principal: "alice", Role: "staging", Permanent: true}})
	if err != nil {
		e.t.Fatal(err)
	}
	a, err := slack.New(bot.New(svc, time.UTC), st, slack.Config{
		BotToken: botToken, SigningSecret: secret, AppToken: appToken, APIURL: e.fake.APIURL(),
		Channels: map[string]string{"security": cSec, "approvals": cAppr}, Log: zerolog.New(e.logs).With().Str("replica", name).Logger(),
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

// TestSocketModeEnvelopeHandledOnceAcrossReplicas: two replicas on one
// store (memory, and Redis as production runs it) hold Socket Mode
// connections; Slack delivers one envelope to both (a redelivery of an
// envelope not acknowledged in time on the other connection): both
// acknowledge it, and its work runs once, by whichever replica claims the
// delivery in the shared store first: one activation and one reply for a
// slash command, one App Home for an event, one deactivation for a button
// click.
func TestSocketModeEnvelopeHandledOnceAcrossReplicas(t *testing.T) {
	stores := map[string]func(e *env) core.Store{
		"memory": func(e *env) core.Store { return memory.New(memory.WithClock(e.clock)) },
		"redis":  func(*env) core.Store { return redistest.NewStore(t) },
	}
	for name, newStore := range stores {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, options{}) // the fake Slack; its own adapter stays on HTTP
			st := newStore(e)
			a, b := e.replica(st, "a"), e.replica(st, "b")
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
			}
			settled := func() {
				time.Sleep(100 * time.Millisecond) // a second handler would have started by now
				a.Wait()
				b.Wait()
			}
			audited := func(action string) int {
				events, _, err := core.ReadAudit(context.Background(), st, core.AuditFilter{})
				if err != nil {
					t.Fatal(err)
				}
				n := 0
				for _, ev := range events {
					if ev.Action == action {
						n++
					}
				}
				return n
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
			open, err := st.OpenRequestsOf(context.Background(), "alice")
			if err != nil {
				t.Fatal(err)
			}
			if len(open) != 1 || open[0].State != core.StateActive {
				t.Fatalf("alice's open requests after one command: %+v", open)
			}
			if n := audited("request"); n != 1 {
				t.Fatalf("%d requests audited, want 1", n)
			}

			both("events_api", appHomeOpened(uAlice, "Ev-replicas-1"))
			e.waitFor("alice's App Home", func() bool { return e.publishes(uAlice) > 0 })
			settled()
			if n := e.publishes(uAlice); n != 1 {
				t.Fatalf("App Home published %d times for one event, want once", n)
			}

			both("interactive", e.homeClick(uAlice, button(t, e.fake.Home(uAlice), "drop ")))
			e.waitFor("the deactivation", func() bool { return audited("deactivate") > 0 })
			settled()
			if got, err := st.Request(context.Background(), open[0].ID); err != nil || got.State != core.Revoked {
				t.Fatalf("after the click the request is %+v, %v", got, err)
			}
			if n := audited("deactivate"); n != 1 {
				t.Fatalf("%d deactivations audited for one click, want 1", n)
			}
		})
	}
}
