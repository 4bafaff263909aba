package discord_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/elevate-pim/elevate/adapters/discord/discordtest"
	"github.com/elevate-pim/elevate/core"
	"github.com/elevate-pim/elevate/store/memory"
)

// writeCounter is the memory store counting the Discord inbox items and
// the de-duplication keys written through it.
type writeCounter struct {
	*memory.Store
	inbox, dedupe atomic.Int64
}

func (s *writeCounter) Apply(ctx context.Context, c core.Change) error {
	err := s.Store.Apply(ctx, c)
	if err == nil {
		for _, j := range c.Schedule {
			if j.Kind == core.InboxJob(core.PlatformDiscord) {
				s.inbox.Add(1)
			}
		}
	}
	return err
}

func (s *writeCounter) Once(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	s.dedupe.Add(1)
	return s.Store.Once(ctx, key, ttl)
}

// TestReadOnlyCommandsAnsweredInResponse: a slash command that changes
// nothing (help, status, the menu, who, reviews), one that does not parse
// and one of a user who is not enrolled are answered in the interaction's
// response itself (type 4, ephemeral), with a debug line: no inbox item, no
// de-duplication key and no follow-up at Discord. The same command
// delivered again is answered again. An activation is still written to the
// inbox before it is answered.
func TestReadOnlyCommandsAnsweredInResponse(t *testing.T) {
	var st *writeCounter
	h := newHarness(t, options{mode: "http", store: func(m *memory.Store) core.Store {
		st = &writeCounter{Store: m}
		return st
	}})
	for _, c := range []struct {
		user, sub string
		opts      []discordtest.Option
		want      string
	}{
		{bob, "help", nil, "just-in-time access"},
		{alice, "status", nil, "Eligible: prod-db, staging"},
		{alice, "menu", nil, `"label":"Activate staging"`},
		{dana, "who", []discordtest.Option{opt("role", "staging")}, "Who has staging"},
		{bob, "reviews", nil, "No open access review waits for you"},
		{alice, "who", []discordtest.Option{opt("role", "no such role!")}, "is not a role name"},
		{stranger, "status", nil, "not enrolled"},
	} {
		body := discordtest.Command(h.where, h.id(), c.user, c.sub, c.opts...)
		for range 2 { // delivered again: answered again, the same way
			r := h.interact(body)
			if r.Type != discordgo.InteractionResponseChannelMessageWithSource || !r.ephemeral() {
				t.Fatalf("%s by %s answered %s, want an ephemeral message (4)", c.sub, c.user, r.Raw)
			}
			if !strings.Contains(r.text()+string(r.Data.Components), c.want) {
				t.Errorf("%s by %s answered %s, want it to contain %q", c.sub, c.user, r.Raw, c.want)
			}
		}
	}
	if logs := h.logs.String(); !strings.Contains(logs, `"principal":"alice","verb":"status","error":false,"message":"discord command answered in its response"`) {
		t.Errorf("no debug line for alice's status answered in its response:\n%s", logs)
	}
	if n := st.inbox.Load(); n != 0 {
		t.Errorf("%d inbox items written for commands that change nothing", n)
	}
	if n := st.dedupe.Load(); n != 0 {
		t.Errorf("%d de-duplication keys written for commands that change nothing", n)
	}
	if calls := h.fake.Calls(); len(calls) != 0 {
		t.Errorf("%d calls at Discord (follow-ups) for commands answered in their response:\n%s", len(calls), h.fake.Dump())
	}
	h.wantInert()

	r := h.command(alice, "request", opt("role", "staging"), opt("duration", "30m"))
	if !strings.Contains(r.text(), "active until") {
		t.Fatalf("staging request answered %s", r.Raw)
	}
	if n := st.inbox.Load(); n != 1 {
		t.Errorf("%d inbox items written for an activation, want 1", n)
	}
}
