package discord_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/elevate-pim/elevate/adapters/discord"
	"github.com/elevate-pim/elevate/adapters/discord/discordtest"
	"github.com/elevate-pim/elevate/bot"
	"github.com/elevate-pim/elevate/core"
	"github.com/elevate-pim/elevate/notifications"
	"github.com/elevate-pim/elevate/store/memory"
)

func TestBadSignaturesAndStaleTimestampsAreRefused(t *testing.T) {
	h := newHarness(t, options{mode: "http"})
	body := discordtest.Command(h.where, "sig-1", alice, "request", opt("role", "staging"))
	other := discordtest.NewSigner()
	tampered := bytes.Replace(body, []byte("staging"), []byte("prod-db"), 1)
	unsigned := h.signer.Request(h.srv.URL+discord.InteractionsPath, body, h.clock.Now())
	unsigned.Header.Del("X-Signature-Ed25519")
	tamperedReq := h.signer.Request(h.srv.URL+discord.InteractionsPath, body, h.clock.Now())
	tamperedReq.Body = readCloser(tampered)
	for name, req := range map[string]*http.Request{
		"wrong key":        other.Request(h.srv.URL+discord.InteractionsPath, body, h.clock.Now()),
		"no signature":     unsigned,
		"tampered body":    tamperedReq,
		"stale timestamp":  h.signer.Request(h.srv.URL+discord.InteractionsPath, body, h.clock.Now().Add(-6*time.Minute)),
		"future timestamp": h.signer.Request(h.srv.URL+discord.InteractionsPath, body, h.clock.Now().Add(6*time.Minute)),
	} {
		if r := h.send(req); r.Status != http.StatusUnauthorized {
			t.Errorf("%s: status %d, want 401", name, r.Status)
		}
	}
	huge := discordtest.Command(h.where, "sig-2", alice, "request", opt("role", "staging"), opt("justification", strings.Repeat("x", 70<<10)))
	if r := h.post(huge, h.clock.Now()); r.Status != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized body: status %d, want 413", r.Status)
	}
	if r := h.post([]byte(`{"type":2}`), h.clock.Now()); r.Status != http.StatusBadRequest {
		t.Errorf("signed non-interaction: status %d, want 400", r.Status)
	}
	if got := h.auditActions(); len(got) != 4 { // the four seeded assignments
		t.Errorf("audit = %q: a refused request changed state", got)
	}
	if calls := h.fake.Calls(); len(calls) != 0 {
		t.Errorf("refused requests reached Discord:\n%s", h.fake.Dump())
	}
	// The same body, signed now and fresh, is accepted: the refusals above were the checks.
	if r := h.post(body, h.clock.Now().Add(-4*time.Minute)); r.Status != http.StatusOK || !strings.Contains(r.text(), "active until") {
		t.Fatalf("fresh signed request: %d %s", r.Status, r.Raw)
	}
	if r := h.interact(discordtest.Ping(h.where, "ping-1")); r.Type != discordgo.InteractionResponsePong {
		t.Fatalf("PING answered %s", r.Raw)
	}
}

func readCloser(b []byte) *readerCloser { return &readerCloser{bytes.NewReader(b)} }

type readerCloser struct{ *bytes.Reader }

func (readerCloser) Close() error { return nil }

