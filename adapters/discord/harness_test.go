package discord_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/rs/zerolog"

	"github.com/elevate-pim/elevate/adapters/discord"
	"github.com/elevate-pim/elevate/adapters/discord/discordtest"
	"github.com/elevate-pim/elevate/bot"
	"github.com/elevate-pim/elevate/core"
	"github.com/elevate-pim/elevate/core/clocktest"
	"github.com/elevate-pim/elevate/core/totp"
	"github.com/elevate-pim/elevate/notifications"
	"github.com/elevate-pim/elevate/store/memory"
)

// Discord ids of the test world.
const (
	app       = "app"
	guild     = "g1"
	prodRole  = "r-prod" // the guild role the prod-db target grants
	dbaRole   = "2001"   // the guild role whose members approve prod-db
	alice     = "1001"
	bob       = "1002"
	carol     = "1003" // an approver only through the dba guild role
	dana      = "1004" // elevate admin
	mallory   = "1005" // eligible for break-glass, approves nothing
	stranger  = "9999" // not enrolled
	secChan   = "c-sec"
	apprChan  = "c-appr"
	botToken  = "tok"
	justWhy   = "@everyone <@&2001> **urgent** fixing replication lag"
	escapedAt = `\@everyone \<\@&2001\> \*\*urgent\*\* fixing replication lag`
)

var start = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

// harness is core on the memory store, the bot, a notifier posting through
// the adapter, the adapter's HTTP endpoint and a fake Discord.
type harness struct {
	t      testing.TB
	ctx    context.Context
	clock  *clocktest.Clock
	store  core.Store
	svc    *core.Service
	bot    *bot.Bot
	fake   *discordtest.Server
	signer *discordtest.Signer
	a      *discord.Adapter
	srv    *httptest.Server
	where  discordtest.Where
	logs   *syncBuffer

	mu      sync.Mutex
	replies []reply // every HTTP answer to an interaction
	seq     int
}

type options struct {
	mode      string
	ackWithin time.Duration
	workers   int
	queue     int
	store     func(*memory.Store) core.Store
	reviews   []core.ReviewPlan
}

// targets gives prod-db its Discord role target once the adapter exists.
type targets struct{ prod core.Target }

func (t *targets) For(role string) []core.Target {
	if role == "prod-db" && t.prod != nil {
		return []core.Target{t.prod}
	}
	return nil
}

