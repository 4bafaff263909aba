package console_test

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/elevate-pim/elevate/adapters/console"
	"github.com/elevate-pim/elevate/bot"
	"github.com/elevate-pim/elevate/core"
	"github.com/elevate-pim/elevate/core/clocktest"
	"github.com/elevate-pim/elevate/core/totp"
	"github.com/elevate-pim/elevate/notifications"
	"github.com/elevate-pim/elevate/store/memory"
)

// syncBuffer is an output the console and its ticker may write at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) take() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.b.String()
	s.b.Reset()
	return out
}

type session struct {
	c     *console.Console
	out   *syncBuffer
	clock *clocktest.Clock
}

func newSession(t *testing.T) *session {
	t.Helper()
	elig := core.ExpiryRule{AllowPermanent: true}
	dir := &core.Directory{
		Principals: map[string]*core.Principal{
			"alice": {ID: "alice", IDs: map[string]string{"console": "alice"}},
			"bob":   {ID: "bob", IDs: map[string]string{"console": "bob"}},
			"dana":  {ID: "dana", IDs: map[string]string{"console": "dana"}},
		},
		AdminRole: "admin",
		Roles: map[string]*core.Role{
			"db": {Name: "db", Notify: core.Routing{Channel: "sec", DMApprovers: true}, Policy: core.Policy{MaxDuration: time.Hour, DefaultDuration: time.Hour, Eligibility: elig,
				RequireJustification: true, JustificationMinLen: 5, Approval: core.ApprovalRule{Required: true, Approvers: []string{"bob"}, MinApprovals: 1}}},
			"admin": {Name: "admin", Policy: core.Policy{MaxDuration: time.Hour, DefaultDuration: time.Hour, Eligibility: elig, Assignment: elig}},
			"ops":   {Name: "ops", Policy: core.Policy{MaxDuration: time.Hour, DefaultDuration: time.Hour, Eligibility: elig, Assignment: elig}},
			"pay":   {Name: "pay", Policy: core.Policy{MaxDuration: time.Hour, DefaultDuration: time.Hour, Eligibility: elig, RequireMFA: true}},
		},
	}
	clock := clocktest.New(time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC))
	var n *notifications.Notifier
	svc, err := core.NewService(core.Config{Store: memory.New(memory.WithClock(clock)), Directory: dir, Clock: clock, OTP: totp.TOTP{}, MFAKey: make([]byte, 32),
		Events: core.EventSinkFunc(func(ctx context.Context, e core.Event) { n.Publish(ctx, e) })})
	if err != nil {
		t.Fatal(err)
	}
	err = svc.SeedAssignments(context.Background(), []core.Assignment{
		{Kind: core.Eligible, Principal: "alice", Role: "db", Permanent: true},
		{Kind: core.Eligible, Principal: "alice", Role: "pay", Permanent: true},
		{Kind: core.Active, Principal: "dana", Role: "admin", Permanent: true},
		{Kind: core.Active, Principal: "bob", Role: "ops", Permanent: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	b := bot.New(svc, time.UTC)
	out := &syncBuffer{}
	c := console.New(b, out, console.WithChannels(map[string]string{"sec": "#security-alerts"}), console.WithSkip(clock.Advance))
	n = notifications.New(b, svc.Store(), notifications.Config{Channel: "sec"}, zerolog.Nop(), c)
	return &session{c: c, out: out, clock: clock}
}

// say runs lines through the console and returns what it printed.
func (s *session) say(t *testing.T, lines ...string) string {
	t.Helper()
	if err := s.c.Run(context.Background(), strings.NewReader(strings.Join(lines, "\n"))); err != nil {
		t.Fatal(err)
	}
	return s.out.take()
}

func wantLines(t *testing.T, out string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
}

func TestBadLines(t *testing.T) {
	s := newSession(t)
	out := s.say(t, "hello there", "mallory: status", "alice: frobnicate!!", "# a comment", "", ":nope")
	wantLines(t, out,
		"[console] type `NAME: COMMAND`",
		"[console] mallory is not a principal in the config.",
		"[reply to alice] invalid:",
		"[console] unknown directive :nope",
	)
}

func TestFormsButtonsAndDestinations(t *testing.T) {
	s := newSession(t)
	out := s.say(t, "alice: db for 30m")
	wantLines(t, out, "[form] alice, Justification (at least 5 characters)?")
	out = s.say(t, "bob: status", "alice: rotating keys\x1b[2J")
	// bob's line ran while alice's form was open: forms are per principal.
	wantLines(t, out, "[reply to bob] Your access", "[reply to alice] invalid: Justification contains control characters.")
	if strings.Contains(out, "\x1b") {
		t.Fatal("a control character reached the terminal")
	}
	out = s.say(t, "alice: db for 30m", "alice: rotating keys")
	wantLines(t, out, "[DM @bob] Approval needed: alice requests db for 30m.", "[Approve] bob: approve r-", "Justification: rotating keys")
	out = s.say(t, "bob: approve $last")
	wantLines(t, out, "[reply to bob] You approved r-", "[update DM @bob #1] Approved: bob approved db for alice",
		"[#security-alerts] Activated: alice activated db")
	out = s.say(t, ":skip 31m")
	wantLines(t, out, "[console] 31m later", "[DM @alice] Expired: alice's db window ended")
}

func TestFormCanBeAbandoned(t *testing.T) {
	s := newSession(t)
	s.say(t, "alice: db")
	out := s.say(t, "alice: !cancel", "alice: status")
	wantLines(t, out, "[reply to alice] form abandoned", "[reply to alice] Your access")
}

// TestMFAInTheConsole enrolls, confirms with a code computed from the
// printed secret, and activates an MFA role with a fresh code.
func TestMFAInTheConsole(t *testing.T) {
	s := newSession(t)
	out := s.say(t, "alice: pay")
	wantLines(t, out, "not allowed: pay requires MFA", "mfa enroll")
	out = s.say(t, "alice: mfa enroll")
	m := regexp.MustCompile(`Secret: ([A-Z2-7]+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no secret printed:\n%s", out)
	}
	wantLines(t, out, "[file elevate-mfa.png,")
	code, _ := totp.Code(m[1], s.clock.Now())
	wantLines(t, s.say(t, "alice: mfa verify "+code), "MFA is set up")
	s.clock.Advance(30 * time.Second)
	out = s.say(t, "alice: pay")
	wantLines(t, out, "needs your MFA code", "[form] alice, MFA code from your authenticator app?")
	code, _ = totp.Code(m[1], s.clock.Now())
	out = s.say(t, "alice: "+code)
	wantLines(t, out, "pay is active until")
	out = s.say(t, "alice: drop pay", "alice: pay code "+code)
	wantLines(t, out, "not allowed: That code was already used.")
}

// TestConvertInTheConsole turns bob's standing ops access into eligibility:
// only the admin may, the last admin cannot convert themselves, and bob
// then activates ops just in time.
func TestConvertInTheConsole(t *testing.T) {
	s := newSession(t)
	out := s.say(t, "bob: convert bob ops", "dana: convert dana admin", "dana: convert alice ops")
	wantLines(t, out,
		"[reply to bob] not allowed: Only holders of admin may manage assignments.",
		"[reply to dana] conflict: dana is the last active holder of the admin role admin",
		"[reply to dana] not found: alice has no active assignment for ops to convert.")
	out = s.say(t, "dana: convert bob ops", "bob: status", "bob: ops")
	wantLines(t, out,
		"[reply to dana] bob no longer holds ops standing; they are eligible permanently and activate it when needed.",
		"[#security-alerts] elevate: dana converted bob's standing ops to eligible (permanently)",
		"Eligible: ops",
		"[reply to bob] ops is active until")
}
