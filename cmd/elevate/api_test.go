package main

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"unicode"

	"github.com/elevate-pim/elevate/adapters/slack/slacktest"
	"github.com/elevate-pim/elevate/core"
)

// API tokens of the ops environment's config: three by ${ENV} reference,
// the auditor's by its hash.
const apiAuditToken = "audit-token-4"

var apiTokens = map[string]string{"API_ALICE_TOKEN": "alice-token-1", "API_BOB_TOKEN": "bob-token-2", "API_GATEWAY_TOKEN": "gateway-token-3"}

// apiCall makes a call to serve's API and returns the status and body.
func (e *opsEnv) apiCall(method, path, token, body string) (int, []byte) {
	e.t.Helper()
	req, _ := http.NewRequest(method, e.base+"/api/v1"+path, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// TestAPIAndSlackShareOneRequest: a request made through the API shows up
// for its approver in Slack, is approved with a signed click there, and is
// one request with one audit trail: made by the API token, decided in Slack.
func TestAPIAndSlackShareOneRequest(t *testing.T) {
	e := newOpsEnv(t)
	code, body := e.apiCall("POST", "/requests", apiTokens["API_ALICE_TOKEN"], `{"role": "db", "duration": "30m", "justification": "fixing replication lag"}`)
	if code != 201 {
		t.Fatalf("POST /requests = %d %s", code, body)
	}
	var req struct{ ID, State string }
	json.Unmarshal(body, &req)
	e.waitFor("the approval request in bob's DM", func() bool { return len(e.fake.Messages(slacktest.DM("U0BOB"))) > 0 })
	e.click("U0BOB", slacktest.DM("U0BOB"), "Approve")
	e.waitFor("the grant at the webhook", func() bool { return e.hookCalls("grant") == 1 })

	code, body = e.apiCall("GET", "/requests/"+req.ID, apiTokens["API_ALICE_TOKEN"], "")
	if code != 200 || !strings.Contains(string(body), `"state":"Active"`) || !strings.Contains(string(body), `"decided_by":"bob"`) {
		t.Fatalf("GET /requests/%s = %d %s, want Active, decided by bob", req.ID, code, body)
	}
	code, body = e.apiCall("GET", "/check?principal=alice&role=db", apiTokens["API_GATEWAY_TOKEN"], "")
	if code != 200 || !strings.Contains(string(body), `"holds":true`) {
		t.Fatalf("check = %d %s", code, body)
	}
	// The decision through the API now conflicts: one request, one outcome.
	if code, body = e.apiCall("POST", "/requests/"+req.ID+"/approve", apiTokens["API_BOB_TOKEN"], ""); code != 409 || !strings.Contains(string(body), `"state":"Active"`) {
		t.Fatalf("approving again through the API = %d %s, want 409 naming Active", code, body)
	}

	events, _, err := core.ReadAudit(t.Context(), e.m.Store, core.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	sources := map[string]string{}
	for _, ev := range events {
		if ev.RequestID == req.ID {
			sources[ev.Action] = ev.Source
		}
	}
	if sources["request"] != "api:alice-ci" || sources["approve"] != "slack" {
		t.Fatalf("audit of %s by action → source = %v; want the request from api:alice-ci and the approval from slack", req.ID, sources)
	}
	code, body = e.apiCall("GET", "/audit?format=json&principal=alice", apiAuditToken, "")
	if code != 200 || !strings.Contains(string(body), `"request_id": "`+req.ID+`"`) {
		t.Fatalf("GET /audit = %d %.300s", code, body)
	}
}

// TestReadmeCurl runs the README's curl examples against serve, with the
// README's variables set: activate, approve, check and download the audit.
func TestReadmeCurl(t *testing.T) {
	e := newOpsEnv(t)
	vars := map[string]string{"ELEVATE": e.base, "ALICE_TOKEN": apiTokens["API_ALICE_TOKEN"], "BOB_TOKEN": apiTokens["API_BOB_TOKEN"],
		"GATEWAY_TOKEN": apiTokens["API_GATEWAY_TOKEN"], "AUDIT_TOKEN": apiAuditToken}
	cmds := readmeCurls(t)
	if len(cmds) != 4 {
		t.Fatalf("README has %d curl examples, want 4 (activate, approve, check, audit)", len(cmds))
	}
	for i, line := range cmds {
		line = strings.ReplaceAll(strings.ReplaceAll(line, "prod-db", "db"), "$ID", "${ID}")
		req, out := curlRequest(t, line, vars)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode/100 != 2 {
			t.Fatalf("README example %d (%s) = %d %s", i+1, line, resp.StatusCode, body)
		}
		switch i {
		case 0:
			var r struct{ ID string }
			json.Unmarshal(body, &r)
			vars["ID"] = r.ID
			e.waitFor("the approval request in bob's DM", func() bool { return len(e.fake.Messages(slacktest.DM("U0BOB"))) > 0 })
		case 1:
			e.waitFor("the grant at the webhook", func() bool { return e.hookCalls("grant") == 1 })
		case 2:
			if !strings.Contains(string(body), `"holds":true`) || !strings.Contains(string(body), `"via":"window"`) {
				t.Fatalf("check = %s", body)
			}
		case 3:
			if out != "audit.csv" || !strings.HasPrefix(string(body), "seq,time,actor,action") || !strings.Contains(string(body), "api:bob-ci") {
				t.Fatalf("audit download (-o %s) = %.300s", out, body)
			}
		}
	}
}

// readmeCurls returns the curl lines of the README's HTTP API section.
func readmeCurls(t *testing.T) []string {
	f, err := os.Open("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		l := sc.Text()
		if strings.HasPrefix(l, "## ") {
			in = l == "## HTTP API"
		}
		if in && strings.HasPrefix(l, "curl ") {
			out = append(out, l)
		}
	}
	return out
}

// curlRequest turns a curl command line (-sS, -X, -H, -d, -o, one URL;
// single or double quotes; $VAR and ${VAR}) into the request it sends and
// the -o file it names.
func curlRequest(t *testing.T, line string, vars map[string]string) (*http.Request, string) {
	t.Helper()
	args := shellWords(t, line, vars)
	method, url, body, out := "GET", "", "", ""
	header := http.Header{}
	for i := 1; i < len(args); i++ {
		switch a := args[i]; a {
		case "-sS":
		case "-X":
			i++
			method = args[i]
		case "-H":
			i++
			k, v, _ := strings.Cut(args[i], ":")
			header.Set(k, strings.TrimSpace(v))
		case "-d":
			i++
			body = args[i]
			if method == "GET" {
				method = "POST"
			}
		case "-o":
			i++
			out = args[i]
		default:
			if strings.HasPrefix(a, "-") || url != "" {
				t.Fatalf("curl example uses %q, which this test does not understand: %s", a, line)
			}
			url = a
		}
	}
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = header
	return req, out
}

// shellWords splits a line as sh would for the quoting the README uses.
func shellWords(t *testing.T, line string, vars map[string]string) []string {
	var words []string
	var cur strings.Builder
	inWord := false
	expand := func(s string, i int) int { // s[i] == '$'
		j := i + 1
		name := ""
		if j < len(s) && s[j] == '{' {
			k := strings.IndexByte(s[j:], '}')
			name, j = s[j+1:j+k], j+k+1
		} else {
			for j < len(s) && (s[j] == '_' || unicode.IsLetter(rune(s[j])) || unicode.IsDigit(rune(s[j]))) {
				j++
			}
			name = s[i+1 : j]
		}
		v, ok := vars[name]
		if !ok {
			t.Fatalf("curl example uses $%s, which the test does not set", name)
		}
		cur.WriteString(v)
		return j
	}
	for i := 0; i < len(line); {
		switch c := line[i]; {
		case c == ' ':
			if inWord {
				words, inWord = append(words, cur.String()), false
				cur.Reset()
			}
			i++
		case c == '\'':
			k := strings.IndexByte(line[i+1:], '\'')
			cur.WriteString(line[i+1 : i+1+k])
			i, inWord = i+k+2, true
		case c == '"':
			i++
			for line[i] != '"' {
				if line[i] == '$' {
					i = expand(line, i)
					continue
				}
				cur.WriteByte(line[i])
				i++
			}
			i, inWord = i+1, true
		case c == '$':
			i, inWord = expand(line, i), true
		default:
			cur.WriteByte(c)
			i, inWord = i+1, true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words
}
