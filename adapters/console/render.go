package console

import (
	"context"
	"fmt"
	"io"
	"strings"
	"unicode"

	"github.com/elevate-pim/elevate/bot"
	"github.com/elevate-pim/elevate/notifications"
)

// Post prints a notification with its destination. It implements
// notifications.Poster. Scheduled jobs run concurrently, so Post may be
// called from several goroutines at once; while a typed line is handled its
// notifications are held back and printed after the line's reply.
func (c *Console) Post(_ context.Context, d notifications.Destination, m bot.Message) (notifications.Ref, error) {
	actor := d.Principal
	if actor == "" {
		actor = "<you>"
	}
	c.pmu.Lock()
	defer c.pmu.Unlock()
	c.seq++
	ref := notifications.Ref{Destination: d, Platform: "console", ID: fmt.Sprint(c.seq)}
	c.show(format("["+c.destination(d)+"]", actor, m), m)
	return ref, nil
}

// Update prints the new version of a posted message. It implements notifications.Updater.
func (c *Console) Update(_ context.Context, ref notifications.Ref, m bot.Message) error {
	actor := ref.Destination.Principal
	if actor == "" {
		actor = "<you>"
	}
	c.pmu.Lock()
	defer c.pmu.Unlock()
	c.show(format("[update "+c.destination(ref.Destination)+" #"+ref.ID+"]", actor, m), m)
	return nil
}

// show prints text now, or after the reply to the line being handled. The
// caller holds c.pmu.
func (c *Console) show(text string, m bot.Message) {
	c.remember(m)
	if c.handling {
		c.held = append(c.held, text)
		return
	}
	io.WriteString(c.out, text)
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

// remember keeps the ids m is about for "$last", "$review" and "$alert". The caller
// holds c.pmu.
func (c *Console) remember(m bot.Message) {
	if m.RequestID != "" {
		c.last = m.RequestID
	}
	if m.ReviewID != "" {
		c.lastReview = m.ReviewID
	}
	if m.AlertID != "" {
		c.lastAlert = m.AlertID
	}
}

// render prints a reply.
func (c *Console) render(head, actor string, m bot.Message) {
	c.pmu.Lock()
	defer c.pmu.Unlock()
	c.remember(m)
	io.WriteString(c.out, format(head, actor, m))
}

// format lays a message out: title and text, fields indented, and each
// button as the command actor would type for it.
func format(head, actor string, m bot.Message) string {
	var b strings.Builder
	text := strings.TrimSpace(strings.Join(nonEmpty(m.Title, m.Text), ": "))
	if text == "" && len(m.Fields) == 0 && len(m.Buttons) == 0 && m.File == nil {
		return "" // a bare form: the prompts say it all
	}
	lines := strings.Split(text, "\n")
	fmt.Fprintf(&b, "%s %s\n", head, clean(lines[0]))
	for _, l := range lines[1:] {
		fmt.Fprintf(&b, "    %s\n", clean(l))
	}
	for _, f := range m.Fields {
		fmt.Fprintf(&b, "    %s: %s\n", clean(f.Label), clean(f.Value))
	}
	for _, bt := range m.Buttons {
		fmt.Fprintf(&b, "    [%s] %s: %s\n", clean(bt.Label), actor, clean(bt.Command))
	}
	if m.File != nil {
		if strings.HasPrefix(m.File.Type, "text/") {
			fmt.Fprintf(&b, "    [file %s]\n", clean(m.File.Name))
			for _, l := range strings.Split(strings.TrimRight(string(m.File.Data), "\n"), "\n") {
				fmt.Fprintf(&b, "    | %s\n", clean(l))
			}
		} else {
			fmt.Fprintf(&b, "    [file %s, %d bytes]\n", clean(m.File.Name), len(m.File.Data))
		}
	}
	return b.String()
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
	c.pmu.Lock()
	defer c.pmu.Unlock()
	fmt.Fprintf(c.out, format, args...)
}

// Platform names the console among the notifier's posters.
func (c *Console) Platform() string { return "console" }