func newHarness(t testing.TB, opt options) *harness {
	t.Helper()
	h := &harness{t: t, ctx: context.Background(), clock: clocktest.New(start), fake: discordtest.New(t),
		signer: discordtest.NewSigner(), logs: &syncBuffer{}}
	mem := memory.New(memory.WithClock(h.clock))
	h.store = mem
	if opt.store != nil {
		h.store = opt.store(mem)
	}
	ids := func(d string) map[string]string { return map[string]string{core.PlatformDiscord: d} }
	elig := core.ExpiryRule{AllowPermanent: true}
	dir := &core.Directory{
		Principals: map[string]*core.Principal{
			"alice": {ID: "alice", IDs: ids(alice)}, "bob": {ID: "bob", IDs: ids(bob)}, "carol": {ID: "carol", IDs: ids(carol)},
			"dana": {ID: "dana", IDs: ids(dana)}, "mallory": {ID: "mallory", IDs: ids(mallory)},
			"erin": {ID: "erin", IDs: map[string]string{}}, // no Discord id
		},
		Groups: map[string]*core.Group{"dba": {Name: "dba", Platform: ids(dbaRole)}},
		Roles: map[string]*core.Role{
			"prod-db": {Name: "prod-db", Notify: core.Routing{Channel: "security", ApprovalsChannel: "approvals", DMApprovers: true},
				Policy: core.Policy{MaxDuration: 4 * time.Hour, DefaultDuration: time.Hour, RequireJustification: true, JustificationMinLen: 10,
					RequireTicket: true, TicketPattern: regexp.MustCompile(`^INC-[0-9]+$`), Eligibility: elig,
					Approval: core.ApprovalRule{Required: true, Approvers: []string{"bob"}, ApproverGroups: []string{"dba"}, MinApprovals: 1}}},
			"staging": {Name: "staging", Notify: core.Routing{Channel: "security"},
				Policy: core.Policy{MaxDuration: 2 * time.Hour, DefaultDuration: 30 * time.Minute, Eligibility: elig,
					Extension: core.ExtensionRule{Allowed: true, MaxTotal: 2 * time.Hour}}},
			"break-glass":   {Name: "break-glass", Policy: core.Policy{MaxDuration: time.Hour, DefaultDuration: time.Hour, Eligibility: elig}},
			"elevate-admin": {Name: "elevate-admin", Policy: core.Policy{MaxDuration: time.Hour, Assignment: elig}},
		},
		AdminRole: "elevate-admin",
	}
	var n *notifications.Notifier
	tg := &targets{}
	svc, err := core.NewService(core.Config{Store: h.store, Directory: dir, Clock: h.clock, Targets: tg, OTP: totp.TOTP{}, Reviews: opt.reviews,
		MFAKey: bytes.Repeat([]byte{7}, 32), Events: core.EventSinkFunc(func(ctx context.Context, e core.Event) { n.Publish(ctx, e) })})
	if err != nil {
		t.Fatal(err)
	}
	h.svc = svc
	h.bot = bot.New(svc, time.UTC)
	log := zerolog.New(h.logs)
	h.a, err = discord.New(h.bot, h.store, discord.Config{
		BotToken: botToken, AppID: app, PublicKey: h.signer.PublicKeyHex(), Mode: opt.mode, Guilds: []string{guild},
		APIURL: h.fake.URL(), Channels: map[string]string{"security": secChan, "approvals": apprChan},
		Log: log, Clock: h.clock, AckWithin: opt.ackWithin, Workers: opt.workers, Queue: opt.queue, RetryBackoff: 10 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := h.a.Close(); err != nil {
			t.Error(err)
		}
		h.a.Wait()
	})
	tg.prod = discord.NewRoleTarget(h.a, guild, prodRole)
	svc.AddGroupResolver(h.a)
	n = notifications.New(h.bot, svc.Store(), notifications.Config{Channel: "security"}, log, h.a)
	if err := svc.SeedAssignments(h.ctx, []core.Assignment{
		{Kind: core.Eligible, Principal: "alice", Role: "prod-db", Permanent: true},
		{Kind: core.Eligible, Principal: "alice", Role: "staging", Permanent: true},
		{Kind: core.Eligible, Principal: "mallory", Role: "break-glass", Permanent: true},
		{Kind: core.Active, Principal: "dana", Role: "elevate-admin", Permanent: true},
	}); err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{alice, bob, mallory, dana} {
		h.fake.AddMember(guild, u)
	}
	h.fake.AddMember(guild, carol, dbaRole)
	h.srv = httptest.NewServer(h.a.Handler())
	t.Cleanup(h.srv.Close)
	h.where = discordtest.Where{App: app, Guild: guild, Channel: "c-general"}
	return h
}

// id returns a fresh interaction id.
func (h *harness) id() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.seq++
	return fmt.Sprintf("i%d", h.seq)
}

// reply is the HTTP answer to an interaction.
type reply struct {
	Status int
	Raw    string
	Type   discordgo.InteractionResponseType `json:"type"`
	Data   struct {
		Content         string                            `json:"content"`
		Embeds          []*discordgo.MessageEmbed         `json:"embeds"`
		Components      json.RawMessage                   `json:"components"`
		Flags           discordgo.MessageFlags            `json:"flags"`
		CustomID        string                            `json:"custom_id"`
		Title           string                            `json:"title"`
		AllowedMentions *discordgo.MessageAllowedMentions `json:"allowed_mentions"`
		Choices         []struct {
			Name  string `json:"name"`
			Value string `json:"value"`
		} `json:"choices"`
	} `json:"data"`
}

// text is the reply's content and embeds, joined.
func (r reply) text() string {
	m := discordtest.Message{Content: r.Data.Content, Embeds: r.Data.Embeds}
	return m.Text()
}

func (r reply) ephemeral() bool { return r.Data.Flags&discordgo.MessageFlagsEphemeral != 0 }

// post sends body signed at at and returns the answer.
func (h *harness) post(body []byte, at time.Time) reply {
	h.t.Helper()
	return h.send(h.signer.Request(h.srv.URL+discord.InteractionsPath, body, at))
}

func (h *harness) send(req *http.Request) reply {
	h.t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := reply{Status: resp.StatusCode, Raw: string(raw)}
	if resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(raw, &r); err != nil {
			h.t.Fatalf("answer %q: %v", raw, err)
		}
		h.mu.Lock()
		h.replies = append(h.replies, r)
		h.mu.Unlock()
	}
	return r
}

// interact posts a freshly signed interaction and wants a 200.
func (h *harness) interact(body []byte) reply {
	h.t.Helper()
	r := h.post(body, h.clock.Now())
	if r.Status != http.StatusOK {
		h.t.Fatalf("interaction answered %d: %s", r.Status, r.Raw)
	}
	return r
}

