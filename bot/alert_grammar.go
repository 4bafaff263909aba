package bot

import "regexp"

// alertIDPattern is the shape of alert ids: "a-" and eight base32 characters.
var alertIDPattern = regexp.MustCompile(`^a-[a-z2-7]{8}$`)

// IsAlertID reports whether s has the shape of an alert id.
func IsAlertID(s string) bool { return alertIDPattern.MatchString(s) }

// alerts parses "alerts", "alerts dismiss <id> <reason>", "alerts ack <id>
// [note]", "alerts revoke <id>" and "alerts remove <id> <subject>". A
// dismissal without its reason is asked for in a form.
func (p *parser) alerts() (Command, error) {
	if p.done() {
		return Command{Verb: VerbAlerts}, nil
	}
	w := p.next().lower
	v, ok := map[string]Verb{"dismiss": VerbAlertDismiss, "ack": VerbAlertAck, "revoke": VerbAlertRevoke, "remove": VerbAlertRemove}[w]
	if !ok {
		return Command{}, usageErr(VerbAlerts, "Unknown alerts command %s.", quote(p.toks[p.i-1].text))
	}
	if p.done() {
		return Command{}, usageErr(v, "Give the alert id.")
	}
	t := p.next()
	if !IsAlertID(t.lower) {
		return Command{}, usageErr(v, "%s is not an alert id; they look like a-k2m9qx7b.", quote(t.text))
	}
	c := Command{Verb: v, AlertID: t.lower}
	var err error
	switch v {
	case VerbAlertDismiss, VerbAlertAck:
		c.Text, err = p.text("The reason")
		return c, err
	case VerbAlertRemove:
		if c.Principal, err = p.principal(v); err != nil {
			return Command{}, err
		}
	}
	return c, p.end(v)
}
