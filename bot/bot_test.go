package bot_test

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/elevate-pim/elevate/bot"
	"github.com/elevate-pim/elevate/core"
	"github.com/elevate-pim/elevate/core/clocktest"
	"github.com/elevate-pim/elevate/core/totp"
	"github.com/elevate-pim/elevate/store/memory"
)

var t0 = time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)

type fixture struct {
	bot    *bot.Bot
	svc    *core.Service
	clock  *clocktest.Clock
	store  *memory.Store
	events []core.Event
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	p := func(id string) *core.Principal { return &core.Principal{ID: id, IDs: map[string]string{"console": id}} }
	elig := core.ExpiryRule{AllowPermanent: true}
	dir := &core.Directory{
		Principals: map[string]*core.Principal{"alice": p("alice"), "bob": p("bob"), "dana": p("dana")},
		Roles: map[string]*core.Role{
			"prod-db": {Name: "prod-db", Policy: core.Policy{MaxDuration: 4 * time.Hour, DefaultDuration: time.Hour, Eligibility: elig,
				RequireJustification: true, JustificationMinLen: 10, RequireTicket: true, TicketPattern: regexp.MustCompile(`^INC-[0-9]+$`),
				Approval: core.ApprovalRule{Required: true, Approvers: []string{"bob"}, MinApprovals: 1}}},
			"billing": {Name: "billing", Policy: core.Policy{MaxDuration: time.Hour, DefaultDuration: time.Hour, Eligibility: elig,
				RequireJustification: true, RequireMFA: true}},
			"admin": {Name: "admin", Policy: core.Policy{MaxDuration: time.Hour, Assignment: elig, Eligibility: elig}},
		},
		AdminRole: "admin",
	}
	f := &fixture{clock: clocktest.New(t0)}
	f.store = memory.New(memory.WithClock(f.clock))
	svc, err := core.NewService(core.Config{Store: f.store, Directory: dir, Clock: f.clock, OTP: totp.TOTP{}, MFAKey: make([]byte, 32),
		Events: core.EventSinkFunc(func(_ context.Context, e core.Event) { f.events = append(f.events, e) })})
	if err != nil {
		t.Fatal(err)
	}
	err = svc.SeedAssignments(context.Background(), []core.Assignment{
		{Kind: core.Eligible, Principal: "alice", Role: "prod-db", Permanent: true},
		{Kind: core.Eligible, Principal: "alice", Role: "billing", Permanent: true},
		{Kind: core.Active, Principal: "dana", Role: "admin", Permanent: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	f.svc, f.bot = svc, bot.New(svc, time.UTC)
	return f
}

func as(p string) core.Caller { return core.Caller{Principal: p, Source: "test"} }

func (f *fixture) mustHandle(t *testing.T, who, text string) bot.Message {
	t.Helper()
	m, err := f.bot.Handle(context.Background(), as(who), text)
	if err != nil {
		t.Fatalf("%s: %s: %v", who, text, err)
	}
	checkButtons(t, m)
	return m
}

// checkButtons asserts every button's command is valid grammar: a click is
// handled exactly like the typed command.
func checkButtons(t *testing.T, m bot.Message) {
	t.Helper()
	for _, b := range m.Buttons {
		if _, err := bot.Parse(b.Command, t0, time.UTC); err != nil {
			t.Errorf("button %q carries unparsable command %q: %v", b.Label, b.Command, err)
		}
	}
}

func missingNames(f *bot.Form) []string {
	var out []string
	for _, in := range f.Missing() {
		out = append(out, in.Name)
	}
	return out
}

func TestMissingFieldsYieldAForm(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		text string
		want string
	}{
		{"prod-db", "justification,ticket"},
		{"prod-db for 2h INC-42", "justification"},
		{"prod-db ticket INC-42 a long enough reason", ""},
		{"prod-db for 1h fixing the replication lag", "ticket"},
	}
	for _, tt := range tests {
		m, err := f.bot.Handle(context.Background(), as("alice"), tt.text)
		if err != nil {
			t.Fatalf("%q: %v", tt.text, err)
		}
		if tt.want == "" {
			if m.Form != nil || m.RequestID == "" {
				t.Fatalf("%q: want a request, got form %+v", tt.text, m.Form)
			}
			continue
		}
		if m.Form == nil || m.Form.ID != bot.FormRequest {
			t.Fatalf("%q: want a form, got %+v", tt.text, m)
		}
		if got := strings.Join(missingNames(m.Form), ","); got != tt.want {
			t.Errorf("%q: form asks for %s, want %s", tt.text, got, tt.want)
		}
	}
}

func TestRequestFormSubmission(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	m := f.mustHandle(t, "alice", "prod-db for 2h")
	if m.Form.Hidden["role"] != "prod-db" {
		t.Fatalf("hidden = %v", m.Form.Hidden)
	}
	_, err := f.bot.Submit(ctx, as("alice"), bot.Submission{ID: m.Form.ID, Hidden: m.Form.Hidden,
		Values: map[string]string{"duration": "2h", "justification": "short", "ticket": "INC-1"}})
	if core.ErrorCode(err) != core.EINVALID {
		t.Fatalf("short justification: %v", err)
	}
	got, err := f.bot.Submit(ctx, as("alice"), bot.Submission{ID: m.Form.ID, Hidden: m.Form.Hidden,
		Values: map[string]string{"duration": "2h", "justification": "rotating the replica keys", "ticket": "INC-7"}})
	if err != nil || got.RequestID == "" {
		t.Fatalf("submit: %v %+v", err, got)
	}
	r, _ := f.store.Request(ctx, got.RequestID)
	if r.State != core.PendingApproval || r.Duration != 2*time.Hour || r.Ticket != "INC-7" {
		t.Fatalf("request = %+v", r)
	}
}

func TestMFARoleNeedsEnrollmentThenAsksForTheCode(t *testing.T) {
	f := newFixture(t)
	_, err := f.bot.Handle(context.Background(), as("alice"), "billing for 30m closing the books")
	if core.ErrorCode(err) != core.EFORBIDDEN || !strings.Contains(core.ErrorMessage(err), "mfa enroll") {
		t.Fatalf("unenrolled: %v", err)
	}
	en := f.mustHandle(t, "alice", "mfa enroll")
	if en.File == nil || en.File.Type != "image/png" {
		t.Fatalf("enroll reply has no QR: %+v", en)
	}
	secret := regexp.MustCompile(`Secret: ([A-Z2-7]+)`).FindStringSubmatch(en.Text)[1]
	code, _ := totp.Code(secret, f.clock.Now())
	f.mustHandle(t, "alice", "mfa verify "+code)
	f.clock.Advance(30 * time.Second)

	// The justification is missing: the form carries the code field too.
	m := f.mustHandle(t, "alice", "billing")
	if got := strings.Join(missingNames(m.Form), ","); got != "justification,code" {
		t.Fatalf("form asks for %s", got)
	}
	// Everything but the code: the request waits in PendingMFA and asks for it.
	m = f.mustHandle(t, "alice", "billing for 30m closing the books")
	if m.Form == nil || m.Form.ID != bot.FormCode {
		t.Fatalf("want a code form, got %+v", m)
	}
	code, _ = totp.Code(secret, f.clock.Now())
	done, err := f.bot.Submit(context.Background(), as("alice"), bot.Submission{ID: bot.FormCode, Hidden: m.Form.Hidden, Values: map[string]string{"code": code}})
	if err != nil || !strings.Contains(done.Text, "active until") {
		t.Fatalf("code submit: %v %+v", err, done)
	}
}

func TestDenyAsksForAReason(t *testing.T) {
	f := newFixture(t)
	req := f.mustHandle(t, "alice", "prod-db INC-9 checking the slow query log")
	m := f.mustHandle(t, "bob", "deny "+req.RequestID)
	if m.Form == nil || m.Form.ID != bot.FormDeny || m.Form.Hidden["request"] != req.RequestID {
		t.Fatalf("want a deny form, got %+v", m)
	}
	got, err := f.bot.Submit(context.Background(), as("bob"), bot.Submission{ID: bot.FormDeny, Hidden: m.Form.Hidden, Values: map[string]string{"reason": "use the replica"}})
	if err != nil || !strings.Contains(got.Text, "denied") {
		t.Fatalf("deny: %v %+v", err, got)
	}
}

func TestNoticesCarryButtonsAndPlainUserText(t *testing.T) {
	f := newFixture(t)
	f.mustHandle(t, "alice", "prod-db INC-9 <!channel> @here <https://evil.example|click> *bold*")
	var requested core.Event
	for _, e := range f.events {
		if e.Kind == core.EventRequested {
			requested = e
		}
	}
	m := f.bot.Notice(requested, bot.ForApprover)
	checkButtons(t, m)
	if len(m.Buttons) != 2 || m.Buttons[0].Command != "approve "+requested.Request.ID {
		t.Fatalf("buttons = %+v", m.Buttons)
	}
	// The justification travels as a field value, verbatim: adapters escape it.
	found := false
	for _, fl := range m.Fields {
		found = found || (fl.Label == "Justification" && strings.Contains(fl.Value, "<!channel>"))
	}
	if !found || strings.Contains(m.Text, "<!channel>") {
		t.Fatalf("justification placement: text %q fields %+v", m.Text, m.Fields)
	}
}

func TestStatusAndMenuButtonsParse(t *testing.T) {
	f := newFixture(t)
	f.mustHandle(t, "alice", "prod-db INC-9 checking the slow query log")
	f.mustHandle(t, "alice", "")
	f.mustHandle(t, "alice", "status")
	m := f.mustHandle(t, "bob", "status")
	if len(m.Buttons) != 2 {
		t.Fatalf("bob's status should offer approve/deny: %+v", m.Buttons)
	}
}
