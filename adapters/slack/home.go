package slack

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	slackapi "github.com/slack-go/slack"

	"github.com/elevate-pim/elevate/bot"
	"github.com/elevate-pim/elevate/core"
)

// maxHomeItems bounds each list in App Home, keeping the view under
// Slack's 100 blocks; `/elevate status` lists everything.
const maxHomeItems = 12

// publishHome builds the user's App Home from their core status and
// publishes it (views.publish). notice, when set, is the outcome of their
// last click there, shown at the top.
func (a *Adapter) publishHome(ctx context.Context, slackUser string, notice *bot.Message) {
	view := slackapi.HomeTabViewRequest{Type: slackapi.VTHomeTab, CallbackID: "elevate:home"}
	view.Blocks.BlockSet = a.homeBlocks(ctx, slackUser, notice)
	err := a.call(ctx, "views.publish", func(ctx context.Context) error {
		_, err := a.api.PublishViewContext(ctx, slackapi.PublishViewContextRequest{UserID: slackUser, View: view})
		return err
	})
	if err != nil {
		a.log.Error().Err(err).Str("slack_user", slackUser).Msg("App Home not published")
	}
}

// homeBlocks is the App Home: the last outcome, the user's active windows
// (time left, Deactivate, Extend), pending requests (Cancel), requests
// waiting for their decision (Approve, Deny), and roles they may activate.
func (a *Adapter) homeBlocks(ctx context.Context, slackUser string, notice *bot.Message) []slackapi.Block {
	h := &homeView{}
	h.add(slackapi.NewHeaderBlock(plain("elevate: just-in-time access", maxHeader)))
	if notice != nil && (visible(*notice) || notice.Form != nil) {
		n := *notice
		n.Title = ""
		if notice.Title != "" {
			n.Text = strings.TrimSpace(notice.Title + ": " + notice.Text)
		}
		for _, b := range blocks(n) {
			h.add(b)
		}
		h.add(slackapi.NewDividerBlock())
	}
	caller, err := a.caller(ctx, slackUser)
	if err != nil {
		h.text(errorText(err))
		return h.blocks
	}
	st, err := a.svc.StatusOf(ctx, caller)
	if err != nil {
		o := a.newOrigin("home", slackUser)
		o.principal = caller.Principal
		a.logFailure(o, err)
		h.text(errorText(err))
		return h.blocks
	}
	now := a.svc.Clock().Now()

	if len(st.Active) > 0 {
		h.section("Your active windows")
		for i, r := range st.Active {
			if h.more(i, len(st.Active)) {
				break
			}
			left := max(r.EndsAt.Sub(now), 0).Truncate(time.Minute)
			h.text(fmt.Sprintf("%s until %s (%s left) · %s", r.Role, a.clock(r.EndsAt, now), core.FormatDuration(left), r.ID))
			h.buttons(bot.Button{Label: "Deactivate", Command: "drop " + r.ID, Style: bot.StyleDanger},
				bot.Button{Label: "Extend 30m", Command: "extend " + r.ID + " by 30m"})
		}
	}
	for _, s := range st.Standing {
		until := "permanently"
		if !s.Until.IsZero() {
			until = "until " + a.clock(s.Until, now)
		}
		h.text(fmt.Sprintf("Assigned %s %s", strings.TrimPrefix(s.Via, "assignment:"), until))
	}
	if len(st.Pending) > 0 {
		h.section("Your pending requests")
		for i, r := range st.Pending {
			if h.more(i, len(st.Pending)) {
				break
			}
			h.text(fmt.Sprintf("%s for %s: %s · %s", r.Role, core.FormatDuration(r.Duration), r.State, r.ID))
			h.buttons(bot.Button{Label: "Cancel", Command: "cancel " + r.ID})
		}
	}
	if len(st.ToApprove) > 0 {
		h.section("Waiting for your decision")
		for i, r := range st.ToApprove {
			if h.more(i, len(st.ToApprove)) {
				break
			}
			line := fmt.Sprintf("%s wants %s for %s · %s", r.Principal, r.Role, core.FormatDuration(r.Duration), r.ID)
			if r.Ticket != "" {
				line += "\nTicket: " + r.Ticket
			}
			if r.Justification != "" {
				line += "\nJustification: " + r.Justification
			}
			h.text(line)
			h.buttons(bot.Button{Label: "Approve", Command: "approve " + r.ID, Style: bot.StylePrimary},
				bot.Button{Label: "Deny", Command: "deny " + r.ID, Style: bot.StyleDanger})
		}
	}
	h.section("Roles you can activate")
	if len(st.Eligible) == 0 {
		h.text("You are not eligible for any role right now.")
	}
	for i, role := range st.Eligible {
		if h.more(i, len(st.Eligible)) {
			break
		}
		desc := role
		if r, ok := a.dir().Roles[role]; ok && r.Description != "" {
			desc += ": " + r.Description
		}
		h.accessory(desc, bot.Button{Label: "Activate", Command: role, Style: bot.StylePrimary})
	}
	return h.blocks
}

// homeView accumulates App Home blocks, numbering button action ids.
type homeView struct {
	blocks  []slackapi.Block
	actions int
}

func (h *homeView) add(b slackapi.Block) { h.blocks = append(h.blocks, b) }

func (h *homeView) section(title string) {
	h.add(slackapi.NewDividerBlock())
	h.add(slackapi.NewHeaderBlock(plain(title, maxHeader)))
}

func (h *homeView) text(s string) {
	h.add(slackapi.NewSectionBlock(plain(s, maxSectionText), nil, nil))
}

func (h *homeView) buttons(bs ...bot.Button) {
	elems := buttons(bs, h.actions)
	h.actions += len(bs)
	h.add(slackapi.NewActionBlock("elevate:home:"+strconv.Itoa(h.actions), elems...))
}

func (h *homeView) accessory(s string, b bot.Button) {
	el := buttons([]bot.Button{b}, h.actions)
	h.actions++
	var acc *slackapi.Accessory
	if len(el) == 1 {
		acc = slackapi.NewAccessory(el[0])
	}
	h.add(slackapi.NewSectionBlock(plain(s, maxSectionText), nil, acc))
}

// more reports whether item i is past the list's limit, and says how many are left out.
func (h *homeView) more(i, n int) bool {
	if i < maxHomeItems {
		return false
	}
	h.text(fmt.Sprintf("…and %d more: type /elevate status to see them all.", n-i))
	return true
}

// clock renders a time the way the bot does: the time of day today, else with the date.
func (a *Adapter) clock(t, now time.Time) string {
	loc := a.bot.Location()
	t, now = t.In(loc), now.In(loc)
	if t.YearDay() == now.YearDay() && t.Year() == now.Year() {
		return t.Format("15:04 MST")
	}
	return t.Format("Mon 2 Jan 15:04 MST")
}
