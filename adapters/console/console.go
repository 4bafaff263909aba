// Package console is the local chat adapter: it reads lines like
// "alice: prod-db for 2h INC-42 fixing replication" from a terminal or a
// pipe, runs them as the named principal, and prints the bot's replies and
// every notification with its destination. Buttons are printed as the
// commands they stand for, and forms are answered one field per line.
package console

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/elevate-pim/elevate/bot"
	"github.com/elevate-pim/elevate/core"
	"github.com/elevate-pim/elevate/notifications"
)

// maxLine bounds one input line.
const maxLine = 8 * 1024

// Console runs a chat session on a reader and a writer.
type Console struct {
	bot      *bot.Bot
	channels map[string]string // channel key → console name
	out      io.Writer
	skip     func(time.Duration) // moves the clock forward; nil when time cannot be skipped

	mu    sync.Mutex              // one line or scheduler tick at a time
	forms map[string]*pendingForm // principal id → the form they are filling in

	pmu        sync.Mutex // guards what follows and the output
	seq        int
	last       string // the newest request id shown, for "$last" in typed lines
	lastReview string // the newest review id shown, for "$review"
	lastAlert  string // the newest alert id shown, for "$alert"
	// While a line is handled, notifications wait here so that the reply
	// to the line prints first.
	handling bool
	held     []string
}

// pendingForm is a form being answered field by field.
type pendingForm struct {
	form    *bot.Form
	values  map[string]string
	missing []bot.Input
}

// Option configures a Console.
type Option func(*Console)

// WithChannels names channels as the console shows them: channel key → name.
func WithChannels(names map[string]string) Option {
	return func(c *Console) { c.channels = names }
}

// WithSkip lets ":skip DURATION" move the clock forward (a demo and test aid;
// only for the memory store, whose TTLs follow the same clock).
func WithSkip(skip func(time.Duration)) Option { return func(c *Console) { c.skip = skip } }

// New returns a Console that drives b and prints to out.
func New(b *bot.Bot, out io.Writer, opts ...Option) *Console {
	c := &Console{bot: b, out: out, forms: map[string]*pendingForm{}}
	for _, o := range opts {
		o(c)
	}
	return c
}

var (
	_ notifications.Poster  = (*Console)(nil)
	_ notifications.Updater = (*Console)(nil)
)

// Run reads lines from in until EOF or ctx ends, running scheduled jobs
// between lines and every TickInterval, so windows expire while you type.
func (c *Console) Run(ctx context.Context, in io.Reader) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go c.tick(ctx)
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 0, 4096), maxLine)
	for sc.Scan() {
		c.mu.Lock()
		c.hold(true)
		c.line(ctx, sc.Text())
		c.hold(false)
		c.runDue(ctx)
		c.mu.Unlock()
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("console input: %w", err)
	}
	return nil
}

// tick runs due jobs in the background.
func (c *Console) tick(ctx context.Context) {
	t := time.NewTicker(core.TickInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			c.mu.Lock()
			c.runDue(ctx)
			c.mu.Unlock()
		}
	}
}

// hold starts or ends holding notifications back; ending prints them.
func (c *Console) hold(on bool) {
	c.pmu.Lock()
	defer c.pmu.Unlock()
	c.handling = on
	if !on {
		for _, text := range c.held {
			io.WriteString(c.out, text)
		}
		c.held = nil
	}
}

// runDue runs the due jobs. Its store calls wait bot.StoreWait in all, like
// a line's: the next line, which waits for c.mu, is then answered in time
// while the store hangs.
func (c *Console) runDue(ctx context.Context) {
	if _, err := c.bot.Service().RunDue(core.WithStoreWait(ctx, bot.StoreWait)); err != nil && ctx.Err() == nil {
		c.printf("[scheduler] %v\n", err)
	}
}