// TestGatewayRoundTrip: over the gateway a status is answered through the
// callback endpoint, in its first response and with no inbox item; a
// replayed event is de-duplicated and not answered again.
func TestGatewayRoundTrip(t *testing.T) {
	var st *writeCounter
	h := newHarness(t, options{mode: discord.ModeGateway, store: func(m *memory.Store) core.Store {
		st = &writeCounter{Store: m}
		return st
	}})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := h.a.Start(ctx); err != nil {
		t.Fatal(err)
	}
	var ident struct {
		Token   string `json:"token"`
		Intents int    `json:"intents"`
	}
	if err := json.Unmarshal(h.fake.Identified(t, 10*time.Second), &ident); err != nil {
		t.Fatal(err)
	}
	if ident.Token != "Bot "+botToken {
		t.Fatalf("IDENTIFY token = %q", ident.Token)
	}
	if err := h.fake.Dispatch("INTERACTION_CREATE", discordtest.Command(h.where, "gw-1", alice, "status")); err != nil {
		t.Fatal(err)
	}
	calls := h.fake.WaitFor(t, 10*time.Second, 1, "POST", "/interactions/gw-1/tok-gw-1/callback")
	var resp reply
	if err := json.Unmarshal(calls[0].Body, &resp); err != nil {
		t.Fatal(err)
	}
	if resp.Type != discordgo.InteractionResponseChannelMessageWithSource || !resp.ephemeral() || resp.Data.Embeds[0].Title != "Your access" {
		t.Fatalf("gateway interaction answered %s", calls[0].Body)
	}
	if am := calls[0].AllowedMentions(); am == nil || am.Parse == nil || len(am.Parse) != 0 {
		t.Fatalf("callback allowed_mentions = %+v", am)
	}
	if !strings.Contains(calls[0].Auth, "Bot "+botToken) {
		t.Errorf("callback authorization = %q", calls[0].Auth)
	}
	// A replayed event is not answered again: the first answer stands.
	if err := h.fake.Dispatch("INTERACTION_CREATE", discordtest.Command(h.where, "gw-1", alice, "status")); err != nil {
		t.Fatal(err)
	}
	if err := h.fake.Dispatch("INTERACTION_CREATE", discordtest.Command(h.where, "gw-2", alice, "status")); err != nil {
		t.Fatal(err)
	}
	h.fake.WaitFor(t, 10*time.Second, 1, "POST", "/interactions/gw-2/tok-gw-2/callback")
	time.Sleep(50 * time.Millisecond)
	if n := len(h.fake.Find("POST", "/interactions/gw-1/tok-gw-1/callback")); n != 1 {
		t.Fatalf("a replayed interaction was answered %d times", n)
	}
	if n := st.inbox.Load(); n != 0 {
		t.Errorf("%d inbox items written for status over the gateway", n)
	}
	if len(h.fake.Find("PATCH", "/webhooks/.*")) != 0 {
		t.Errorf("a status over the gateway was followed up:\n%s", h.fake.Dump())
	}
}

func TestCommandsAreRegisteredWithRetry(t *testing.T) {
	h := newHarness(t, options{mode: "http"})
	h.fake.Fail("PUT", "/applications/app/guilds/g1/commands", http.StatusInternalServerError, 2)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := h.a.Start(ctx); err != nil {
		t.Fatal(err)
	}
	calls := h.fake.WaitFor(t, 10*time.Second, 3, "PUT", "/applications/app/guilds/g1/commands")
	if calls[0].Status != 500 || calls[1].Status != 500 || calls[2].Status != 200 {
		t.Fatalf("registration statuses %d %d %d, want 500 500 200", calls[0].Status, calls[1].Status, calls[2].Status)
	}
	if !strings.Contains(h.logs.String(), "registering /elevate failed; retrying") {
		t.Errorf("failed registrations were not logged: %s", h.logs.String())
	}
	var cmds []*discordgo.ApplicationCommand
	if err := json.Unmarshal(calls[2].Body, &cmds); err != nil || len(cmds) != 1 || cmds[0].Name != "elevate" {
		t.Fatalf("registered %s", calls[2].Body)
	}
	subs := map[string]*discordgo.ApplicationCommandOption{}
	for _, o := range cmds[0].Options {
		subs[o.Name] = o
	}
	for _, name := range []string{"request", "status", "drop", "extend", "cancel", "who", "assign", "unassign", "mfa", "audit"} {
		if subs[name] == nil {
			t.Errorf("no /elevate %s", name)
		}
	}
	if role := subs["request"].Options[0]; role.Name != "role" || !role.Autocomplete || !role.Required {
		t.Errorf("request's role option = %+v, want required with autocomplete", role)
	}
	if len(h.fake.Find("GET", "/gateway.*")) != 0 {
		t.Error("http mode opened the gateway")
	}
}

