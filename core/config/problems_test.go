package config_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/elevate-pim/elevate/core/config"
)

// base is a minimal valid config with an insertion point in each section.
// Test cases put their text in place of a "#section" line; the line of
// the problem they expect ends with the marker "#<".
const base = `admin_role: admin
principals:
  dana: {}
  #principals
groups:
  #groups
channels:
  sec: {console: "#sec"}
  #channels
roles:
  admin:
    activation: {max_duration: 1h}
    assignment: {allow_permanent: true}
  #roles
assignments:
  - {principal: dana, role: admin, type: active, permanent: true}
  #assignments
#top
`

// with returns base with sections filled: with("roles", "  x: ...", ...).
func with(kv ...string) string {
	doc := base
	for i := 0; i+1 < len(kv); i += 2 {
		doc = strings.Replace(doc, "  #"+kv[i]+"\n", kv[i+1]+"\n", 1)
		doc = strings.Replace(doc, "#"+kv[i]+"\n", kv[i+1]+"\n", 1)
	}
	return doc
}

// markedLine is the 1-based line holding the "#<" marker.
func markedLine(t *testing.T, doc string) int {
	t.Helper()
	for i, line := range strings.Split(doc, "\n") {
		if strings.HasSuffix(strings.TrimSpace(line), "#<") {
			return i + 1
		}
	}
	t.Fatalf("no #< marker in:\n%s", doc)
	return 0
}

// mustProblems parses doc, which must fail with Problems.
func mustProblems(t *testing.T, doc string) config.Problems {
	t.Helper()
	cfg, err := config.Parse("t.yaml", []byte(doc), time.Now())
	var ps config.Problems
	if !errors.As(err, &ps) || cfg != nil {
		t.Fatalf("Parse = %v, %v; want Problems", cfg, err)
	}
	return ps
}

func TestBaseIsValid(t *testing.T) {
	if _, err := config.Parse("t.yaml", []byte(base), time.Now()); err != nil {
		t.Fatal(err)
	}
}

