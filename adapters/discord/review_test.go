package discord_test

import (
	"context"
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"

	"github.com/elevate-pim/elevate/adapters/discord"
	"github.com/elevate-pim/elevate/adapters/discord/discordtest"
	"github.com/elevate-pim/elevate/core"
	"github.com/elevate-pim/elevate/store/memory"
)

// monthly reviews staging and break-glass once, decided by bob without a
// reason, with auto_apply off: decided removals wait for `review apply`.
var monthly = core.ReviewPlan{Name: "monthly", Roles: []string{"staging", "break-glass"}, Kinds: []core.AssignmentKind{core.Eligible},
	Start: start, Stages: []core.ReviewStage{{Reviewers: []string{"bob"}, Duration: 72 * time.Hour}},
	Reminders: core.DefaultReminders, AutoApply: false, IfNoAnswer: core.DecisionKeep, UnusedFor: core.DefaultUnusedFor}

// shown is Discord markdown as a reader sees it: escapes removed.
func shown(s string) string { return strings.ReplaceAll(s, `\`, "") }

// customIDs returns the custom ids of a reply's buttons.
func (r reply) customIDs() []string {
	return discordtest.Message{Components: r.Data.Components}.CustomIDs()
}

// TestReviewInDiscordDM: a review DMs its reviewer the items with Keep /
// Remove buttons as components; a click answers by editing that DM (type 7,
// no new message): the decided item shows its decision and loses its
// buttons. The review subcommands (reviews, review show / keep / remove /
// apply / start) work with typed options, bad input is refused, and with
// auto_apply off `review apply` carries the removal out once.
func TestReviewInDiscordDM(t *testing.T) {
	h := newHarness(t, options{reviews: []core.ReviewPlan{monthly}})
	if err := h.svc.Reviews().Sync(h.ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.RunDue(h.ctx); err != nil {
		t.Fatal(err)
	}
	const id = "rv-monthly-20260302"
	h.fake.WaitFor(t, 5*time.Second, 1, "POST", "/channels/"+discordtest.DMChannel(bob)+"/messages")
	var dm discordtest.Message
	for _, m := range h.fake.Messages(discordtest.DMChannel(bob)) {
		if strings.Contains(shown(m.Text()), "Access review "+id) {
			dm = m
		}
	}
	want := []string{"elevate:review keep " + id + " 1", "elevate:review remove " + id + " 1", "elevate:review keep " + id + " 2",
		"elevate:review remove " + id + " 2", "elevate:review accept " + id}
	if !slices.Equal(dm.CustomIDs(), want) || !strings.Contains(shown(dm.Text()), "#1 alice: staging") || !strings.Contains(shown(dm.Text()), "#2 mallory: break-glass") {
		t.Fatalf("bob's DM = %q %q", dm.Text(), dm.CustomIDs())
	}
	if len(h.fake.Messages(discordtest.DMChannel(alice))) != 0 {
		t.Fatal("alice was asked to review her own access")
	}
	posts := len(h.fake.Find("POST", "/channels/"))

	dmAt := discordtest.Where{App: app, Channel: discordtest.DMChannel(bob)}
	r := h.interact(discordtest.ButtonOn(dmAt, h.id(), bob, dm, "elevate:review keep "+id+" 1"))
	if r.Type != discordgo.InteractionResponseUpdateMessage || !strings.Contains(shown(r.text()), "Keep #1 (alice, staging, eligible): recorded") {
		t.Fatalf("Keep #1 answered %s", r.Raw)
	}
	if got := r.customIDs(); !slices.Equal(got, []string{"elevate:review keep " + id + " 2", "elevate:review remove " + id + " 2", "elevate:review accept " + id}) {
		t.Fatalf("the edited DM's buttons = %q, want none for item 1", got)
	}
	if r.ephemeral() {
		t.Fatal("the edit of a DM carries the ephemeral flag")
	}
	if n := len(h.fake.Find("POST", "/channels/")) - posts; n != 0 {
		t.Fatalf("%d new messages for a click that edits its DM", n)
	}
	if n := len(h.fake.Find("POST", "/webhooks/")); n != 0 {
		t.Fatalf("%d follow-ups for a click answered in place", n)
	}

	// mallory forges a click on her own item: refused, nothing edited.
	r = h.interact(discordtest.ButtonOn(discordtest.Where{App: app, Channel: discordtest.DMChannel(mallory)}, h.id(), mallory, dm, "elevate:review remove "+id+" 2"))
	if r.Type != discordgo.InteractionResponseChannelMessageWithSource || !r.ephemeral() || !strings.Contains(shown(r.text()), "Nobody reviews their own access") {
		t.Fatalf("mallory's click answered %s", r.Raw)
	}

	r = h.command(bob, "reviews")
	if !r.ephemeral() || !strings.Contains(shown(r.text()), id) || !slices.Contains(r.customIDs(), "elevate:review "+id) {
		t.Fatalf("/elevate reviews answered %s", r.Raw)
	}
	r = h.command(bob, "review show", opt("review", id))
	if !strings.Contains(shown(r.text()), "#2 mallory: break-glass") || !slices.Contains(r.customIDs(), "elevate:review remove "+id+" 2") {
		t.Fatalf("/elevate review show answered %s", r.Raw)
	}
	for _, bad := range []struct {
		opts []discordtest.Option
		msg  string
	}{
		{[]discordtest.Option{opt("review", "nope"), opt("item", 1)}, "is not a review id"},
		{[]discordtest.Option{opt("review", id), opt("item", "two")}, "must be a whole number"},
		{[]discordtest.Option{opt("review", id)}, "Give the item option"},
	} {
		r = h.command(bob, "review keep", bad.opts...)
		if !r.ephemeral() || !strings.Contains(shown(r.text()), bad.msg) {
			t.Fatalf("review keep %v answered %s", bad.opts, r.Raw)
		}
	}
	if it, _ := h.store.ReviewItem(h.ctx, id, 2); !it.Pending() {
		t.Fatalf("bad input decided item 2: %+v", it)
	}
	r = h.command(bob, "review remove", opt("review", id), opt("item", 2), opt("reason", "left the on-call rota"))
	if !strings.Contains(shown(r.text()), "Remove #2 (mallory, break-glass, eligible): recorded") {
		t.Fatalf("/elevate review remove answered %s", r.Raw)
	}

	h.clock.Set(start.Add(72 * time.Hour))
	if _, err := h.svc.RunDue(h.ctx); err != nil {
		t.Fatal(err)
	}
	if as, _ := h.store.AssignmentsOf(h.ctx, "mallory", "break-glass"); len(as) != 1 {
		t.Fatalf("auto_apply: false removed at the end: %+v", as)
	}
	if r = h.command(bob, "review apply", opt("review", id)); !strings.Contains(shown(r.text()), "Only admins and the owners of "+id) {
		t.Fatalf("bob's apply answered %s", r.Raw)
	}
	if r = h.command(dana, "review apply", opt("review", id)); !strings.Contains(shown(r.text()), "Applied 1 decided removal(s) of "+id+": 1 kept, 1 removed") {
		t.Fatalf("dana's apply answered %s", r.Raw)
	}
	if as, _ := h.store.AssignmentsOf(h.ctx, "mallory", "break-glass"); len(as) != 0 {
		t.Fatalf("mallory's break-glass after apply = %+v", as)
	}
	if r = h.command(dana, "review apply", opt("review", id)); !strings.Contains(shown(r.text()), "Nothing left to apply in "+id) {
		t.Fatalf("second apply answered %s", r.Raw)
	}
	if n := count(h.auditActions(), "review_remove"); n != 1 {
		t.Fatalf("%d removals audited, want 1", n)
	}

	r = h.command(dana, "review start", opt("role", "staging"), opt("for", "2d"), opt("reviewers", "bob <@"+carol+">"))
	if !strings.Contains(shown(r.text()), "Started access review rv-") || !strings.Contains(shown(r.text()), " of staging: 1 item(s)") {
		t.Fatalf("/elevate review start answered %s", r.Raw)
	}
	h.fake.WaitFor(t, 5*time.Second, 1, "POST", "/channels/"+discordtest.DMChannel(carol)+"/messages")
	h.wantInert()
}

// slowReviews is a store whose review item reads take delay.
type slowReviews struct {
	core.Store
	delay atomic.Int64
}

func (s *slowReviews) ReviewItem(ctx context.Context, id string, n int) (*core.ReviewItem, error) {
	time.Sleep(time.Duration(s.delay.Load()))
	return s.Store.ReviewItem(ctx, id, n)
}

// TestReviewClickDeferredEditsTheDM: a decision that takes longer than the
// acknowledgement is deferred as an update of the clicked DM (type 6) and
// then edits that DM (the deferred original), never as a new follow-up.
func TestReviewClickDeferredEditsTheDM(t *testing.T) {
	var slow *slowReviews
	h := newHarness(t, options{mode: "http", ackWithin: 20 * time.Millisecond, reviews: []core.ReviewPlan{monthly},
		store: func(m *memory.Store) core.Store { slow = &slowReviews{Store: m}; return slow }})
	if err := h.svc.Reviews().Sync(h.ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.RunDue(h.ctx); err != nil {
		t.Fatal(err)
	}
	const id = "rv-monthly-20260302"
	h.fake.WaitFor(t, 5*time.Second, 1, "POST", "/channels/"+discordtest.DMChannel(bob)+"/messages")
	dm := h.fake.Messages(discordtest.DMChannel(bob))[0]
	slow.delay.Store(int64(300 * time.Millisecond))
	iid := h.id()
	r := h.interact(discordtest.ButtonOn(discordtest.Where{App: app, Channel: discordtest.DMChannel(bob)}, iid, bob, dm, "elevate:review remove "+id+" 2"))
	if r.Type != discordgo.InteractionResponseDeferredMessageUpdate {
		t.Fatalf("slow click answered %s, want a deferred update", r.Raw)
	}
	edit := h.fake.WaitFor(t, 10*time.Second, 1, "PATCH", "/webhooks/app/"+discordtest.Token(iid)+"/messages/@original")[0]
	var body struct {
		Components json.RawMessage `json:"components"`
	}
	if err := json.Unmarshal(edit.Body, &body); err != nil {
		t.Fatal(err)
	}
	if got := shown(textOf(edit.Body)); !strings.Contains(got, "Remove #2 (mallory, break-glass, eligible): recorded") {
		t.Fatalf("the deferred edit shows %q", got)
	}
	if ids := (discordtest.Message{Components: body.Components}).CustomIDs(); slices.Contains(ids, "elevate:review keep "+id+" 2") || !slices.Contains(ids, "elevate:review keep "+id+" 1") {
		t.Fatalf("the deferred edit's buttons = %q", ids)
	}
	if n := len(h.fake.Find("POST", "/webhooks/")); n != 0 {
		t.Fatalf("%d follow-ups besides the edit", n)
	}
}

// TestCommandsWithinDiscordLimits: /elevate with the review group stays
// within Discord's limits on application commands (25 options a level,
// names of 1-32 lowercase characters, descriptions of 1-100), which
// Discord enforces by refusing the whole registration.
func TestCommandsWithinDiscordLimits(t *testing.T) {
	name := regexp.MustCompile(`^[-_a-z0-9]{1,32}$`)
	var check func(path string, opts []*discordgo.ApplicationCommandOption)
	check = func(path string, opts []*discordgo.ApplicationCommandOption) {
		if len(opts) > 25 {
			t.Errorf("%s has %d options, over 25", path, len(opts))
		}
		for _, o := range opts {
			if !name.MatchString(o.Name) || len(o.Description) == 0 || utf8.RuneCountInString(o.Description) > 100 {
				t.Errorf("%s %s: bad name or description %q", path, o.Name, o.Description)
			}
			check(path+" "+o.Name, o.Options)
		}
	}
	cmds := discord.Commands()
	check("/elevate", cmds[0].Options)
	var group *discordgo.ApplicationCommandOption
	for _, o := range cmds[0].Options {
		if o.Name == "review" {
			group = o
		}
	}
	if group == nil || group.Type != discordgo.ApplicationCommandOptionSubCommandGroup || len(group.Options) != 8 {
		t.Fatalf("review group = %+v", group)
	}
}

// TestReviewReasonModalEditsTheDM: in a review that requires reasons, Remove
// on the DM opens a modal; its submission (which carries the DM) edits the
// DM in place.
func TestReviewReasonModalEditsTheDM(t *testing.T) {
	plan := monthly
	plan.RequireReason = true
	h := newHarness(t, options{reviews: []core.ReviewPlan{plan}})
	if err := h.svc.Reviews().Sync(h.ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.RunDue(h.ctx); err != nil {
		t.Fatal(err)
	}
	const id = "rv-monthly-20260302"
	h.fake.WaitFor(t, 5*time.Second, 1, "POST", "/channels/"+discordtest.DMChannel(bob)+"/messages")
	dm := h.fake.Messages(discordtest.DMChannel(bob))[0]
	at := discordtest.Where{App: app, Channel: discordtest.DMChannel(bob)}
	r := h.interact(discordtest.ButtonOn(at, h.id(), bob, dm, "elevate:review remove "+id+" 1"))
	if r.Type != discordgo.InteractionResponseModal {
		t.Fatalf("Remove in a review that requires reasons answered %s, want a modal", r.Raw)
	}
	if in, ok := modalInputs(t, r)["reason"]; !ok || !in.Required {
		t.Fatalf("the modal lacks a required reason: %s", r.Raw)
	}
	r = h.interact(discordtest.ModalSubmitOn(at, h.id(), bob, dm, r.Data.CustomID, map[string]string{"reason": "moved teams"}))
	if r.Type != discordgo.InteractionResponseUpdateMessage || !strings.Contains(shown(r.text()), "Remove #1 (alice, staging, eligible): recorded") ||
		slices.Contains(r.customIDs(), "elevate:review keep "+id+" 1") {
		t.Fatalf("the reason's submission answered %s, want the DM edited", r.Raw)
	}
	if it, _ := h.store.ReviewItem(h.ctx, id, 1); it.Decision != core.DecisionRemove || it.Reason != "moved teams" || it.DecidedBy != "bob" {
		t.Fatalf("item 1 = %+v", it)
	}
}