// TestSlowWorkIsDeferredAndFinishedByEdit: a command that changes
// something and whose work outlasts AckWithin is deferred and answered by
// editing the deferral; one that changes nothing is answered in its
// response however long it takes within the store's wait, never deferred.
func TestSlowWorkIsDeferredAndFinishedByEdit(t *testing.T) {
	h := newHarness(t, options{mode: "http", ackWithin: 20 * time.Millisecond,
		store: newFlaky(200 * time.Millisecond)})
	r := h.command(alice, "request", opt("role", "staging"), opt("duration", "30m"))
	if r.Type != discordgo.InteractionResponseDeferredChannelMessageWithSource || !r.ephemeral() {
		t.Fatalf("slow request answered %s, want an ephemeral deferral (5)", r.Raw)
	}
	id := h.seq
	calls := h.fake.WaitFor(t, 10*time.Second, 1, "PATCH", "/webhooks/app/tok-i[0-9]+/messages/@original")
	if !strings.Contains(calls[0].Path, "tok-i"+strconv.Itoa(id)) {
		t.Fatalf("edited %s", calls[0].Path)
	}
	if !strings.Contains(textOf(calls[0].Body), "active until") {
		t.Fatalf("deferred answer %s", calls[0].Body)
	}
	r = h.command(alice, "status")
	if r.Type != discordgo.InteractionResponseChannelMessageWithSource || !r.ephemeral() || !strings.Contains(r.text(), "Your access") {
		t.Fatalf("slow status answered %s, want its answer in the response (4)", r.Raw)
	}
	// A slow click is acknowledged without touching its message, then answered by a follow-up.
	r = h.click(alice, "elevate:status")
	if r.Type != discordgo.InteractionResponseDeferredMessageUpdate {
		t.Fatalf("slow click answered %s, want a deferred update (6)", r.Raw)
	}
	calls = h.fake.WaitFor(t, 10*time.Second, 1, "POST", "/webhooks/app/tok-i[0-9]+")
	var p struct {
		Flags int `json:"flags"`
	}
	if err := json.Unmarshal(calls[0].Body, &p); err != nil || p.Flags&64 == 0 || !strings.Contains(textOf(calls[0].Body), "Your access") {
		t.Fatalf("click follow-up %s", calls[0].Body)
	}
	h.wantInert()
}

// flakyStore answers reads late, or fails them, like a store under load
// or down.
type flakyStore struct {
	*memory.Store
	delay atomic.Int64 // nanoseconds
	fail  atomic.Bool
}

func newFlaky(delay time.Duration) func(*memory.Store) core.Store {
	return func(m *memory.Store) core.Store {
		s := &flakyStore{Store: m}
		s.delay.Store(int64(delay))
		return s
	}
}

func (s *flakyStore) slow() error {
	time.Sleep(time.Duration(s.delay.Load()))
	if s.fail.Load() {
		return errors.New("store unavailable: connection refused")
	}
	return nil
}

func (s *flakyStore) OpenRequestsOf(ctx context.Context, principal string) ([]*core.Request, error) {
	if err := s.slow(); err != nil {
		return nil, err
	}
	return s.Store.OpenRequestsOf(ctx, principal)
}

func (s *flakyStore) AssignmentsOf(ctx context.Context, principal, role string) ([]core.Assignment, error) {
	if err := s.slow(); err != nil {
		return nil, err
	}
	return s.Store.AssignmentsOf(ctx, principal, role)
}

func (s *flakyStore) AssignmentsByPrincipal(ctx context.Context, principal string) ([]core.Assignment, error) {
	if err := s.slow(); err != nil {
		return nil, err
	}
	return s.Store.AssignmentsByPrincipal(ctx, principal)
}

