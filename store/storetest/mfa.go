package storetest

import (
	"bytes"
	"testing"
	"time"

	"github.com/elevate-pim/elevate/core"
)

// testMFACompareAndSet checks that MFA records are written only over the
// version the writer read, round-trip every field, and are returned as copies.
func testMFACompareAndSet(t *testing.T, s core.Store) {
	_, err := s.MFA(t.Context(), "alice")
	wantCode(t, err, core.ENOTFOUND)

	sealed := []byte{0x00, 0x01, 0xfe, 0xff, 'k', 'e', 'y', 0x00}
	rec := &core.MFARecord{Principal: "alice", Sealed: sealed, Version: 9}
	mustApply(t, s, core.Change{MFA: &core.MFAWrite{Record: rec, Expect: 0}})
	got := mustMFA(t, s, "alice")
	if got.Principal != "alice" || !bytes.Equal(got.Sealed, sealed) || got.Version != 1 ||
		got.Confirmed || got.LastStep != 0 || got.Failures != 0 || !got.LockedUntil.IsZero() {
		t.Fatalf("created MFA record = %+v", got)
	}
	sealed[0] = 0x42 // the caller's bytes after Apply
	if got := mustMFA(t, s, "alice"); got.Sealed[0] != 0x00 {
		t.Fatal("changing the written bytes changed the stored record")
	}

	mustFailApply(t, s, core.Change{MFA: &core.MFAWrite{Record: &core.MFARecord{Principal: "alice"}, Expect: 0}}, core.ECONFLICT)

	locked := time.Now().Add(15 * time.Minute)
	update := got
	update.Confirmed, update.LastStep, update.Failures, update.LockedUntil = true, 58_000_000, 5, locked
	for _, stale := range []int64{0, 2} {
		mustFailApply(t, s, core.Change{MFA: &core.MFAWrite{Record: update, Expect: stale}}, core.ECONFLICT)
		if got := mustMFA(t, s, "alice"); got.Version != 1 || got.Confirmed {
			t.Fatalf("MFA record after a failed write = %+v", got)
		}
	}
	mustApply(t, s, core.Change{MFA: &core.MFAWrite{Record: update, Expect: 1}})
	got = mustMFA(t, s, "alice")
	if !got.Confirmed || got.LastStep != 58_000_000 || got.Failures != 5 || !sameTime(got.LockedUntil, locked) ||
		got.Version != 2 || !bytes.Equal(got.Sealed, update.Sealed) {
		t.Fatalf("updated MFA record = %+v, want %+v at version 2", got, update)
	}

	got.Sealed[1] = 0x42 // the bytes a read returned
	got.Failures = 0
	if again := mustMFA(t, s, "alice"); again.Sealed[1] != 0x01 || again.Failures != 5 {
		t.Fatal("changing a returned record changed the stored one")
	}

	_, err = s.MFA(t.Context(), "bob")
	wantCode(t, err, core.ENOTFOUND)
}