// command runs /elevate SUB as user.
func (h *harness) command(user, sub string, opts ...discordtest.Option) reply {
	h.t.Helper()
	return h.interact(discordtest.Command(h.where, h.id(), user, sub, opts...))
}

// click presses a button as user, in user's DM.
func (h *harness) click(user, customID string) reply {
	h.t.Helper()
	return h.interact(discordtest.Button(discordtest.Where{App: app, Channel: discordtest.DMChannel(user)}, h.id(), user, customID))
}

func opt(name string, value any) discordtest.Option {
	return discordtest.Option{Name: name, Value: value}
}

// open returns alice's open request for role.
func (h *harness) open(principal, role string) *core.Request {
	h.t.Helper()
	r, err := h.svc.FindOpen(h.ctx, core.Caller{Principal: principal}, role)
	if err != nil {
		h.t.Fatalf("open request of %s for %s: %v", principal, role, err)
	}
	return r
}

func (h *harness) request(id string) *core.Request {
	h.t.Helper()
	r, err := h.store.Request(h.ctx, id)
	if err != nil {
		h.t.Fatal(err)
	}
	return r
}

// auditActions returns the audit trail's actions, in order.
func (h *harness) auditActions() []string {
	h.t.Helper()
	events, _, err := core.ReadAudit(h.ctx, h.store, core.AuditFilter{})
	if err != nil {
		h.t.Fatal(err)
	}
	var out []string
	for _, e := range events {
		out = append(out, e.Action)
	}
	return out
}

func count(list []string, s string) int {
	n := 0
	for _, x := range list {
		if x == s {
			n++
		}
	}
	return n
}

// wantInert checks that every message the adapter sent — to the fake and
// as HTTP answers — parses no mentions, and that user text arrived escaped.
func (h *harness) wantInert() {
	h.t.Helper()
	carrying := 0
	for _, c := range h.fake.Calls() {
		message := (c.Method == "POST" && strings.HasSuffix(c.Path, "/messages")) || c.Method == "PATCH" ||
			(c.Method == "POST" && strings.HasPrefix(c.Path, "/webhooks/"))
		if !message {
			continue
		}
		carrying++
		am := c.AllowedMentions()
		if am == nil || am.Parse == nil || len(am.Parse) != 0 || len(am.Roles) != 0 || len(am.Users) != 0 {
			h.t.Errorf("%s %s: allowed_mentions = %+v, want {parse: []}", c.Method, c.Path, am)
		}
		if !strings.Contains(string(c.Body), `"allowed_mentions":{"parse":[]`) {
			h.t.Errorf("%s %s: body lacks an empty parse list: %s", c.Method, c.Path, c.Body)
		}
		if raw := rawMention.FindString(textOf(c.Body)); raw != "" {
			h.t.Errorf("%s %s carries an unescaped mention %q: %s", c.Method, c.Path, raw, c.Body)
		}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, r := range h.replies {
		if r.Type != discordgo.InteractionResponseChannelMessageWithSource {
			continue
		}
		carrying++
		if am := r.Data.AllowedMentions; am == nil || am.Parse == nil || len(am.Parse) != 0 {
			h.t.Errorf("reply %s: allowed_mentions = %+v, want {parse: []}", r.Raw, am)
		}
		if raw := rawMention.FindString(r.text()); raw != "" {
			h.t.Errorf("reply carries an unescaped mention %q: %s", raw, r.Raw)
		}
	}
	if carrying == 0 {
		h.t.Error("no message was checked")
	}
}

// textOf is the text a message body shows: content and embeds, decoded.
func textOf(body []byte) string {
	var v struct {
		Content string                    `json:"content"`
		Embeds  []*discordgo.MessageEmbed `json:"embeds"`
		Data    *struct {
			Content string                    `json:"content"`
			Embeds  []*discordgo.MessageEmbed `json:"embeds"`
		} `json:"data"`
	}
	_ = json.Unmarshal(body, &v)
	m := discordtest.Message{Content: v.Content, Embeds: v.Embeds}
	if v.Data != nil {
		m.Content, m.Embeds = v.Data.Content, v.Data.Embeds
	}
	return m.Text()
}

// rawMention finds "@everyone", "@here" or "<@&ROLE>" not escaped by a backslash.
var rawMention = regexp.MustCompile(`(^|[^\\])(@everyone|@here|<@&?[0-9]+>)`)

// syncBuffer is a log sink that goroutines may share.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
