package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/elevate-pim/elevate/adapters/discord/discordtest"
	"github.com/elevate-pim/elevate/adapters/slack/slacktest"
	"github.com/elevate-pim/elevate/core"
)

// TestAcknowledgedCommandsSurviveKill: an `elevate serve` acknowledges 50
// signed slash commands (activations of a role whose webhook grant hangs)
// and is SIGKILLed; a restarted replica and another one answer every
// command once on its response_url, and none runs twice: one request,
// one "request" audit event and one grant per user.
func TestAcknowledgedCommandsSurviveKill(t *testing.T) {
	const n = 50
	e, hook, dying, addr := dyingSlackServe(t, n)
	postSignedAll(t, n, "http://"+addr+"/slack/commands", func(i int) url.Values {
		return url.Values{"command": {"/elevate"}, "text": {fmt.Sprintf("svc for 30m INC-%d", i)}, "user_id": {"UP" + itoa(i)}, "team_id": {"T1"},
			"channel_id": {"C9"}, "trigger_id": {"trig-" + itoa(i)}, "response_url": {e.slack.ResponseURL("c" + itoa(i))}}
	}, func(body []byte) bool { return len(body) == 0 }, "an empty acknowledgement")
	// Killed with some commands hanging in their grant and the rest queued.
	waitFor(t, "a grant call", 10*time.Second, func() bool { return hook.arrivedCount("grant") > 0 })
	_ = dying.Process.Signal(syscall.SIGKILL)
	_ = dying.Wait()
	started, answered := hook.arrivedCount("grant"), len(e.slack.Calls("response_url"))
	t.Logf("at the kill: %d grants started, %d commands answered", started, answered)
	if answered == n {
		t.Fatal("every command was answered before the kill: nothing was left to take over")
	}
	hook.openAfterKill(t, "grant")
	startServe(t, e.cfg) // the restarted replica
	startServe(t, e.cfg) // another one

	replies := func(i int) []string {
		var out []string
		for _, c := range e.slack.Calls("response_url") {
			if c.Params.Get("id") == "c"+itoa(i) {
				out = append(out, string(c.JSON))
			}
		}
		return out
	}
	waitFor(t, "every command answered", 60*time.Second, func() bool {
		for i := range n {
			if len(replies(i)) == 0 {
				return false
			}
		}
		return true
	})
	time.Sleep(2 * time.Second) // room for a doubled answer or grant (two leases)

	for i := range n {
		if r := replies(i); len(r) != 1 || !strings.Contains(r[0], "active until") {
			t.Errorf("p%d: answered %d times: %q; want once, active", i, len(r), r)
		}
	}
	e.ranOnce(t, n, core.PlatformSlack)
}