// line handles one input line. The caller holds c.mu.
func (c *Console) line(ctx context.Context, raw string) {
	text := strings.TrimSpace(raw)
	if text == "" || strings.HasPrefix(text, "#") {
		return
	}
	if strings.HasPrefix(text, ":") {
		c.directive(ctx, text)
		return
	}
	who, said, ok := strings.Cut(text, ":")
	if !ok {
		c.printf("[console] type `NAME: COMMAND`, e.g. `alice: help`\n")
		return
	}
	who, said = strings.TrimSpace(who), strings.TrimSpace(said)
	p, err := c.dir().PrincipalFor(core.PlatformConsole, who)
	if err != nil {
		c.printf("[console] %s is not a principal in the config.\n", who)
		return
	}
	caller := core.Caller{Principal: p.ID, Source: core.PlatformConsole}
	ctx = core.WithStoreWait(ctx, bot.StoreWait)
	c.pmu.Lock()
	said = strings.NewReplacer("$last", c.last, "$review", c.lastReview, "$alert", c.lastAlert).Replace(said)
	c.pmu.Unlock()
	if f := c.forms[p.ID]; f != nil {
		c.answer(ctx, caller, f, said)
		return
	}
	said = strings.TrimPrefix(said, "/elevate")
	m, err := c.bot.Handle(ctx, caller, said)
	c.reply(caller, m, err)
}

// directive handles console-only lines that start with ":".
func (c *Console) directive(ctx context.Context, text string) {
	verb, arg, _ := strings.Cut(strings.TrimPrefix(text, ":"), " ")
	switch verb {
	case "skip":
		if c.skip == nil {
			c.printf("[console] :skip needs the memory store.\n")
			return
		}
		d, err := core.ParseDuration(arg)
		if err != nil {
			c.printf("[console] %s\n", core.ErrorMessage(err))
			return
		}
		c.skip(d)
		c.printf("[console] %s later (%s)\n", core.FormatDuration(d), c.bot.Service().Clock().Now().In(c.bot.Location()).Format("15:04 MST"))
	case "help":
		c.printf("[console] NAME: COMMAND runs a command as NAME (try `alice: help`); :skip 2h moves time forward; !cancel abandons a form.\n")
	default:
		c.printf("[console] unknown directive :%s (try :help)\n", verb)
	}
}

// answer fills the next missing input of a pending form with text.
func (c *Console) answer(ctx context.Context, caller core.Caller, f *pendingForm, text string) {
	if text == "!cancel" {
		delete(c.forms, caller.Principal)
		c.printf("[reply to %s] form abandoned\n", caller.Principal)
		return
	}
	f.values[f.missing[0].Name] = text
	f.missing = f.missing[1:]
	if len(f.missing) > 0 {
		c.prompt(caller.Principal, f)
		return
	}
	delete(c.forms, caller.Principal)
	m, err := c.bot.Submit(ctx, caller, bot.Submission{ID: f.form.ID, Hidden: f.form.Hidden, Values: f.values})
	c.reply(caller, m, err)
}

// reply prints the bot's answer to caller, or its error through the code table.
func (c *Console) reply(caller core.Caller, m bot.Message, err error) {
	head := "[reply to " + caller.Principal + "]"
	if err != nil {
		c.printf("%s %s: %s\n", head, errorReplies[core.ErrorCode(err)], core.ErrorMessage(err))
		return
	}
	c.render(head, caller.Principal, m)
	if m.Form != nil {
		c.startForm(caller.Principal, m.Form)
	}
}

// startForm shows a form and prompts for its first missing input.
func (c *Console) startForm(principal string, form *bot.Form) {
	f := &pendingForm{form: form, values: map[string]string{}, missing: form.Missing()}
	for _, in := range form.Inputs {
		if in.Value != "" {
			f.values[in.Name] = in.Value
		}
	}
	if len(f.missing) == 0 {
		return
	}
	c.forms[principal] = f
	c.printf("  [form] %s: answer each field as `%s: VALUE` (`%s: !cancel` to abandon)\n", form.Title, principal, principal)
	c.prompt(principal, f)
}

func (c *Console) prompt(principal string, f *pendingForm) {
	in := f.missing[0]
	c.printf("  [form] %s, %s?\n", principal, in.Label)
}

// errorReplies maps core error codes to the console's reply prefixes.
var errorReplies = map[string]string{
	core.EINVALID:     "invalid",
	core.ENOTFOUND:    "not found",
	core.EFORBIDDEN:   "not allowed",
	core.ECONFLICT:    "conflict",
	core.ELOCKED:      "locked",
	core.EINTERNAL:    "internal error",
	core.EUNAVAILABLE: "unavailable",
}

// dir is the directory in force: a config reload swaps it.
func (c *Console) dir() *core.Directory { return c.bot.Service().Directory() }
