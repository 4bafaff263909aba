package discord_test

import (
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/elevate-pim/elevate/adapters/discord/discordtest"
	"github.com/elevate-pim/elevate/core"
)

// modalInputs returns a modal's text inputs by custom id.
func modalInputs(t *testing.T, r reply) map[string]discordgo.TextInput {
	t.Helper()
	var rows []struct {
		Components []discordgo.TextInput `json:"components"`
	}
	if err := json.Unmarshal(r.Data.Components, &rows); err != nil {
		t.Fatalf("modal components %s: %v", r.Data.Components, err)
	}
	out := map[string]discordgo.TextInput{}
	for _, row := range rows {
		for _, in := range row.Components {
			out[in.CustomID] = in
		}
	}
	return out
}

// requestPending has alice request prod-db through the slash command and
// its modal, and returns the pending request.
func requestPending(t *testing.T, h *harness) *core.Request {
	t.Helper()
	r := h.command(alice, "request", opt("role", "prod-db"), opt("justification", justWhy))
	if r.Type != discordgo.InteractionResponseModal {
		t.Fatalf("request without a ticket answered type %d, want a modal (9): %s", r.Type, r.Raw)
	}
	if r.Data.CustomID != "elevate-form:request?role=prod-db" {
		t.Fatalf("modal custom_id = %q", r.Data.CustomID)
	}
	inputs := modalInputs(t, r)
	if in, ok := inputs["ticket"]; !ok || !in.Required {
		t.Fatalf("modal lacks a required ticket input: %+v", inputs)
	}
	if inputs["justification"].Value != justWhy || inputs["justification"].Style != discordgo.TextInputParagraph {
		t.Fatalf("justification input = %+v, want the typed text, long", inputs["justification"])
	}
	r = h.interact(discordtest.ModalSubmit(h.where, h.id(), alice, r.Data.CustomID,
		map[string]string{"duration": "1h", "justification": justWhy, "ticket": "INC-4411"}))
	if r.Type != discordgo.InteractionResponseChannelMessageWithSource || !r.ephemeral() || !strings.Contains(r.text(), "waiting for approval") {
		t.Fatalf("modal submit answered %s", r.Raw)
	}
	req := h.open("alice", "prod-db")
	if req.State != core.PendingApproval {
		t.Fatalf("request is %s, want PendingApproval", req.State)
	}
	return req
}

// approvalCopies returns the approval request's copies: DMs to bob and to
// carol (approver through her guild role) and the approvals channel post.
func approvalCopies(t *testing.T, h *harness, id string) []discordtest.Message {
	t.Helper()
	var out []discordtest.Message
	for _, ch := range []string{discordtest.DMChannel(bob), discordtest.DMChannel(carol), apprChan} {
		var found bool
		for _, m := range h.fake.Messages(ch) {
			if slices.Contains(m.CustomIDs(), "elevate:approve "+id) || strings.Contains(m.Text(), id) && m.Edits > 0 {
				out, found = append(out, m), true
			}
		}
		if !found {
			t.Fatalf("no approval request for %s in %s; calls:\n%s", id, ch, h.fake.Dump())
		}
	}
	return out
}