// waitServing waits until serve listens on addr.
func waitServing(t *testing.T, addr string) {
	t.Helper()
	waitFor(t, "the replica to serve", 15*time.Second, func() bool {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
}

// ranOnce checks that p0…p(n-1) each activated svc once: one active
// request, one "request" audit event, one grant at the webhook; and that
// platform's inbox is empty.
func (e *durableEnv) ranOnce(t *testing.T, n int, platform string) {
	t.Helper()
	m := mustMain(t, e.cfg, false)
	ctx := context.Background()
	events, _, err := core.ReadAudit(ctx, m.Store, core.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	requested := map[string]int{}
	for _, ev := range events {
		if ev.Action == "request" {
			requested[ev.Actor]++
		}
	}
	for i := range n {
		p := "p" + itoa(i)
		open, err := m.Store.OpenRequestsOf(ctx, p)
		if err != nil || len(open) != 1 || open[0].State != core.StateActive {
			t.Errorf("%s: open requests %+v %v, want one active", p, open, err)
			continue
		}
		if requested[p] != 1 {
			t.Errorf("%s: %d request audit events, want 1", p, requested[p])
		}
		if ids, _ := e.hook.answered("grant", open[0].ID); len(ids) != 1 {
			t.Errorf("%s: %d grants of %s made, want 1", p, len(ids), open[0].ID)
		}
	}
	jobs, _ := m.Store.Jobs(ctx)
	for _, j := range jobs {
		if j.Kind == core.InboxJob(platform) {
			t.Errorf("inbox item left: %+v", j)
		}
	}
}

// TestAcknowledgedInteractionsSurviveKill: an `elevate serve` defers 10
// signed Discord slash commands (activations whose grant hangs) and is
// SIGKILLed; the other replicas answer each once by editing its deferred
// response, and none runs twice.
func TestAcknowledgedInteractionsSurviveKill(t *testing.T) {
	const n = 10
	t.Setenv("ELEVATE_JOB_LEASE", "1s")
	elevateBinary(t)
	hook := newGatedHook(t, "grant")
	e := newDurableEnv(t, hook, n)
	fake, signer := discordtest.New(t), discordtest.NewSigner()
	t.Setenv("ELEVATE_SLACK_BOT_TOKEN", "")
	t.Setenv("ELEVATE_DISCORD_BOT_TOKEN", "bot-token")
	t.Setenv("ELEVATE_DISCORD_APP_ID", "app")
	t.Setenv("ELEVATE_DISCORD_PUBLIC_KEY", signer.PublicKeyHex())
	t.Setenv("ELEVATE_DISCORD_MODE", "http")
	t.Setenv("ELEVATE_DISCORD_API_URL", fake.URL())
	f, err := os.OpenFile(e.cfg, os.O_APPEND|os.O_WRONLY, 0)
	if err == nil {
		_, err = f.WriteString("discord:\n  guilds: [\"g1\"]\n")
		f.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	dying := startServe(t, e.cfg, "ELEVATE_HTTP_ADDR="+addr)
	waitServing(t, addr)
	where := discordtest.Where{App: "app", Guild: "g1", Channel: "c1"}
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body := discordtest.Command(where, "i"+itoa(i), itoa(3000+i), "request",
				discordtest.Option{Name: "role", Value: "svc"}, discordtest.Option{Name: "duration", Value: "30m"})
			var raw []byte
			var status int
			for range 100 { // the adapter mounts as serve starts
				resp, err := http.DefaultClient.Do(signer.Request("http://"+addr+"/discord/interactions", body, time.Now()))
				if err != nil {
					t.Errorf("interaction %d: %v", i, err)
					return
				}
				raw, _ = io.ReadAll(resp.Body)
				resp.Body.Close()
				if status = resp.StatusCode; status != http.StatusNotFound {
					break
				}
				time.Sleep(20 * time.Millisecond)
			}
			var r discordgo.InteractionResponse
			if err := json.Unmarshal(raw, &r); status != http.StatusOK || err != nil || r.Type != discordgo.InteractionResponseDeferredChannelMessageWithSource {
				t.Errorf("interaction %d: HTTP %d %s, want a deferral", i, status, raw)
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	waitFor(t, "a grant call", 10*time.Second, func() bool { return hook.arrivedCount("grant") > 0 })
	_ = dying.Process.Signal(syscall.SIGKILL)
	_ = dying.Wait()
	edits := func(i int) []discordtest.Call {
		return fake.Find("PATCH", "^/webhooks/app/"+discordtest.Token("i"+itoa(i))+"/messages/@original$")
	}
	answered := 0
	for i := range n {
		answered += len(edits(i))
	}
	t.Logf("at the kill: %d grants started, %d interactions answered", hook.arrivedCount("grant"), answered)
	hook.openAfterKill(t, "grant")
	startServe(t, e.cfg)
	startServe(t, e.cfg)
	waitFor(t, "every interaction answered", 60*time.Second, func() bool {
		for i := range n {
			if len(edits(i)) == 0 {
				return false
			}
		}
		return true
	})
	time.Sleep(2 * time.Second) // room for a doubled answer or grant
	for i := range n {
		if got := edits(i); len(got) != 1 || !strings.Contains(string(got[0].Body), "active until") {
			var bodies []string
			for _, c := range got {
				bodies = append(bodies, string(c.Body))
			}
			t.Errorf("p%d: answered %d times: %q; want once, active", i, len(got), bodies)
		}
	}
	e.ranOnce(t, n, core.PlatformDiscord)
}

// TestAcknowledgedSubmissionsSurviveKill: an `elevate serve` takes 10
// signed activation-form submissions (svcj asks for a justification; the
// grant hangs, so each modal is closed after the submit wait) and is
// SIGKILLed; the other replicas run each once and tell its user by DM
// once: one request, one "request" audit event and one grant per user.
func TestAcknowledgedSubmissionsSurviveKill(t *testing.T) {
	const n = 10
	e, hook, dying, addr := dyingSlackServe(t, n)

	// The activation form, as `/elevate svcj` (no justification) opens it.
	form := url.Values{"command": {"/elevate"}, "text": {"svcj"}, "user_id": {"UP0"}, "team_id": {"T1"},
		"channel_id": {"C9"}, "trigger_id": {"trig-form"}, "response_url": {e.slack.ResponseURL("form")}}
	slackPost(t, "http://"+addr+"/slack/commands", "signing-secret", form).Body.Close()
	waitFor(t, "the form to open", 15*time.Second, func() bool { return len(e.slack.Calls("views.open")) > 0 })
	var opened struct {
		View map[string]any `json:"view"`
	}
	if err := json.Unmarshal(e.slack.Calls("views.open")[0].JSON, &opened); err != nil || opened.View == nil {
		t.Fatalf("views.open: %s %v", e.slack.Calls("views.open")[0].JSON, err)
	}
	submission := func(i int) string {
		view := map[string]any{}
		for k, v := range opened.View {
			view[k] = v
		}
		view["id"], view["hash"] = "VFORM"+itoa(i), "h"+itoa(i)
		values := map[string]string{"role": "svcj", "duration": "30m", "justification": "submitted form " + itoa(i)}
		state := map[string]any{}
		for _, in := range slacktest.Inputs(mustJSONBytes(t, view)) {
			name := strings.TrimPrefix(in.BlockID, "elevate:in:")
			v, ok := values[name]
			if !ok {
				v = in.Initial
			}
			action := map[string]any{"type": "plain_text_input", "value": v}
			if in.Element == "static_select" {
				action = map[string]any{"type": "static_select", "selected_option": map[string]any{"text": map[string]any{"type": "plain_text", "text": v}, "value": v}}
			}
			state[in.BlockID] = map[string]any{in.ActionID: action}
		}
		view["state"] = map[string]any{"values": state}
		return string(mustJSONBytes(t, map[string]any{"type": "view_submission", "api_app_id": "A0ELEVATE",
			"user": map[string]any{"id": "UP" + itoa(i), "team_id": "T1"}, "team": map[string]any{"id": "T1"}, "view": view}))
	}
	postSignedAll(t, n, "http://"+addr+"/slack/interactions", func(i int) url.Values { return url.Values{"payload": {submission(i)}} },
		func(body []byte) bool { return !strings.Contains(string(body), "errors") }, "the modal closed")
	waitFor(t, "a grant call", 10*time.Second, func() bool { return hook.arrivedCount("grant") > 0 })
	_ = dying.Process.Signal(syscall.SIGKILL)
	_ = dying.Wait()
	hook.openAfterKill(t, "grant")
	startServe(t, e.cfg)
	startServe(t, e.cfg)

	// The submission's answer (beside it, the "Activated" notice goes to
	// every requester by DM).
	told := func(i int) (n int) {
		for _, m := range e.slack.Messages(slacktest.DM("UP" + itoa(i))) {
			if strings.HasPrefix(m.Text, "svcj is active until") {
				n++
			}
		}
		return n
	}
	waitFor(t, "every submission answered", 60*time.Second, func() bool {
		for i := range n {
			if told(i) == 0 {
				return false
			}
		}
		return true
	})
	time.Sleep(2 * time.Second) // room for a doubled answer or grant (two leases)
	for i := range n {
		if got := told(i); got != 1 {
			t.Errorf("p%d: told %d times that the window is active, want once", i, got)
		}
	}
	e.ranOnce(t, n, core.PlatformSlack)
}

// dyingSlackServe sets up the Slack inbox crash tests: n principals, grants
// held at the webhook, 1 s job leases, and one `elevate serve` on addr,
// the replica to kill.
func dyingSlackServe(t *testing.T, n int) (e *durableEnv, hook *gatedHook, dying *exec.Cmd, addr string) {
	t.Helper()
	t.Setenv("ELEVATE_JOB_LEASE", "1s")
	elevateBinary(t)
	hook = newGatedHook(t, "grant")
	e = newDurableEnv(t, hook, n)
	addr = freeAddr(t)
	dying = startServe(t, e.cfg, "ELEVATE_HTTP_ADDR="+addr)
	waitServing(t, addr)
	return e, hook, dying, addr
}

// postSignedAll sends n signed Slack requests to endpoint at once, form(i)
// the i-th, and stops the test unless each is answered 200 with a body
// that acceptable takes (want says what that is).
func postSignedAll(t *testing.T, n int, endpoint string, form func(i int) url.Values, acceptable func(body []byte) bool, want string) {
	t.Helper()
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := signedSlackRequest(endpoint, "signing-secret", form(i))
			if err != nil {
				t.Errorf("request %d: %v", i, err)
				return
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || !acceptable(body) {
				t.Errorf("request %d: HTTP %d %s, want %s", i, resp.StatusCode, body, want)
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
}

// mustJSONBytes marshals v or fails the test.
func mustJSONBytes(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