func TestAFormNeededAfterADeferralOpensFromAButton(t *testing.T) {
	h := newHarness(t, options{mode: "http", ackWithin: 20 * time.Millisecond, store: newFlaky(200 * time.Millisecond)})
	r := h.command(alice, "request", opt("role", "prod-db"), opt("justification", "replication is lagging badly"))
	if r.Type != discordgo.InteractionResponseDeferredChannelMessageWithSource {
		t.Fatalf("slow request answered %s, want a deferral", r.Raw)
	}
	edit := h.fake.WaitFor(t, 10*time.Second, 1, "PATCH", "/webhooks/app/tok-i1/messages/@original")[0]
	var body struct {
		Components json.RawMessage `json:"components"`
	}
	if err := json.Unmarshal(edit.Body, &body); err != nil {
		t.Fatal(err)
	}
	m := discordtest.Message{Components: body.Components}
	if ids := m.CustomIDs(); !slices.Equal(ids, []string{"elevate-form:request?role=prod-db"}) {
		t.Fatalf("deferred form answered with buttons %q: %s", ids, edit.Body)
	}
	h.store.(*flakyStore).delay.Store(0)
	r = h.click(alice, "elevate-form:request?role=prod-db")
	if r.Type != discordgo.InteractionResponseModal || r.Data.CustomID != "elevate-form:request?role=prod-db" {
		t.Fatalf("form button answered %s, want the request modal", r.Raw)
	}
}

func TestInternalErrorsAreLoggedAndShownGenerically(t *testing.T) {
	h := newHarness(t, options{mode: "http", store: newFlaky(0)})
	h.store.(*flakyStore).fail.Store(true)
	r := h.command(alice, "status")
	if !r.ephemeral() || !strings.Contains(r.text(), "Something went wrong on elevate's side") || strings.Contains(r.Raw, "connection refused") {
		t.Fatalf("internal error answered %s", r.Raw)
	}
	logs := h.logs.String()
	if !strings.Contains(logs, "connection refused") || !strings.Contains(logs, `"interaction_id":"i1"`) || !strings.Contains(logs, `"principal":"alice"`) {
		t.Fatalf("internal error not logged with its fields: %s", logs)
	}
}

// TestFullBacklogIsAnsweredNotDropped: with the work backlog full, an
// interaction is deferred and left in the inbox; the scheduler runs it
// after its lease and follows it up. Every interaction is answered once.
func TestFullBacklogIsAnsweredNotDropped(t *testing.T) {
	h := newHarness(t, options{mode: "http", ackWithin: 20 * time.Millisecond, workers: 1, queue: 1, store: newFlaky(300 * time.Millisecond)})
	const n = 4
	replies := make(chan reply, n)
	for k := range n {
		go func() {
			replies <- h.post(discordtest.Command(h.where, "busy-"+strconv.Itoa(k), alice, "request", opt("role", "staging")), h.clock.Now())
		}()
	}
	for range n {
		if r := <-replies; r.Type != discordgo.InteractionResponseDeferredChannelMessageWithSource {
			t.Errorf("answer %d %s, want a deferral", r.Status, r.Raw)
		}
	}
	h.a.Wait()
	h.clock.Advance(5 * time.Second) // the leases of those the pool had no room for
	if _, err := h.svc.RunDue(h.ctx); err != nil {
		t.Fatal(err)
	}
	h.fake.WaitFor(t, 10*time.Second, n, "PATCH", "/webhooks/app/tok-busy-[0-9]/messages/@original")
	time.Sleep(100 * time.Millisecond)
	if got := len(h.fake.Find("PATCH", "/webhooks/app/tok-busy-[0-9]/messages/@original")); got != n {
		t.Fatalf("%d follow-ups of %d interactions", got, n)
	}
}

