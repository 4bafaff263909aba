package slack_test

import (
	"context"
	"slices"
	"testing"

	"github.com/elevate-pim/elevate/adapters/slack"
	"github.com/elevate-pim/elevate/core"
)

func members(t *testing.T, e *env, id string) []string {
	t.Helper()
	g, ok := e.fake.Group(id)
	if !ok {
		t.Fatalf("no user group %s", id)
	}
	if g.Disabled {
		return nil
	}
	out := slices.Clone(g.Members)
	slices.Sort(out)
	return out
}

// TestUserGroupTargetAddsAndRemovesOnlyRequester: activating a role whose
// target is a Slack user group adds alice and keeps the other members;
// ending it removes only her; both are idempotent.
func TestUserGroupTargetAddsAndRemovesOnlyRequester(t *testing.T) {
	e := newEnv(t, options{})
	e.fake.SetGroup("S0OPS", uOther, uBob)
	target := slack.NewUserGroupTarget(e.a, "S0OPS")
	e.targets.set("ops", target)
	ctx := context.Background()

	e.slash(uAlice, "ops for 30m")
	e.settle()
	if got, want := members(t, e, "S0OPS"), []string{uAlice, uBob, uOther}; !slices.Equal(got, want) {
		t.Fatalf("members after activation = %v, want %v", got, want)
	}
	r := e.request("alice", "ops")
	grant := core.Grant{Principal: *directory().Principals["alice"], Role: "ops", RequestID: r.ID}
	updates := len(e.fake.Calls("usergroups.users.update"))
	if err := target.Grant(ctx, grant); err != nil {
		t.Fatal(err)
	}
	if n := len(e.fake.Calls("usergroups.users.update")); n != updates {
		t.Errorf("a second Grant wrote the group (%d updates, want %d)", n, updates)
	}

	_, resp := e.slash(uAlice, "drop ops")
	e.waitResponse(resp)
	e.settle()
	if got, want := members(t, e, "S0OPS"), []string{uBob, uOther}; !slices.Equal(got, want) {
		t.Fatalf("members after deactivation = %v, want %v", got, want)
	}
	updates = len(e.fake.Calls("usergroups.users.update"))
	if err := target.Revoke(ctx, grant); err != nil {
		t.Fatal(err)
	}
	if n := len(e.fake.Calls("usergroups.users.update")); n != updates {
		t.Errorf("a second Revoke wrote the group")
	}
	if target.Name() != "slack_usergroup:S0OPS" {
		t.Errorf("Name() = %q", target.Name())
	}
}

// TestUserGroupTargetLastMember: Slack cannot empty a user group, so the
// last member leaves by disabling it; the next grant enables it again
// with only the new member (the stale list of a disabled group is ignored).
func TestUserGroupTargetLastMember(t *testing.T) {
	e := newEnv(t, options{})
	e.fake.SetGroup("S0SOLO")
	target := slack.NewUserGroupTarget(e.a, "S0SOLO")
	ctx := context.Background()
	dir := directory()
	alice := core.Grant{Principal: *dir.Principals["alice"], Role: "ops"}
	carol := core.Grant{Principal: *dir.Principals["carol"], Role: "ops"} // no Slack id: found by email

	for _, step := range []struct {
		name string
		do   func() error
		want []string
	}{
		{"grant alice", func() error { return target.Grant(ctx, alice) }, []string{uAlice}},
		{"revoke alice", func() error { return target.Revoke(ctx, alice) }, nil},
		{"revoke alice again", func() error { return target.Revoke(ctx, alice) }, nil},
		{"grant carol", func() error { return target.Grant(ctx, carol) }, []string{uCarol}},
	} {
		if err := step.do(); err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		if got := members(t, e, "S0SOLO"); !slices.Equal(got, step.want) {
			t.Fatalf("%s: effective members %v, want %v", step.name, got, step.want)
		}
	}
}

// TestGroupMembersResolvesSlackUserGroup: an approver group's Slack user
// group resolves to enrolled principals (carol by email; the unenrolled
// member is left out), cached between calls.
func TestGroupMembersResolvesSlackUserGroup(t *testing.T) {
	e := newEnv(t, options{})
	ctx := context.Background()
	g := directory().Groups["dba"]
	for range 3 {
		got, err := e.a.GroupMembers(ctx, g)
		if err != nil || !slices.Equal(got, []string{"carol"}) {
			t.Fatalf("GroupMembers = %v, %v; want [carol]", got, err)
		}
	}
	if n := len(e.fake.Calls("usergroups.users.list")); n != 1 {
		t.Errorf("usergroups.users.list called %d times, want 1 (cached)", n)
	}
	if got, err := e.a.GroupMembers(ctx, &core.Group{Name: "plain"}); err != nil || got != nil {
		t.Errorf("a group without a Slack user group = %v, %v", got, err)
	}
	if _, err := e.a.GroupMembers(ctx, &core.Group{Name: "gone", Platform: map[string]string{"slack": "S0GONE"}}); err == nil {
		t.Error("a missing user group resolved without error")
	}
}
