package core_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/elevate-pim/elevate/core"
)

// fakeTarget records calls and fails while told to.
type fakeTarget struct {
	mu          sync.Mutex
	grants      []string
	revokes     []string
	failGrant   bool
	failRevokes int
}

func (f *fakeTarget) Name() string { return "fake" }

func (f *fakeTarget) Grant(_ context.Context, g core.Grant) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failGrant {
		return errors.New("directory unavailable")
	}
	f.grants = append(f.grants, g.RequestID)
	return nil
}

func (f *fakeTarget) Revoke(_ context.Context, g core.Grant) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failRevokes > 0 {
		f.failRevokes--
		return errors.New("directory unavailable")
	}
	f.revokes = append(f.revokes, g.RequestID)
	return nil
}

type targetMap map[string][]core.Target

func (m targetMap) For(role string) []core.Target { return m[role] }

func newTargetHarness(t *testing.T, target core.Target) *harness {
	t.Helper()
	return newHarness(t, targetMap{"staging": {target}})
}

func TestGrantAndRevokeAtTargets(t *testing.T) {
	ft := &fakeTarget{}
	h := newTargetHarness(t, ft)
	r := h.mustRequest(t, as("bob"), core.ActivationInput{Role: "staging", Duration: time.Hour})
	if len(ft.grants) != 1 || ft.grants[0] != r.ID {
		t.Fatalf("grants = %v", ft.grants)
	}
	h.advance(t, time.Hour)
	if len(ft.revokes) != 1 || ft.revokes[0] != r.ID {
		t.Fatalf("revokes = %v", ft.revokes)
	}
	jobs, _ := h.store.Jobs(context.Background())
	for _, j := range jobs {
		if j.Ref == r.ID && j.Kind != core.JobPurge { // the purge deletes the request after its retention
			t.Fatalf("jobs left after a clean revoke: %+v", jobs)
		}
	}
}

func TestGrantFailureFailsTheRequest(t *testing.T) {
	ft := &fakeTarget{failGrant: true}
	h := newTargetHarness(t, ft)
	r := h.mustRequest(t, as("bob"), core.ActivationInput{Role: "staging"})
	got := h.mustGet(t, r.ID)
	// The reason is shown in chat: the target's name, not its error text.
	if got.State != core.Failed || got.Reason != "grant failed: target `fake` failed" {
		t.Fatalf("after failed grant: %s %q", got.State, got.Reason)
	}
	if holds(t, h, "bob", "staging") {
		t.Fatal("window left behind after a failed grant")
	}
	if _, err := h.store.Window(context.Background(), "bob", "staging"); core.ErrorCode(err) != core.ENOTFOUND {
		t.Fatalf("window key: %v", err)
	}
	kinds := eventNames(h.kinds(r.ID))
	if kinds[len(kinds)-1] != "failed" || slices.Contains(kinds, "activated") {
		t.Fatalf("events %v: want failed, and never activated", kinds)
	}
	// Partial grants are cleaned up: a revoke runs for the failed request.
	if len(ft.revokes) != 1 {
		t.Fatalf("revokes after failed grant = %v", ft.revokes)
	}
	// The slot is free: bob may try again.
	ft.failGrant = false
	h.mustRequest(t, as("bob"), core.ActivationInput{Role: "staging"})
}

func TestRevokeFailureRetriesAndAlerts(t *testing.T) {
	ft := &fakeTarget{}
	h := newTargetHarness(t, ft)
	r := h.mustRequest(t, as("bob"), core.ActivationInput{Role: "staging", Duration: time.Hour})
	ft.failRevokes = 3
	h.advance(t, time.Hour) // expiry: inline revoke fails (1)
	if holds(t, h, "bob", "staging") {
		t.Fatal("the window outlived its end while revocation fails")
	}
	for range 6 { // backoff 1s, 2s, 4s...
		h.advance(t, 5*time.Second)
	}
	if len(ft.revokes) != 1 || ft.revokes[0] != r.ID {
		t.Fatalf("revoke never succeeded: %v", ft.revokes)
	}
	// One High alert opened, and resolved once the revocation went through.
	var statuses []core.AlertStatus
	h.mu.Lock()
	for _, e := range h.events {
		if e.Kind == core.EventAlert && e.Severity == core.SeverityHigh && strings.Contains(e.Message, r.ID) {
			statuses = append(statuses, e.Alert.Status)
		}
	}
	h.mu.Unlock()
	if !slices.Equal(statuses, []core.AlertStatus{core.AlertOpen, core.AlertResolved}) {
		t.Fatalf("revoke_failing alert went %v, want opened once then resolved", statuses)
	}
	if al := h.alert(t, core.AlertRevokeFailing, r.ID); al.Status != core.AlertResolved || al.Kind != core.AlertRevokeFailing {
		t.Fatalf("stored alert = %+v", al)
	}
	if !slices.Contains(h.actions(t, r.ID), "revoke_failing") {
		t.Fatal("failing revoke not audited")
	}
}