func TestMFAEnrollmentDMsTheQRCode(t *testing.T) {
	h := newHarness(t, options{mode: "http"})
	r := h.command(alice, "mfa enroll")
	if r.Type != discordgo.InteractionResponseDeferredChannelMessageWithSource || !r.ephemeral() {
		t.Fatalf("mfa enroll answered %s, want an ephemeral deferral", r.Raw)
	}
	dm := h.fake.WaitFor(t, 10*time.Second, 1, "POST", "/channels/dm-1001/messages")[0]
	if len(dm.Files) != 1 || dm.Files[0].Name != "elevate-mfa.png" || dm.Files[0].ContentType != "image/png" ||
		!bytes.HasPrefix(dm.Files[0].Data, []byte("\x89PNG")) {
		t.Fatalf("enrollment DM files = %+v", dm.Files)
	}
	edit := h.fake.WaitFor(t, 10*time.Second, 1, "PATCH", "/webhooks/app/tok-i1/messages/@original")[0]
	if !strings.Contains(textOf(edit.Body), "direct message") || len(edit.Files) != 0 {
		t.Fatalf("enrollment answer %s (files %d): the secret belongs in the DM only", edit.Body, len(edit.Files))
	}
	h.wantInert()
}

func TestAuditExportIsAnAttachmentForAdminsOnly(t *testing.T) {
	h := newHarness(t, options{mode: "http"})
	r := h.command(alice, "audit")
	if !r.ephemeral() || !strings.Contains(r.text(), "Not allowed") {
		t.Fatalf("alice's audit answered %s", r.Raw)
	}
	r = h.command(dana, "audit", opt("role", "elevate-admin"), opt("since", "2026-03-01"))
	if r.Type != discordgo.InteractionResponseDeferredChannelMessageWithSource {
		t.Fatalf("dana's audit answered %s", r.Raw)
	}
	edit := h.fake.WaitFor(t, 10*time.Second, 1, "PATCH", "/webhooks/app/tok-i2/messages/@original")[0]
	if len(edit.Files) != 1 || edit.Files[0].Name != "elevate-audit.csv" || edit.Files[0].ContentType != "text/csv" ||
		!strings.Contains(string(edit.Files[0].Data), "elevate-admin") {
		t.Fatalf("audit export files = %+v", edit.Files)
	}
	if strings.Contains(string(edit.Files[0].Data), "staging") {
		t.Errorf("the role filter was not applied: %s", edit.Files[0].Data)
	}
	if r := h.command(dana, "audit", opt("since", "2026-03-01 role staging")); !strings.Contains(r.text(), "Cannot read since") {
		t.Errorf("a keyword smuggled into a date option answered %s", r.Raw)
	}
}

func TestPostingHonoursRateLimitsAndRoutes(t *testing.T) {
	h := newHarness(t, options{mode: "http"})
	h.fake.Fail("POST", "/channels/c-sec/messages", http.StatusTooManyRequests, 1)
	m := bot.Message{Title: "Security alert (high)", Text: "break-glass used by @everyone"}
	ref, err := h.a.Post(h.ctx, notifications.Destination{Channel: "security"}, m)
	if err != nil {
		t.Fatal(err)
	}
	calls := h.fake.Find("POST", "/channels/c-sec/messages")
	if len(calls) != 2 || calls[0].Status != 429 || calls[1].Status != 200 {
		t.Fatalf("posts: %s", h.fake.Dump())
	}
	if ref.Platform != core.PlatformDiscord || !strings.HasPrefix(ref.ID, secChan+"/") {
		t.Fatalf("ref = %+v", ref)
	}
	if err := h.a.Update(h.ctx, ref, bot.Message{Title: "Resolved"}); err != nil {
		t.Fatal(err)
	}
	channel, id, _ := strings.Cut(ref.ID, "/")
	if got, _ := h.fake.Message(channel, id); got.Embeds[0].Title != "Resolved" || got.Edits != 1 {
		t.Fatalf("updated message = %+v", got)
	}
	for _, d := range []notifications.Destination{{Channel: "nowhere"}, {Principal: "erin"}, {Principal: "nobody"}} {
		if _, err := h.a.Post(h.ctx, d, m); !errors.Is(err, notifications.ErrNoRoute) {
			t.Errorf("post to %s: %v, want ErrNoRoute", d, err)
		}
	}
	if err := h.a.Update(h.ctx, notifications.Ref{Platform: "console", ID: "7"}, m); !errors.Is(err, notifications.ErrNoRoute) {
		t.Errorf("update of a console ref: %v, want ErrNoRoute", err)
	}
	h.fake.Fail("POST", "/channels/c-sec/messages", http.StatusForbidden, 1)
	if _, err := h.a.Post(h.ctx, notifications.Destination{Channel: "security"}, m); err == nil || errors.Is(err, notifications.ErrNoRoute) {
		t.Errorf("a refused post returned %v, want an error for the notifier to retry and log", err)
	}
	h.wantInert()
}

