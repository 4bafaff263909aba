package console

import (
	"context"
	"fmt"
	"strings"
	"unicode"

	"github.com/elevate-pim/elevate/bot"
	"github.com/elevate-pim/elevate/notifications"
)

// Post prints a notification with its destination. It implements
// notifications.Poster. Notifications are published synchronously from the
// line or tick that caused them, which already holds c.mu.
func (c *Console) Post(_ context.Context, d notifications.Destination, m bot.Message) (notifications.Ref, error) {
	c.seq++
	ref := notifications.Ref{Destination: d, Platform: "console", ID: fmt.Sprint(c.seq)}
	actor := d.Principal
	if actor == "" {
		actor = "<you>"
	}
	show := func() { c.render("["+c.destination(d)+"]", actor, m) }
	if c.handling {
		c.held = append(c.held, show)
	} else {
		show()
	}
	return ref, nil
}

// Update prints the new version of a posted message. It implements notifications.Updater.
func (c *Console) Update(_ context.Context, ref notifications.Ref, m bot.Message) error {
	actor := ref.Destination.Principal
	if actor == "" {
		actor = "<you>"
	}
	show := func() { c.render("[update "+c.destination(ref.Destination)+" #"+ref.ID+"]", actor, m) }
	if c.handling {
		c.held = append(c.held, show)
	} else {
		show()
	}
	return nil
}

// destination names d as the console shows it: "#security-alerts", "DM @bob".
func (c *Console) destination(d notifications.Destination) string {
	if d.Principal != "" {
		return d.String()
	}
	if name, ok := c.channels[d.Channel]; ok && name != "" {
		if !strings.HasPrefix(name, "#") {
			name = "#" + name
		}
		return name
	}
	return d.String()
}

// render prints a message: title and text, fields indented, and each
// button as the command actor would type for it.
func (c *Console) render(head, actor string, m bot.Message) {
	if m.RequestID != "" {
		c.last = m.RequestID
	}
	text := strings.TrimSpace(strings.Join(nonEmpty(m.Title, m.Text), ": "))
	if text == "" && len(m.Fields) == 0 && len(m.Buttons) == 0 && m.File == nil {
		return // a bare form: the prompts say it all
	}
	lines := strings.Split(text, "\n")
	c.printf("%s %s\n", head, clean(lines[0]))
	for _, l := range lines[1:] {
		c.printf("    %s\n", clean(l))
	}
	for _, f := range m.Fields {
		c.printf("    %s: %s\n", clean(f.Label), clean(f.Value))
	}
	for _, b := range m.Buttons {
		c.printf("    [%s] %s: %s\n", clean(b.Label), actor, clean(b.Command))
	}
	if m.File != nil {
		if strings.HasPrefix(m.File.Type, "text/") {
			c.printf("    [file %s]\n", clean(m.File.Name))
			for _, l := range strings.Split(strings.TrimRight(string(m.File.Data), "\n"), "\n") {
				c.printf("    | %s\n", clean(l))
			}
		} else {
			c.printf("    [file %s, %d bytes]\n", clean(m.File.Name), len(m.File.Data))
		}
	}
}

func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// clean drops control characters so user text cannot move the cursor or
// fake lines in a terminal.
func clean(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, s)
}

func (c *Console) printf(format string, args ...any) {
	fmt.Fprintf(c.out, format, args...)
}