func TestProblems(t *testing.T) {
	role := func(body string) string { return with("roles", "  r:\n"+body) }
	tests := []struct {
		name  string
		doc   string
		field string // expected Field; the line is the one marked #<
		msg   string // a key part of the message
	}{
		// Strict decoding.
		{"unknown key", with("principals", "  bob: {emial: bob@example.com} #<"),
			"principals.bob.emial", "unknown key; did you mean email?"},
		{"unknown top-level key", with("top", "bogus_section: {} #<"),
			"bogus_section", "unknown key (known keys: admin_role, alerts, api, assignments, audit,"},
		{"API token for an unknown principal", with("top", "api:\n  tokens:\n    - {name: ci, principal: zed, hash: \"sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\"} #<"),
			"api.tokens[0].principal", "unknown principal"},
		{"API token with a bad hash", with("top", "api:\n  tokens:\n    - {name: ci, principal: dana, hash: \"md5:abc\"} #<"),
			"api.tokens[0].hash", "must be sha256: and 64 hex digits"},
		{"API token in plain text", with("top", "api:\n  tokens:\n    - name: ci\n      scopes: [check]\n      hash: \"sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\"\n      token: s3cret #<"),
			"api.tokens[0].token", "${"},
		{"API token with an unknown scope", with("top", "api:\n  tokens:\n    - name: ci\n      token: ${CI_TOKEN}\n      scopes: [root] #<"),
			"api.tokens[0].scopes[0]", "unknown scope"},
		{"API token with principal and scopes", with("top", "api:\n  tokens:\n    - name: ci\n      principal: dana\n      token_file: /run/t\n      scopes: [check] #<"),
			"api.tokens[0].scopes", "not both"},
		{"duplicate key", with("principals", "  bob: {}\n  bob: {} #<"),
			"principals.bob", "duplicate key: first given at line 4"},
		{"text wanted", with("principals", "  bob:\n    name: [a, b] #<"),
			"principals.bob.name", "want text, got a list"},
		{"mapping wanted", with("roles", "  r: 4h #<"),
			"roles.r", `want a mapping, got "4h"`},
		{"list wanted", with("groups", "  g:\n    members: dana #<"),
			"groups.g.members", `want a list, got "dana"`},
		{"bad bool", role("    critical: yes #<\n    activation: {max_duration: 1h}"),
			"roles.r.critical", `want true or false, got "yes"`},
		{"bad integer", role("    activation:\n      max_duration: 1h\n      justification: {min_length: ten} #<"),
			"roles.r.activation.justification.min_length", `want a whole number, got "ten"`},
		{"syntax error", with("principals", "  bob: {name: x #<\n  carol: {}"),
			"", "YAML syntax error: did not find expected ',' or '}'"},
		{"syntax error in block", with("principals", "  bob:\n    name: x\n   email: y #<"),
			"", "YAML syntax error: did not find expected key"},
		{"scanner error", with("principals", "  bob: {name: @x} #<"),
			"", "YAML syntax error: found character that cannot start any token"},
		{"unknown anchor", with("principals", "  bob: *nobody #<"),
			"", "YAML syntax error: unknown anchor 'nobody' referenced"},
		{"invalid UTF-8", with("principals", "  bob: {name: \xff} #<"),
			"", "YAML syntax error: invalid leading UTF-8 octet"},

		// Ids.
		{"bad principal id", with("principals", "  Bob: {} #<"),
			"principals.Bob", `principal id "Bob" must be 1 to 63 lowercase letters`},
		{"bad group id", with("groups", "  -g: {members: [dana]} #<"),
			"groups.-g", `group id "-g" must be`},
		{"bad role id", with("roles", "  prod_DB: #<\n    activation: {max_duration: 1h}"),
			"roles.prod_DB", `role id "prod_DB" must be`},
		{"reserved role name", with("roles", "  approve: #<\n    activation: {max_duration: 1h}"),
			"roles.approve", `role name "approve" is a command word`},

		// Admin and reader roles.
		{"admin role missing", strings.Replace(base, "admin_role: admin", "#<", 1),
			"admin_role", "required"},
		{"admin role unknown", strings.Replace(base, "admin_role: admin", "admin_role: root #<", 1),
			"admin_role", `unknown role "root"`},
		{"reader role unknown", with("top", "reader_role: readers #<"),
			"reader_role", `unknown role "readers"`},
		{"admin role without active assignment", strings.Replace(strings.Replace(base,
			"admin_role: admin", "admin_role: admin #<", 1), "type: active", "type: eligible", 1),
			"admin_role", "role admin has no active assignment"},

		// Assignments.
		{"unknown principal", with("assignments", "  - {principal: erin, role: admin, type: eligible, permanent: true} #<"),
			"assignments[1].principal", `unknown principal "erin"`},
		{"unknown role", with("assignments", "  - {principal: dana, role: root, type: eligible, permanent: true} #<"),
			"assignments[1].role", `unknown role "root"`},
		{"bad type", with("assignments", "  - {principal: dana, role: admin, type: standing, permanent: true} #<"),
			"assignments[1].type", `want eligible or active, got "standing"`},
		{"end before start", with("assignments", "  - {principal: dana, role: admin, type: eligible, start: 2026-02-01, end: 2026-01-01} #<"),
			"assignments[1].end", "must be after start (2026-02-01T00:00:00Z)"},
		{"end equal to start", with("assignments", "  - principal: dana\n    role: admin\n    type: eligible\n    start: 2026-01-01T00:00:00Z\n    end: 2026-01-01 #<"),
			"assignments[1].end", "must be after start"},
		{"neither end nor permanent", with("assignments", "  - {principal: dana, role: admin, type: eligible} #<"),
			"assignments[1]", "set end or permanent: true"},
		{"permanent with end", with("assignments", "  - {principal: dana, role: admin, type: eligible, permanent: true, end: 2026-01-01} #<"),
			"assignments[1].end", "a permanent assignment has no end"},
		{"permanent not allowed (active default)", with(
			"principals", "  bob: {}",
			"roles", "  r: {activation: {max_duration: 1h}}",
			"assignments", "  - {principal: bob, role: r, type: active, permanent: true} #<"),
			"assignments[1].permanent", "role r does not allow permanent active assignments (assignment.allow_permanent is false)"},
		{"permanent not allowed (eligibility)", with(
			"roles", "  r: {activation: {max_duration: 1h}, eligibility: {allow_permanent: false}}",
			"assignments", "  - {principal: dana, role: r, type: eligible, permanent: true} #<"),
			"assignments[1].permanent", "does not allow permanent eligible assignments"},
		{"longer than eligibility max", with(
			"roles", "  r: {activation: {max_duration: 1h}, eligibility: {max_duration: 365d}}",
			"assignments", "  - {principal: dana, role: r, type: eligible, start: 2026-01-01, end: 2027-02-05} #<"),
			"assignments[1].end", "lasts 400d, over the eligibility max of 365d"},
		{"longer than assignment max, no start", with(
			"roles", "  r: {activation: {max_duration: 1h}, assignment: {max_duration: 30d}}",
			"assignments", "  - {principal: dana, role: r, type: active, end: 2999-01-01} #<"),
			"assignments[1].end", "over the assignment max of 30d"},
		{"duplicate assignment", with("assignments", "  - {principal: dana, role: admin, type: active, end: 2030-01-01} #<"),
			"assignments[1]", "duplicates assignments[0]: same principal, role and type"},
		{"bad timestamp", with("assignments", "  - {principal: dana, role: admin, type: eligible, end: 01/02/2026} #<"),
			"assignments[1].end", `want an RFC 3339 time (2026-01-02T15:04:05Z) or a date (2026-01-02), got "01/02/2026"`},

		// Policies.
		{"max_duration missing", role("    activation: {} #<"),
			"roles.r.activation.max_duration", "required"},
		{"bad duration", role("    activation:\n      max_duration: 4 fortnights #<"),
			"roles.r.activation.max_duration", `cannot read duration "4 fortnights": unknown unit "fortnights"`},
		{"zero duration", role("    activation:\n      max_duration: 0m #<"),
			"roles.r.activation.max_duration", "must be longer than zero"},
		{"default over max", role("    activation:\n      max_duration: 1h\n      default_duration: 2h #<"),
			"roles.r.activation.default_duration", "2h is over the max_duration of 1h"},
		{"bad lead time", role("    activation:\n      max_duration: 1h\n      max_lead_time: soon #<"),
			"roles.r.activation.max_lead_time", "cannot read duration"},
		{"negative min_length", role("    activation:\n      max_duration: 1h\n      justification: {required: true, min_length: -1} #<"),
			"roles.r.activation.justification.min_length", "must not be negative"},
		{"bad ticket pattern", role("    activation:\n      max_duration: 1h\n      ticket: {pattern: 'INC-[0-9'} #<"),
			"roles.r.activation.ticket.pattern", "does not compile: error parsing regexp: missing closing ]"},
		{"unknown approver", role("    activation: {max_duration: 1h}\n    approval:\n      approvers:\n        - erin #<"),
			"roles.r.approval.approvers[0]", `unknown principal "erin"`},
		{"unknown approver group", role("    activation: {max_duration: 1h}\n    approval:\n      approvers: [dana, group:dbas] #<"),
			"roles.r.approval.approvers[1]", `unknown group "dbas"`},
		{"unknown escalation approver", role("    activation: {max_duration: 1h}\n    approval:\n      approvers: [dana]\n      escalation: {after: 1h, approvers: [erin]} #<"),
			"roles.r.approval.escalation.approvers[0]", `unknown principal "erin"`},
		{"approval without approvers", role("    activation: {max_duration: 1h}\n    approval: {required: true} #<"),
			"roles.r.approval.approvers", "required when approval.required is true"},
		{"min_approvals over approvers", with(
			"principals", "  bob: {}\n  carol: {}",
			"groups", "  g: {members: [bob, dana]}",
			"roles", "  r:\n    activation: {max_duration: 1h}\n    approval:\n      required: true\n      approvers: [dana, group:g]\n      min_approvals: 3 #<"),
			"roles.r.approval.min_approvals", "is 3, but only 2 distinct approvers (groups expanded) can approve"},
		{"min_approvals zero", role("    activation: {max_duration: 1h}\n    approval:\n      min_approvals: 0 #<"),
			"roles.r.approval.min_approvals", "must be at least 1"},
		{"escalation never fires", role("    activation: {max_duration: 1h}\n    approval:\n      approvers: [dana]\n      timeout: 2h\n      escalation:\n        after: 3h #<\n        approvers: [dana]"),
			"roles.r.approval.escalation.after", "3h is not before the approval timeout of 2h"},

		// Channels.
		{"unknown notifications channel", with("top", "notifications: {channel: security} #<"),
			"notifications.channel", `unknown channel "security": define it under channels`},
		{"unknown alerts channel", with("top", "notifications:\n  channel: sec\n  alerts_channel: alerts #<"),
			"notifications.alerts_channel", `unknown channel "alerts"`},
		{"unknown role channel", role("    activation: {max_duration: 1h}\n    notify:\n      approvals_channel: approvals #<"),
			"roles.r.notify.approvals_channel", `unknown channel "approvals"`},
		{"channel without destination", with("channels", "  empty: {} #<"),
			"channels.empty", "channel has no destination"},
		{"approvals reach nobody", role("    activation: {max_duration: 1h}\n    approval: {required: true, approvers: [dana]}\n    notify:\n      dm_approvers: false #<"),
			"roles.r.notify.dm_approvers", "approval requests would reach nobody"},

		// Principals and groups.
		{"unknown group member", with("groups", "  g:\n    members:\n      - dana\n      - erin #<"),
			"groups.g.members[1]", `unknown principal "erin"`},
		{"bad email", with("principals", "  bob:\n    email: bob.example.com #<"),
			"principals.bob.email", `"bob.example.com" does not look like an email address`},
		{"email with display name", with("principals", "  bob: {email: 'Bob <bob@example.com>'} #<"),
			"principals.bob.email", "does not look like an email address"},
		{"duplicate email", with("principals", "  bob: {email: b@example.com}\n  carol: {email: B@example.com} #<"),
			"principals.carol.email", "email B@example.com is also used by principal bob"},
		{"slack id reused", with("principals", "  bob: {slack: U1}\n  carol:\n    slack: U1 #<"),
			"principals.carol.slack", `slack id "U1" is also used by principal bob`},
		{"discord id reused", with("principals", "  bob: {discord: '1'}\n  carol: {discord: 1} #<"),
			"principals.carol.discord", `discord id "1" is also used by principal bob`},
		{"console id clashes with a default", with("principals", "  bob:\n    console: dana #<"),
			"principals.bob.console", `console id "dana" is also used by principal dana`},
		{"default console id clashes", strings.Replace(base, "  dana: {}", "  dana: {console: erin}\n  erin: {} #<", 1),
			"principals.erin.console", `console id "erin" (the default: the principal id) is also used by principal dana`},

		// Time zone.
		{"bad timezone", with("top", "timezone: Mars/Olympus #<"),
			"timezone", `unknown time zone "Mars/Olympus"`},

		// Store and retention.
		{"unknown redis mode", with("top", "store: {redis_mode: galaxy} #<"),
			"store.redis_mode", `unknown mode "galaxy": use cluster`},
		{"bad retention", with("top", "retention: {requests: soon} #<"),
			"retention.requests", `cannot read duration "soon"`},
		{"bad review retention", with("top", "retention: {reviews: later} #<"),
			"retention.reviews", `cannot read duration "later"`},
		{"bad audit hot", with("top", "audit: {hot: forever} #<"),
			"audit.hot", `cannot read duration "forever"`},
		{"bad syslog URL", with("top", "audit:\n  siem: {syslog: 'udp://h:514'} #<"),
			"audit.siem.syslog", `"udp://h:514": use tcp://host:port or tls://host:port`},
		{"bad SIEM HTTP URL", with("top", "audit:\n  siem: {http: 'ftp://h'} #<"),
			"audit.siem.http", `"ftp://h": use an http:// or https:// URL`},
		{"plain PostgreSQL DSN", with("top", "audit: {archive_postgres: 'postgres://u:pw@db/elevate'} #<"),
			"audit.archive_postgres", "secrets must be ${ENV} references or archive_postgres_file paths"},

		// Secrets.
		{"plain secret", with("top", "mfa:\n  encryption_key: hunter2hunter2 #<"),
			"mfa.encryption_key", "secrets must be ${ENV} references or encryption_key_file paths, not plain text"},
		{"env reference with extra text", with("top", "store: {redis_url: 'redis://${HOST}'} #<"),
			"store.redis_url", "secrets must be ${ENV} references or redis_url_file paths"},
		{"both secret forms", with("top", "mfa:\n  encryption_key: ${K}\n  encryption_key_file: /run/k #<"),
			"mfa.encryption_key", "give one, not both"},
		{"unknown secret sibling", with("top", "mfa:\n  encryption_keyfile: /run/k #<"),
			"mfa.encryption_keyfile", "unknown key; did you mean encryption_key_file?"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			line := markedLine(t, tt.doc)
			ps := mustProblems(t, tt.doc)
			prefix := fmt.Sprintf("t.yaml:%d: %s: ", line, tt.field)
			if tt.field == "" {
				prefix = fmt.Sprintf("t.yaml:%d: ", line)
			}
			if len(ps) != 1 {
				t.Errorf("want exactly one problem, got:\n%v", ps)
			}
			for _, p := range ps {
				if s := p.String(); strings.HasPrefix(s, prefix) && strings.Contains(s, tt.msg) {
					return
				}
			}
			t.Errorf("no problem %q...%q in:\n%v\ndoc:\n%s", prefix, tt.msg, ps, tt.doc)
		})
	}
}