func TestRoleTargetIsIdempotent(t *testing.T) {
	h := newHarness(t, options{mode: "http"})
	target := discord.NewRoleTarget(h.a, guild, prodRole)
	g := core.Grant{Principal: core.Principal{ID: "alice", IDs: map[string]string{core.PlatformDiscord: alice}}, Role: "prod-db", RequestID: "r-test1"}
	for range 2 {
		if err := target.Grant(h.ctx, g); err != nil {
			t.Fatal(err)
		}
	}
	if roles := h.fake.Roles(guild, alice); !slices.Equal(roles, []string{prodRole}) {
		t.Fatalf("roles after two grants = %q", roles)
	}
	for range 2 {
		if err := target.Revoke(h.ctx, g); err != nil {
			t.Fatal(err)
		}
	}
	if roles := h.fake.Roles(guild, alice); len(roles) != 0 {
		t.Fatalf("roles after revoke = %q", roles)
	}
	gone := g
	gone.Principal.IDs = map[string]string{core.PlatformDiscord: "4242"} // left the guild
	if err := target.Revoke(h.ctx, gone); err != nil {
		t.Errorf("revoking from a member who left: %v, want nil", err)
	}
	if err := target.Grant(h.ctx, gone); err == nil {
		t.Error("granting to a member who left succeeded")
	}
	if err := target.Grant(h.ctx, core.Grant{Principal: core.Principal{ID: "erin"}}); err == nil {
		t.Error("granting to a principal without a Discord id succeeded")
	}
}

func TestTypedOptionsAreNotReparsed(t *testing.T) {
	h := newHarness(t, options{mode: "http"})
	// A justification that reads like grammar stays a justification.
	r := h.command(alice, "request", opt("role", "staging"), opt("justification", "for 2h ticket INC-1 code 123456"))
	if !strings.Contains(r.text(), "active until") {
		t.Fatalf("request answered %s", r.Raw)
	}
	req := h.open("alice", "staging")
	if req.Justification != "for 2h ticket INC-1 code 123456" || req.Duration != 30*time.Minute || req.Ticket != "" {
		t.Fatalf("request = %+v", req)
	}
	for _, c := range []struct {
		sub  string
		opts []discordtest.Option
		want string
	}{
		{"request", []discordtest.Option{opt("role", "staging"), opt("duration", "soon")}, "Cannot read duration"},
		{"request", []discordtest.Option{opt("role", "staging"), opt("code", "12ab")}, "not a 6-8 digit code"},
		{"request", []discordtest.Option{opt("role", "no such role!")}, "not a role name"},
		{"approve", []discordtest.Option{opt("request", "prod-db")}, "not a request id"},
		{"assign", []discordtest.Option{opt("principal", "<@9999>"), opt("role", "staging")}, "not enrolled"},
		{"request", []discordtest.Option{opt("role", "staging"), opt("justification", "line\nbreak")}, "control character"},
	} {
		if r := h.command(alice, c.sub, c.opts...); !r.ephemeral() || !strings.Contains(r.text(), c.want) {
			t.Errorf("/elevate %s %v answered %s, want %q", c.sub, c.opts, r.Raw, c.want)
		}
	}
	// Admins name principals by Discord mention.
	r = h.command(dana, "assign", opt("principal", "<@"+bob+">"), opt("role", "staging"), opt("for", "30d"))
	if !strings.Contains(r.text(), "bob is now eligible for staging") {
		t.Fatalf("assign answered %s", r.Raw)
	}
}
