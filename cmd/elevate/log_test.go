package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/elevate-pim/elevate/store/redis/redistest"
)

// logLines parses a JSON log, failing t on any line that is not a zerolog
// JSON object with a level, a time and a message.
func logLines(t *testing.T, log string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for i, line := range strings.Split(strings.TrimSpace(log), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %d is not JSON: %q", i+1, line)
		}
		for _, k := range []string{"level", "time", "message"} {
			if _, ok := m[k]; !ok {
				t.Errorf("log line %d has no %q: %q", i+1, k, line)
			}
		}
		out = append(out, m)
	}
	return out
}

// TestLogOfConversation: a whole Slack conversation (request, approval,
// grant at a webhook, status, expiry, revoke), logged at debug, is JSON
// lines; none holds the signing secret, the bot token, the webhook secret
// or the MFA key; and the lines about one slash command share a
// delivery_id.
func TestLogOfConversation(t *testing.T) {
	e := newOpsEnv(t)
	e.converse()
	e.expire()
	log := e.log.String()
	lines := logLines(t, log)
	if len(lines) < 6 {
		t.Fatalf("only %d log lines at debug; the test would prove little:\n%s", len(lines), log)
	}
	for name, secret := range map[string]string{"signing secret": opsSigningSecret, "bot token": opsBotToken,
		"webhook secret": opsHookSecret, "MFA key": opsMFAKey} {
		if strings.Contains(log, secret) {
			t.Errorf("the %s appears in the log", name)
		}
	}
	var delivery string
	for _, l := range lines {
		if l["message"] == "slack delivery" && l["kind"] == "command" {
			delivery, _ = l["delivery_id"].(string)
			break
		}
	}
	if delivery == "" {
		t.Fatalf("no slack delivery line with a delivery_id:\n%s", log)
	}
	var same []map[string]any
	for _, l := range lines {
		if l["delivery_id"] == delivery {
			same = append(same, l)
		}
	}
	reply := false
	for _, l := range same {
		if l["message"] == "slack reply" && strings.HasPrefix(l["request_id"].(string), "r-") && l["principal"] == "alice" {
			reply = true
		}
	}
	if len(same) < 2 || !reply {
		t.Errorf("delivery %s: lines %v, want the delivery and its reply (with request id and principal) tied together", delivery, same)
	}
}

// TestRedisErrorsLogAsZerolog: when Redis is gone, go-redis's own
// connection errors come out as zerolog JSON lines (component go-redis,
// level error), not as go-redis's plain text on stderr.
func TestRedisErrorsLogAsZerolog(t *testing.T) {
	own := redistest.StartServer(t)
	cfg := redisConfig(t, "http://127.0.0.1:9/", 0)
	t.Setenv("ELEVATE_REDIS_URL", own.URL())
	buf := &lockedBuffer{}
	m, err := NewMain(context.Background(), cfg, zerolog.New(buf).With().Timestamp().Logger(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	own.Stop()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_, _ = m.Store.Request(ctx, "r-gone00")
		cancel()
		for _, l := range logLines(t, buf.String()) {
			if l["component"] == "go-redis" && l["level"] == "error" && strings.Contains(l["message"].(string), "dial") {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no go-redis dial error as a zerolog line:\n%s", buf.String())
		}
	}
}