func TestAllProblemsSortedByLine(t *testing.T) {
	_, err := config.Load("testdata/problems.yaml", time.Now())
	var ps config.Problems
	if !errors.As(err, &ps) {
		t.Fatalf("Load = %v, want Problems", err)
	}
	want := []string{
		"testdata/problems.yaml:3: timezone: ",
		"testdata/problems.yaml:5: principals.dana.email: ",
		"testdata/problems.yaml:6: principals.bob.colour: ",
		"testdata/problems.yaml:9: roles.admin.activation.default_duration: ",
		"testdata/problems.yaml:10: roles.help: ",
		"testdata/problems.yaml:11: roles.help.activation.max_duration: ",
		"testdata/problems.yaml:12: roles.help.approval.approvers: ",
		"testdata/problems.yaml:15: assignments[1]: ",
		"testdata/problems.yaml:15: assignments[1].principal: ",
		"testdata/problems.yaml:16: mfa.encryption_key: ",
	}
	if len(ps) != len(want) {
		t.Fatalf("got %d problems, want %d:\n%v", len(ps), len(want), ps)
	}
	for i, w := range want {
		if !strings.HasPrefix(ps[i].String(), w) {
			t.Errorf("problem %d = %q, want prefix %q", i, ps[i], w)
		}
	}
	// The error text is every problem, one per line, in the same order.
	if lines := strings.Split(ps.Error(), "\n"); len(lines) != len(ps) || lines[0] != ps[0].String() {
		t.Errorf("Error() = %q", ps.Error())
	}
	// A plain-text secret is never echoed back.
	if strings.Contains(ps.Error(), "sekrit") {
		t.Errorf("problems leak the secret:\n%v", ps)
	}
	// Map iteration order never shows: every run reports the same text.
	for range 20 {
		if _, again := config.Load("testdata/problems.yaml", time.Now()); again.Error() != ps.Error() {
			t.Fatalf("report changed between runs:\n%v\n---\n%v", ps, again)
		}
	}
}

