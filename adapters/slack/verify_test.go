package slack_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestForgedRequestsAreRefused: a forged signature, a stale timestamp,
// missing headers or an altered body get 401 on every endpoint, and
// nothing happens: no Slack call, no request, no audit event.
func TestForgedRequestsAreRefused(t *testing.T) {
	e := newEnv(t, options{})
	slash, _, _ := e.slashForm(uAlice, "staging for 1h")
	click, _ := e.click(uBob, slackMessageStub(), buttonStub("approve r-aaaaaa"))
	clickBody := url.Values{"payload": {string(mustJSON(t, click))}}.Encode()
	eventBody := string(mustJSON(t, appHomeOpened(uAlice, "Ev-forged")))
	bodies := map[string]struct{ ctype, body string }{
		"/slack/commands":     {"application/x-www-form-urlencoded", slash.Encode()},
		"/slack/interactions": {"application/x-www-form-urlencoded", clickBody},
		"/slack/events":       {"application/json", eventBody},
	}
	forgeries := []struct {
		name    string
		headers func(body []byte) http.Header
		body    func(body []byte) []byte
	}{
		{"wrong secret", func(b []byte) http.Header {
			h := signed(time.Now(), b)
			h.Set("X-Slack-Signature", "v0="+strings.Repeat("ab", 32))
			return h
		}, nil},
		{"stale timestamp", func(b []byte) http.Header { return signed(time.Now().Add(-6*time.Minute), b) }, nil},
		{"future timestamp", func(b []byte) http.Header { return signed(time.Now().Add(6*time.Minute), b) }, nil},
		{"no headers", func([]byte) http.Header { return http.Header{} }, nil},
		{"no signature", func(b []byte) http.Header {
			h := signed(time.Now(), b)
			h.Del("X-Slack-Signature")
			return h
		}, nil},
		{"no timestamp", func(b []byte) http.Header {
			h := signed(time.Now(), b)
			h.Del("X-Slack-Request-Timestamp")
			return h
		}, nil},
		{"signature without v0", func(b []byte) http.Header {
			h := signed(time.Now(), b)
			h.Set("X-Slack-Signature", strings.TrimPrefix(h.Get("X-Slack-Signature"), "v0="))
			return h
		}, nil},
		{"body altered after signing", func(b []byte) http.Header { return signed(time.Now(), b) },
			func(b []byte) []byte { return append(append([]byte(nil), b...), "&text=admin"...) }},
	}
	for path, in := range bodies {
		for _, f := range forgeries {
			body := []byte(in.body)
			h := f.headers(body)
			if f.body != nil {
				body = f.body(body)
			}
			if rec := e.do(path, in.ctype, body, h); rec.Code != http.StatusUnauthorized {
				t.Errorf("%s, %s: status %d, want 401", path, f.name, rec.Code)
			}
		}
	}
	e.settle()
	if calls := e.fake.Calls(); len(calls) != 0 {
		t.Errorf("forged requests caused Slack calls: %+v", calls)
	}
	if n := e.auditCount("request"); n != 0 {
		t.Errorf("forged requests created %d requests", n)
	}

	// The same command, correctly signed, does act: the refusals above were the signature's doing.
	e.slash(uAlice, "staging for 1h")
	e.settle()
	if n := e.auditCount("activate"); n != 1 {
		t.Errorf("signed command: %d activations, want 1", n)
	}
}

// TestOversizedBodyIsRefused: bodies over 1 MiB are not read, whatever they claim.
func TestOversizedBodyIsRefused(t *testing.T) {
	e := newEnv(t, options{})
	body := []byte("text=" + strings.Repeat("a", 2<<20))
	if rec := e.do("/slack/commands", "application/x-www-form-urlencoded", body, signed(time.Now(), body)); rec.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("status %d, want 413", rec.Code)
	}
}

// TestURLVerification: the events endpoint answers Slack's challenge, but only when signed.
func TestURLVerification(t *testing.T) {
	e := newEnv(t, options{})
	body := mustJSON(t, map[string]any{"token": "deprecated", "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P", "type": "url_verification"})
	if rec := e.do("/slack/events", "application/json", body, http.Header{}); rec.Code != http.StatusUnauthorized {
		t.Errorf("unsigned challenge: status %d, want 401", rec.Code)
	}
	rec := e.do("/slack/events", "application/json", body, signed(time.Now(), body))
	var got struct{ Challenge string }
	if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &got) != nil || got.Challenge != "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" {
		t.Errorf("challenge: status %d body %q", rec.Code, rec.Body.String())
	}
}
