package bot_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/elevate-pim/elevate/bot"
	"github.com/elevate-pim/elevate/core"
)

func (f *fixture) must(t *testing.T, who, text string) bot.Message {
	t.Helper()
	m, err := f.bot.Handle(context.Background(), core.Caller{Principal: who, Source: "test"}, text)
	if err != nil {
		t.Fatalf("%s: %s: %v", who, text, err)
	}
	return m
}

func render(m bot.Message) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s\n", m.Title, m.Text)
	for _, f := range m.Fields {
		fmt.Fprintf(&b, "%s = %s\n", f.Label, f.Value)
	}
	for _, bt := range m.Buttons {
		fmt.Fprintf(&b, "[%s] %s\n", bt.Label, bt.Command)
	}
	return b.String()
}

// TestReviewsListAndProgress: `reviews` lists open reviews with what waits
// for the caller; `review ID` shows progress and the caller's page with
// Keep / Remove; a decision is confirmed; others see nothing of it.
func TestReviewsListAndProgress(t *testing.T) {
	f := newFixture(t)
	start := f.must(t, "dana", "review start prod-db for 2d reviewers bob")
	if start.ReviewID == "" || !strings.Contains(start.Text, "Started access review "+start.ReviewID+" of prod-db: 1 item(s)") {
		t.Fatalf("start reply = %+v", start)
	}
	id := start.ReviewID
	list := render(f.must(t, "bob", "reviews"))
	if !strings.Contains(list, id+" = prod-db, 1 item(s)") || !strings.Contains(list, "1 wait for you") || !strings.Contains(list, "[Review "+id+"] review "+id) {
		t.Fatalf("bob's reviews:\n%s", list)
	}
	if got := render(f.must(t, "alice", "reviews")); !strings.Contains(got, "No open access review waits for you") {
		t.Fatalf("alice's reviews:\n%s", got)
	}
	page := render(f.must(t, "bob", "review "+id))
	for _, want := range []string{"Progress = 1 undecided", "#1 alice: prod-db = eligible, permanent; never activated; recommended: remove",
		"[Keep #1] review keep " + id + " 1", "[Remove #1] review remove " + id + " 1", "[Accept all recommendations] review accept " + id} {
		if !strings.Contains(page, want) {
			t.Errorf("bob's page lacks %q:\n%s", want, page)
		}
	}
	if _, err := f.bot.Handle(context.Background(), core.Caller{Principal: "alice", Source: "test"}, "review "+id); core.ErrorCode(err) != core.EFORBIDDEN {
		t.Fatalf("alice's view of the review: %v", err)
	}
	if got := f.must(t, "bob", "review remove "+id+" 1 no longer on call"); !strings.Contains(got.Text, "Remove #1 (alice, prod-db, eligible): recorded") {
		t.Fatalf("decision reply = %q", got.Text)
	}
	if got := render(f.must(t, "dana", "review "+id)); !strings.Contains(got, "Progress = 1 remove") {
		t.Fatalf("progress after the decision:\n%s", got)
	}
	report := f.must(t, "dana", "review report "+id)
	if report.File == nil || !strings.Contains(string(report.File.Data), "remove,bob,no longer on call") {
		t.Fatalf("report = %+v", report)
	}
}