func TestProblemString(t *testing.T) {
	tests := []struct {
		p    config.Problem
		want string
	}{
		{config.Problem{File: "c.yaml", Line: 3, Field: "roles.x", Msg: "bad"}, "c.yaml:3: roles.x: bad"},
		{config.Problem{File: "c.yaml", Line: 7, Msg: "YAML syntax error: x"}, "c.yaml:7: YAML syntax error: x"},
		{config.Problem{File: "c.yaml", Msg: "no position"}, "c.yaml: no position"},
	}
	for _, tt := range tests {
		if got := tt.p.String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
	}
}

func TestSyntaxErrorIsOneProblem(t *testing.T) {
	ps := mustProblems(t, "admin_role: admin\nroles:\n  a: [\n")
	if len(ps) != 1 || ps[0].Line < 3 || !strings.Contains(ps[0].Msg, "YAML syntax error") {
		t.Errorf("got %v", ps)
	}
}

func TestEmptyFile(t *testing.T) {
	ps := mustProblems(t, "")
	if len(ps) != 1 || ps[0].String() != "t.yaml:1: admin_role: required: name the role whose holders manage elevate" {
		t.Errorf("got %v", ps)
	}
}

func TestMoreThanOneDocument(t *testing.T) {
	ps := mustProblems(t, base+"---\nadmin_role: x\n")
	if len(ps) != 1 || ps[0].Line != strings.Count(base, "\n")+1 || !strings.Contains(ps[0].Msg, "more than one YAML document") {
		t.Errorf("got %v", ps)
	}
	// Document markers around the one document are fine.
	if _, err := config.Parse("t.yaml", []byte("---\n"+base+"---\n# end\n"), time.Now()); err != nil {
		t.Errorf("markers: %v", err)
	}
}