func TestConversationOverHTTPInteractions(t *testing.T) {
	h := newHarness(t, options{mode: "http"})
	req := requestPending(t, h)

	copies := approvalCopies(t, h, req.ID)
	for _, m := range copies {
		if got, want := m.CustomIDs(), []string{"elevate:approve " + req.ID, "elevate:deny " + req.ID}; !slices.Equal(got, want) {
			t.Errorf("%s buttons = %q, want %q", m.ChannelID, got, want)
		}
		if !strings.Contains(m.Text(), escapedAt) {
			t.Errorf("%s does not show the escaped justification %q:\n%s", m.ChannelID, escapedAt, m.Text())
		}
	}
	if len(h.fake.Messages(discordtest.DMChannel(mallory))) != 0 {
		t.Error("mallory, who approves nothing, got a DM")
	}

	// Approve: every copy shows the outcome without buttons, alice hears,
	// the security channel is told, and the guild role is granted.
	r := h.click(bob, "elevate:approve "+req.ID)
	if !r.ephemeral() || !strings.Contains(r.text(), "You approved "+req.ID) {
		t.Fatalf("bob's approval answered %s", r.Raw)
	}
	if got := h.request(req.ID).State; got != core.StateActive {
		t.Fatalf("request is %s after approval, want Active", got)
	}
	for _, old := range copies {
		m, _ := h.fake.Message(old.ChannelID, old.ID)
		if m.Edits != 1 || len(m.CustomIDs()) != 0 || string(m.Components) != "[]" {
			t.Errorf("copy in %s: edits=%d components=%s, want one edit removing the buttons", m.ChannelID, m.Edits, m.Components)
		}
		if !strings.Contains(m.Text(), "Approved") || !strings.Contains(m.Text(), "bob approved prod\\-db") && !strings.Contains(m.Text(), "bob approved prod-db") {
			t.Errorf("copy in %s does not show who decided: %s", m.ChannelID, m.Text())
		}
	}
	wantPost(t, h, discordtest.DMChannel(alice), "Activated")
	wantPost(t, h, secChan, "Activated")
	if roles := h.fake.Roles(guild, alice); !slices.Equal(roles, []string{prodRole}) {
		t.Fatalf("alice's guild roles = %q, want %q", roles, prodRole)
	}
	if len(h.fake.Find("PUT", "/guilds/g1/members/1001/roles/r-prod")) != 1 {
		t.Errorf("role target calls:\n%s", h.fake.Dump())
	}

	// The window ends: the role is removed, alice and the channel hear.
	h.clock.Advance(time.Hour + time.Minute)
	if _, err := h.svc.RunDue(h.ctx); err != nil {
		t.Fatal(err)
	}
	if got := h.request(req.ID).State; got != core.Expired {
		t.Fatalf("request is %s after its window, want Expired", got)
	}
	if roles := h.fake.Roles(guild, alice); len(roles) != 0 {
		t.Fatalf("alice still holds guild roles %q after expiry", roles)
	}
	if len(h.fake.Find("DELETE", "/guilds/g1/members/1001/roles/r-prod")) != 1 {
		t.Errorf("no role removal; calls:\n%s", h.fake.Dump())
	}
	wantPost(t, h, discordtest.DMChannel(alice), "Expired")
	wantPost(t, h, secChan, "Expired")
	h.wantInert()
}

// wantPost fails unless channel got a message whose embed title is title.
func wantPost(t *testing.T, h *harness, channel, title string) discordtest.Message {
	t.Helper()
	for _, m := range h.fake.Messages(channel) {
		for _, e := range m.Embeds {
			if e.Title == title {
				return m
			}
		}
	}
	t.Fatalf("no %q message in %s; calls:\n%s", title, channel, h.fake.Dump())
	return discordtest.Message{}
}

func TestDenyAsksForAReasonInAModal(t *testing.T) {
	h := newHarness(t, options{mode: "http"})
	req := requestPending(t, h)
	copies := approvalCopies(t, h, req.ID)

	r := h.click(carol, "elevate:deny "+req.ID)
	if r.Type != discordgo.InteractionResponseModal {
		t.Fatalf("deny click answered %s, want a modal", r.Raw)
	}
	id, err := url.QueryUnescape(strings.TrimPrefix(r.Data.CustomID, "elevate-form:deny?request="))
	if err != nil || id != req.ID {
		t.Fatalf("deny modal custom_id = %q, want the request id %s", r.Data.CustomID, req.ID)
	}
	if in := modalInputs(t, r)["reason"]; !in.Required {
		t.Fatalf("deny modal has no required reason: %s", r.Data.Components)
	}
	if got := h.request(req.ID).State; got != core.PendingApproval {
		t.Fatalf("opening the deny form changed the request to %s", got)
	}
	r = h.interact(discordtest.ModalSubmit(discordtest.Where{App: app}, h.id(), carol, r.Data.CustomID,
		map[string]string{"reason": "the <@&2001> read replica is enough"}))
	if !r.ephemeral() || !strings.Contains(r.text(), "You denied") {
		t.Fatalf("deny submit answered %s", r.Raw)
	}
	if got := h.request(req.ID); got.State != core.Denied || got.DecidedBy != "carol" {
		t.Fatalf("request is %s by %q, want Denied by carol", got.State, got.DecidedBy)
	}
	for _, old := range copies {
		m, _ := h.fake.Message(old.ChannelID, old.ID)
		if len(m.CustomIDs()) != 0 || !strings.Contains(m.Text(), "Denied") {
			t.Errorf("copy in %s after deny: %s buttons=%q", m.ChannelID, m.Text(), m.CustomIDs())
		}
	}
	m := wantPost(t, h, discordtest.DMChannel(alice), "Denied")
	if !strings.Contains(m.Text(), `the \<\@&2001\> read replica is enough`) {
		t.Errorf("alice's DM does not carry the escaped reason: %s", m.Text())
	}
	h.wantInert()
}

