package notifications_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/elevate-pim/elevate/bot"
	"github.com/elevate-pim/elevate/core"
	"github.com/elevate-pim/elevate/notifications"
	"github.com/elevate-pim/elevate/store/memory"
)

// recorder is a Poster and Updater that records what it was asked to do,
// failing the first failures posts.
type recorder struct {
	mu       sync.Mutex
	posts    []string
	updates  []string
	failures int
}

func (r *recorder) Post(_ context.Context, d notifications.Destination, m bot.Message) (notifications.Ref, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.failures > 0 {
		r.failures--
		return notifications.Ref{}, errors.New("platform unavailable")
	}
	if d.Channel == "nowhere" {
		return notifications.Ref{}, notifications.ErrNoRoute
	}
	r.posts = append(r.posts, d.String()+" "+m.Title)
	return notifications.Ref{Destination: d, ID: fmt.Sprint(len(r.posts))}, nil
}

func (r *recorder) Update(_ context.Context, ref notifications.Ref, m bot.Message) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.updates = append(r.updates, ref.Destination.String()+" "+m.Title+fmt.Sprintf(" buttons=%d", len(m.Buttons)))
	return nil
}

func setup(t *testing.T, rec *recorder) (*core.Service, *notifications.Notifier) {
	t.Helper()
	elig := core.ExpiryRule{AllowPermanent: true}
	dir := &core.Directory{
		Principals: map[string]*core.Principal{"alice": {ID: "alice"}, "bob": {ID: "bob"}, "carol": {ID: "carol"}, "dana": {ID: "dana"}},
		Roles: map[string]*core.Role{
			"prod-db": {Name: "prod-db", Notify: core.Routing{Channel: "security", ApprovalsChannel: "approvals", DMApprovers: true},
				Policy: core.Policy{MaxDuration: time.Hour, DefaultDuration: time.Hour, Eligibility: elig,
					Approval: core.ApprovalRule{Required: true, Approvers: []string{"bob", "carol"}, MinApprovals: 1}}},
			"admin": {Name: "admin", Policy: core.Policy{MaxDuration: time.Hour, Assignment: elig}},
		},
		AdminRole: "admin",
	}
	var n *notifications.Notifier
	svc, err := core.NewService(core.Config{Store: memory.New(), Directory: dir,
		Events: core.EventSinkFunc(func(ctx context.Context, e core.Event) { n.Publish(ctx, e) })})
	if err != nil {
		t.Fatal(err)
	}
	n = notifications.New(bot.New(svc, time.UTC), svc.Store(), notifications.Config{Channel: "security"}, zerolog.Nop(), rec)
	if err := svc.SeedAssignments(context.Background(), []core.Assignment{{Kind: core.Eligible, Principal: "alice", Role: "prod-db", Permanent: true}}); err != nil {
		t.Fatal(err)
	}
	return svc, n
}

func TestApprovalCopiesAreUpdated(t *testing.T) {
	rec := &recorder{}
	svc, _ := setup(t, rec)
	ctx := context.Background()
	r, err := svc.RequestActivation(ctx, core.Caller{Principal: "alice"}, core.ActivationInput{Role: "prod-db"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"DM @bob Approval needed", "DM @carol Approval needed", "#approvals Approval needed"}
	if !slices.Equal(rec.posts, want) {
		t.Fatalf("posts = %q, want %q", rec.posts, want)
	}
	if _, err := svc.Approve(ctx, core.Caller{Principal: "carol"}, r.ID); err != nil {
		t.Fatal(err)
	}
	wantUpdates := []string{"DM @bob Approved buttons=0", "DM @carol Approved buttons=0", "#approvals Approved buttons=0"}
	if !slices.Equal(rec.updates, wantUpdates) {
		t.Fatalf("updates = %q, want %q", rec.updates, wantUpdates)
	}
	if !slices.Contains(rec.posts, "DM @alice Activated") || !slices.Contains(rec.posts, "#security Activated") {
		t.Fatalf("activation posts missing: %q", rec.posts)
	}
}

func TestFailedPostsAreRetried(t *testing.T) {
	rec := &recorder{failures: 2}
	_, n := setup(t, rec)
	n.Publish(context.Background(), core.Event{Kind: core.EventAlert, Severity: core.SeverityHigh, Message: "break-glass used"})
	if !slices.Equal(rec.posts, []string{"#security Security alert (high)"}) {
		t.Fatalf("posts = %q", rec.posts)
	}
}
