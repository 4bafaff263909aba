package notifications

import (
	"github.com/elevate-pim/elevate/bot"
	"github.com/elevate-pim/elevate/core"
)

// delivery is one thing to do for an event.
type delivery struct {
	to       Destination
	audience bot.Audience
	keep     bool // remember the posted refs: they are copies of an approval request
	update   bool // replace the copies of the request's approval message instead of posting
}

// route decides who hears of e, by its kind and severity and the role's routing.
func (n *Notifier) route(e core.Event) []delivery {
	if e.Request == nil {
		switch e.Kind {
		case core.EventAlert, core.EventAnchor:
			return n.channel(n.cfg.AlertsChannel)
		case core.EventAssignment:
			return n.channel(n.cfg.Channel)
		case core.EventReviewRequested, core.EventReviewReminder:
			var out []delivery
			for _, p := range e.Recipients {
				out = append(out, delivery{to: Destination{Principal: p}, audience: bot.ForRequester})
			}
			return out
		case core.EventReviewStarted, core.EventReviewEnded, core.EventReviewProgress:
			if ch := e.Review.Plan.Channel; ch != "" {
				return n.channel(ch)
			}
			return n.channel(n.cfg.Channel)
		}
		return nil
	}
	r := e.Request
	routing := core.Routing{Channel: n.cfg.Channel, DMApprovers: true}
	if role, ok := n.dir().Roles[r.Role]; ok {
		routing = role.Notify
		if routing.Channel == "" {
			routing.Channel = n.cfg.Channel
		}
	}
	requester := delivery{to: Destination{Principal: r.Principal}, audience: bot.ForRequester}
	update := delivery{update: true}

	var out []delivery
	switch e.Kind {
	case core.EventRequested, core.EventEscalated:
		if routing.DMApprovers || e.Kind == core.EventEscalated {
			for _, a := range e.Recipients {
				out = append(out, delivery{to: Destination{Principal: a}, audience: bot.ForApprover, keep: true})
			}
		}
		if e.Kind == core.EventRequested && routing.ApprovalsChannel != "" {
			out = append(out, delivery{to: Destination{Channel: routing.ApprovalsChannel}, audience: bot.ForApprover, keep: true})
		}
	case core.EventApprovalVote:
		out = append(out, update, requester)
	case core.EventApproved:
		out = append(out, update)
		if r.State == core.Scheduled {
			out = append(out, requester)
		}
	case core.EventDenied, core.EventTimedOut:
		out = append(out, update, requester)
	case core.EventCanceled:
		out = append(out, update)
	case core.EventActivated, core.EventExpired, core.EventRevoked, core.EventExtended:
		out = append(out, requester)
		out = append(out, n.channel(routing.Channel)...)
	case core.EventExpiring:
		out = append(out, requester)
	case core.EventFailed:
		out = append(out, update, requester)
		out = append(out, n.channel(n.cfg.AlertsChannel)...)
	}
	return out
}

// channel is a post to one channel, if one is configured.
func (n *Notifier) channel(ch string) []delivery {
	if ch == "" {
		return nil
	}
	return []delivery{{to: Destination{Channel: ch}, audience: bot.ForChannel}}
}