func TestAliasesAndMergeKeys(t *testing.T) {
	// Roles that share a policy through an anchor and a merge key.
	cfg, err := config.Parse("t.yaml", []byte(with("roles", `  x: &strict
    activation: {max_duration: 2h, mfa: true}
  y:
    <<: *strict
    description: like x
  z: *strict`)), time.Now())

	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"x", "y", "z"} {
		if p := mustRole(t, cfg, name).Policy; p.MaxDuration != 7200e9 || !p.RequireMFA {
			t.Errorf("role %s policy = %+v", name, p)
		}
	}
	if mustRole(t, cfg, "y").Description != "like x" {
		t.Errorf("merge lost the mapping's own key")
	}

	// A mapping that merges itself is a problem, not a hang.
	self := with("top", "notifications: &n {<<: *n, channel: sec} #<")
	if ps := mustProblems(t, self); len(ps) != 1 || ps[0].Line != markedLine(t, self) || !strings.Contains(ps[0].Msg, "alias *n refers to itself") {
		t.Errorf("self merge: %v", ps)
	}

	// Merges that multiply (a billion laughs) stop at the visit budget.
	var b strings.Builder
	b.WriteString("x:\n  m0: &m0 {dana: {}}\n")
	for i := 1; i <= 9; i++ {
		fmt.Fprintf(&b, "  m%d: &m%d {<<: [%s]}\n", i, i, strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*m%d, ", i-1), 10), ", "))
	}
	b.WriteString(strings.Replace(base, "principals:\n", "principals:\n  <<: *m9\n", 1))
	ps := mustProblems(t, b.String())
	found := false
	for _, p := range ps {
		found = found || strings.Contains(p.Msg, "too many aliases")
	}
	if !found {
		t.Errorf("no budget problem in %v", ps)
	}
}
