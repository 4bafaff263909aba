package core_test

import (
	"fmt"
	"testing"

	"github.com/elevate-pim/elevate/core"
	"github.com/elevate-pim/elevate/core/totp"
	"github.com/elevate-pim/elevate/store/memory"
)

// manyPrincipals is a directory of n principals, p0 … p(n-1), each with a
// Slack id S<i> and a Discord id <1000000+i>; p0 has no Discord id.
func manyPrincipals(n int) *core.Directory {
	d := &core.Directory{Principals: make(map[string]*core.Principal, n)}
	for i := range n {
		id := fmt.Sprintf("p%d", i)
		ids := map[string]string{core.PlatformSlack: fmt.Sprintf("S%d", i), core.PlatformDiscord: fmt.Sprint(1_000_000 + i)}
		if i == 0 {
			ids[core.PlatformDiscord] = ""
		}
		d.Principals[id] = &core.Principal{ID: id, IDs: ids}
	}
	return d
}

// TestPrincipalForFindsThePlatformUser: a platform user id maps to the one
// principal configured with it on that platform, in a directory used on
// its own and in one a service took in (an id given twice maps to the
// principal whose id sorts first); an unknown id, an id of another
// platform and the empty id are not enrolled; after a reload the new
// directory's mapping holds, and ids it dropped are no longer enrolled.
func TestPrincipalForFindsThePlatformUser(t *testing.T) {
	const n = 10_000
	alone := manyPrincipals(n)
	inService := manyPrincipals(n)
	for _, d := range []*core.Directory{alone, inService} {
		// One Slack id twice (the config refuses it): the same one wins every time.
		for _, id := range []string{"zed", "amy", "max"} {
			d.Principals[id] = &core.Principal{ID: id, IDs: map[string]string{core.PlatformSlack: "S-twice"}}
		}
	}
	svc, err := core.NewService(core.Config{Store: memory.New(), Directory: inService, OTP: totp.TOTP{}, MFAKey: make([]byte, 32)})
	if err != nil {
		t.Fatal(err)
	}
	for name, d := range map[string]*core.Directory{"alone": alone, "in a service": svc.Directory()} {
		for _, c := range []struct{ platform, uid, want string }{
			{core.PlatformSlack, "S0", "p0"},
			{core.PlatformSlack, "S4242", "p4242"},
			{core.PlatformSlack, "S-twice", "amy"},
			{core.PlatformDiscord, "1004242", "p4242"},
			{core.PlatformDiscord, fmt.Sprint(1_000_000 + n - 1), fmt.Sprintf("p%d", n-1)},
			{core.PlatformDiscord, "1000000", ""}, // p0's Discord id is empty: nobody has it
			{core.PlatformDiscord, "S4242", ""},   // a Slack id is not a Discord id
			{core.PlatformSlack, "S99999", ""},
			{core.PlatformDiscord, "", ""},
			{core.PlatformConsole, "p1", ""},
		} {
			p, err := d.PrincipalFor(c.platform, c.uid)
			switch {
			case c.want == "" && (err == nil || core.ErrorCode(err) != core.ENOTFOUND):
				t.Errorf("%s: %s user %q: %v, %v; want not enrolled", name, c.platform, c.uid, p, err)
			case c.want != "" && (err != nil || p.ID != c.want):
				t.Errorf("%s: %s user %q: %v, %v; want %s", name, c.platform, c.uid, p, err, c.want)
			}
		}
	}

	// A reload: S4242 now belongs to a new principal, and p7's ids are gone.
	next := manyPrincipals(n)
	next.Principals["p4242"].IDs[core.PlatformSlack] = "S-old"
	next.Principals["newcomer"] = &core.Principal{ID: "newcomer", IDs: map[string]string{core.PlatformSlack: "S4242"}}
	delete(next.Principals, "p7")
	if err := svc.SetDirectory(next); err != nil {
		t.Fatal(err)
	}
	d := svc.Directory()
	for _, c := range []struct{ platform, uid, want string }{
		{core.PlatformSlack, "S4242", "newcomer"},
		{core.PlatformSlack, "S-old", "p4242"},
		{core.PlatformDiscord, "1004242", "p4242"},
		{core.PlatformSlack, "S7", ""},
		{core.PlatformDiscord, "1000007", ""},
	} {
		p, err := d.PrincipalFor(c.platform, c.uid)
		switch {
		case c.want == "" && err == nil:
			t.Errorf("after reload: %s user %q is %s; want not enrolled", c.platform, c.uid, p.ID)
		case c.want != "" && (err != nil || p.ID != c.want):
			t.Errorf("after reload: %s user %q: %v, %v; want %s", c.platform, c.uid, p, err, c.want)
		}
	}
}

// BenchmarkPrincipalFor: who sent a chat command, among 10 000 principals.
func BenchmarkPrincipalFor(b *testing.B) {
	const n = 10_000
	d := manyPrincipals(n)
	users := make([]string, n-1) // every Discord id there is
	for i := range users {
		users[i] = fmt.Sprint(1_000_000 + 1 + i)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for k := range b.N {
		if _, err := d.PrincipalFor(core.PlatformDiscord, users[k%len(users)]); err != nil {
			b.Fatal(err)
		}
	}
}
