package main

import (
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/elevate-pim/elevate/adapters/slack/slacktest"
	"github.com/elevate-pim/elevate/store/redis/redistest"
)

// TestSIGTERMFlushesWork: `elevate serve` gets SIGTERM while a slash
// command's activation waits on a slow target. The process exits 0 within
// ELEVATE_SHUTDOWN_GRACE, and before it does the grant reaches the target,
// the requester gets the reply and the channel gets the activation post
// (an event raised while the chat adapter drains).
func TestSIGTERMFlushesWork(t *testing.T) {
	elevateBinary(t)
	fake := slacktest.New()
	t.Cleanup(fake.Close)
	fake.AddUser(slacktest.User{ID: "U1", Name: "alice"})
	granted := make(chan struct{}, 1)
	slow := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(time.Second)
		select {
		case granted <- struct{}{}:
		default:
		}
	})}
	hookLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go slow.Serve(hookLn)
	t.Cleanup(func() { slow.Close() })

	dir := t.TempDir()
	cfg := filepath.Join(dir, "elevate.yaml")
	err = os.WriteFile(cfg, []byte(`admin_role: admin
principals:
  dana: {slack: U0}
  alice: {slack: U1}
channels:
  sec: {slack: C1}
notifications: {channel: sec}
roles:
  admin:
    activation: {max_duration: 1h}
    assignment: {allow_permanent: true}
  staging:
    activation: {max_duration: 1h}
    targets:
      - {type: webhook, url: "http://`+hookLn.Addr().String()+`/hook", secret: "${HOOK_SECRET}", timeout: 5s}
assignments:
  - {principal: dana, role: admin, type: active, permanent: true}
  - {principal: alice, role: staging, type: eligible, permanent: true}
`), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	cmd := exec.Command(elevateBinary(t), "serve", "--config", cfg)
	cmd.Env = append(os.Environ(), "ELEVATE_HTTP_ADDR="+addr, "ELEVATE_REDIS_URL="+redistest.URL(t), "ELEVATE_REDIS_PREFIX="+redistest.NewPrefix(t),
		"HOOK_SECRET=s", "ELEVATE_SHUTDOWN_GRACE=8s", "ELEVATE_SLACK_BOT_TOKEN=xoxb-test", "ELEVATE_SLACK_SIGNING_SECRET=signing-secret",
		"ELEVATE_SLACK_APP_TOKEN=", "ELEVATE_SLACK_API_URL="+fake.APIURL(), "ELEVATE_DISCORD_BOT_TOKEN=")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	var waitErr error
	go func() { waitErr = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})

	form := url.Values{"command": {"/elevate"}, "text": {"staging for 30m"}, "user_id": {"U1"}, "team_id": {"T1"},
		"channel_id": {"C9"}, "trigger_id": {"trig-1"}, "response_url": {fake.ResponseURL("r1")}}
	var resp *http.Response
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if resp = slackPostNoFail("http://"+addr+"/slack/commands", "signing-secret", form); resp != nil && resp.StatusCode == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve never acknowledged the command:\n%s", stderr.String())
		}
	}
	// The target is still working on the grant: shut down now.
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	sent := time.Now()
	select {
	case <-exited:
		if waitErr != nil {
			t.Fatalf("serve exited with %v after SIGTERM:\n%s", waitErr, stderr.String())
		}
		if took := time.Since(sent); took > 9*time.Second {
			t.Fatalf("serve took %v to stop; the grace is 8s", took)
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("serve still running 15s after SIGTERM (grace 8s):\n%s", stderr.String())
	}
	select {
	case <-granted:
	default:
		t.Error("the grant in flight at SIGTERM never reached the target")
	}
	if len(fake.Calls("response_url")) == 0 {
		t.Error("the requester got no reply before serve exited")
	}
	var posted bool
	for _, m := range fake.Messages("C1") {
		posted = posted || strings.Contains(string(m.Blocks), "activated staging")
	}
	if !posted {
		t.Errorf("the activation post raised while the adapter drained was lost; channel C1: %+v\n%s", fake.Messages("C1"), stderr.String())
	}
}

// slackPostNoFail is slackPost for a server that may not listen yet: nil when it does not.
func slackPostNoFail(endpoint, secret string, form url.Values) *http.Response {
	resp, err := signedSlackRequest(endpoint, secret, form)
	if err != nil {
		return nil
	}
	resp.Body.Close()
	return resp
}