func TestSelfAndNonApproverClicksAreRefused(t *testing.T) {
	h := newHarness(t, options{mode: "http"})
	req := requestPending(t, h)
	before := h.auditActions()
	posts := len(h.fake.Calls())
	for _, c := range []struct{ user, want string }{
		{alice, "cannot approve or deny your own request"},
		{mallory, "not an approver for prod-db"},
		{stranger, "not enrolled"},
	} {
		r := h.click(c.user, "elevate:approve "+req.ID)
		if r.Type != discordgo.InteractionResponseChannelMessageWithSource || !r.ephemeral() || !strings.Contains(r.text(), c.want) {
			t.Errorf("approve click by %s answered %s, want an ephemeral %q", c.user, r.Raw, c.want)
		}
	}
	if got := h.request(req.ID).State; got != core.PendingApproval {
		t.Fatalf("request is %s, want still PendingApproval", got)
	}
	if after := h.auditActions(); !slices.Equal(after, before) {
		t.Errorf("audit changed: %q → %q", before, after)
	}
	if len(h.fake.Calls()) != posts {
		t.Errorf("refused clicks reached Discord:\n%s", h.fake.Dump())
	}
}

func TestSameInteractionTwiceHasOneEffect(t *testing.T) {
	h := newHarness(t, options{mode: "http"})
	r := h.command(alice, "request", opt("role", "staging"), opt("duration", "30m"))
	if !strings.Contains(r.text(), "active until") {
		t.Fatalf("staging request answered %s", r.Raw)
	}
	req := h.open("alice", "staging")
	click := discordtest.Button(discordtest.Where{App: app}, "dup-1", alice, "elevate:extend "+req.ID+" by 30m")
	first := h.interact(click)
	if !strings.Contains(first.text(), "Extended staging") {
		t.Fatalf("extend click answered %s", first.Raw)
	}
	second := h.interact(click)
	if second.Type != discordgo.InteractionResponseDeferredMessageUpdate {
		t.Errorf("a redelivered click answered %s, want a silent acknowledgement (6)", second.Raw)
	}
	if got, want := h.request(req.ID).EndsAt, req.EndsAt.Add(30*time.Minute); !got.Equal(want) {
		t.Fatalf("window ends %v, want %v: the click took effect more than once", got, want)
	}
	if n := count(h.auditActions(), "extend"); n != 1 {
		t.Fatalf("%d extend events, want 1", n)
	}
	// A redelivered command is answered without running again.
	cmd := discordtest.Command(h.where, "dup-2", alice, "drop", opt("role", "staging"))
	if r := h.interact(cmd); !strings.Contains(r.text(), "Deactivated") {
		t.Fatalf("drop answered %s", r.Raw)
	}
	if r := h.interact(cmd); !strings.Contains(r.text(), "Already handled") || !r.ephemeral() {
		t.Fatalf("a redelivered drop answered %s", r.Raw)
	}
	if n := count(h.auditActions(), "deactivate"); n != 1 {
		t.Fatalf("%d deactivate events, want 1", n)
	}
}

func TestUserTextPingsNobody(t *testing.T) {
	h := newHarness(t, options{mode: "http"})
	why := "@everyone @here <@&2001> <@1002> [click](https://evil.example) **bold** > quote"
	r := h.command(alice, "request", opt("role", "staging"), opt("justification", why))
	if !strings.Contains(r.text(), "active until") {
		t.Fatalf("staging request answered %s", r.Raw)
	}
	m := wantPost(t, h, secChan, "Activated")
	want := `\@everyone \@here \<\@&2001\> \<\@1002\> \[click\]\(https://evil.example\) \*\*bold\*\* \> quote`
	var shown string
	for _, f := range m.Embeds[0].Fields {
		if f.Name == "Justification" {
			shown = f.Value
		}
	}
	if shown != want {
		t.Errorf("justification shown as %q, want %q", shown, want)
	}
	h.wantInert()
}

func TestAutocompleteListsOnlyEligibleRoles(t *testing.T) {
	h := newHarness(t, options{mode: "http"})
	for _, c := range []struct {
		user, sub, typed string
		want             []string
	}{
		{alice, "request", "", []string{"prod-db", "staging"}},
		{alice, "request", "STA", []string{"staging"}},
		{alice, "drop", "", []string{"prod-db", "staging"}},
		{mallory, "request", "", []string{"break-glass"}},
		{bob, "request", "", nil},
		{stranger, "request", "", nil},
	} {
		r := h.interact(discordtest.Autocomplete(h.where, h.id(), c.user, c.sub, discordtest.Option{Name: "role", Value: c.typed, Focused: true}))
		if r.Type != discordgo.InteractionApplicationCommandAutocompleteResult {
			t.Fatalf("autocomplete answered %s", r.Raw)
		}
		var got []string
		for _, ch := range r.Data.Choices {
			got = append(got, ch.Value)
		}
		slices.Sort(got)
		if !slices.Equal(got, c.want) {
			t.Errorf("%s /elevate %s role %q: choices %q, want %q", c.user, c.sub, c.typed, got, c.want)
		}
		if !strings.Contains(r.Raw, `"choices":[`) {
			t.Errorf("autocomplete answer lacks a choices list: %s", r.Raw)
		}
	}
}
