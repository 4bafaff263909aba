package notifications_test

import (
	"context"
	"slices"
	"testing"

	"github.com/elevate-pim/elevate/core"
)

// TestAlertPostedOnceAndEdited: an alert is posted when it opens, edited
// (not re-posted) at each later version, a repeated delivery of a version
// changes nothing, and once it closes a new opening is a new post.
func TestAlertPostedOnceAndEdited(t *testing.T) {
	rec := &recorder{}
	_, n := setup(t, rec)
	ctx := context.Background()
	al := core.Alert{ID: core.AlertID(core.AlertStandingAccess, ""), Kind: core.AlertStandingAccess, Severity: core.SeverityMedium,
		Summary: "bob holds prod-db standing", Status: core.AlertOpen, Version: 1,
		Report: []core.AlertRow{{Subject: "bob/prod-db", Detail: "active permanently", Action: "Convert", Command: "convert bob prod-db"}}}
	deliver := func(a core.Alert) {
		t.Helper()
		nt := &core.Notice{Event: core.Event{Kind: core.EventAlert, Severity: a.Severity, Alert: &a, Recipients: nil}}
		if err := n.Deliver(ctx, nt, func(context.Context) error { return nil }); err != nil {
			t.Fatal(err)
		}
	}
	deliver(al)
	al.Version, al.Summary = 2, "bob and carol hold prod-db standing"
	deliver(al)
	deliver(al) // delivered twice: no second edit
	al.Version, al.Status = 3, core.AlertResolved
	deliver(al)
	wantPosts := []string{"#security Security alert (medium): standing_access"}
	wantUpdates := []string{"#security Security alert (medium): standing_access buttons=2", "#security Resolved: Security alert (medium): standing_access buttons=0"}
	if !slices.Equal(rec.posts, wantPosts) || !slices.Equal(rec.updates, wantUpdates) {
		t.Fatalf("posts %q updates %q, want %q and %q", rec.posts, rec.updates, wantPosts, wantUpdates)
	}
	al.Version, al.Status = 4, core.AlertOpen // the condition trips again
	deliver(al)
	if len(rec.posts) != 2 {
		t.Fatalf("a reopened alert after resolution should be posted anew: %q", rec.posts)
	}
}
