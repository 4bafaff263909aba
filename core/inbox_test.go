package core_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/elevate-pim/elevate/core"
)

// TestDeliveryRunAgainFindsItsRequest: a delivery run again (its replica
// died after the request committed) answers with the request it opened,
// audited once; another delivery of the same ask is refused as usual.
func TestDeliveryRunAgainFindsItsRequest(t *testing.T) {
	h := newHarness(t)
	c := core.Caller{Principal: "alice", Source: "slack", Delivery: "slack:item-1"}
	in := core.ActivationInput{Role: "staging", Duration: time.Hour}
	first := h.mustRequest(t, c, in)
	again := h.mustRequest(t, c, in)
	if again.ID != first.ID || again.State != core.StateActive {
		t.Fatalf("run again: %s %s, want %s Active", again.ID, again.State, first.ID)
	}
	if got := h.actions(t, first.ID); countOf(got, "request") != 1 {
		t.Fatalf("audit of %s: %v, want one request", first.ID, got)
	}
	other := c
	other.Delivery = "slack:item-2"
	_, err := h.svc.RequestActivation(context.Background(), other, in)
	wantCode(t, err, core.ECONFLICT)
	// Someone else's delivery never borrows the request.
	_, err = h.svc.RequestActivation(context.Background(), core.Caller{Principal: "bob", Source: "slack", Delivery: "slack:item-1"}, in)
	if err != nil {
		t.Fatalf("bob with the same delivery id: %v", err)
	}
}

// TestInboxItemsRunOnceOrAreDropped: an accepted item the accepting
// replica never ran is run by the scheduler after its lease, once; one
// left until its answer can no longer reach the user is dropped with an
// alert instead; one that waited over half its lease before RunHeld is not
// run by it (the scheduler takes it).
func TestInboxItemsRunOnceOrAreDropped(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	var ran atomic.Int32
	h.svc.HandleInbox("chat", 10*time.Minute, func(ctx context.Context, held *core.Held) error {
		if string(held.Job().Payload) != "cmd" {
			t.Errorf("payload %q", held.Job().Payload)
		}
		ran.Add(1)
		return nil
	})
	pending := func() int {
		jobs, err := h.store.Jobs(ctx)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, j := range jobs {
			if j.Kind == core.InboxJob("chat") {
				n++
			}
		}
		return n
	}
	if _, err := h.svc.Accept(ctx, "chat", []byte("cmd")); err != nil {
		t.Fatal(err)
	}
	h.advance(t, time.Second)
	if ran.Load() != 0 {
		t.Fatal("an item held by its accepting replica ran before its lease ended")
	}
	h.advance(t, 5*time.Second)
	h.advance(t, 5*time.Second)
	if ran.Load() != 1 || pending() != 0 {
		t.Fatalf("after the lease: ran %d times, %d items left; want 1, 0", ran.Load(), pending())
	}

	j, err := h.svc.Accept(ctx, "chat", []byte("cmd"))
	if err != nil {
		t.Fatal(err)
	}
	h.clock.Advance(3 * time.Second) // over half the 4 s lease
	if err := h.svc.RunHeld(ctx, j); err != nil || ran.Load() != 1 {
		t.Fatalf("RunHeld of a stale hold: %v, ran %d times", err, ran.Load())
	}
	h.advance(t, 2*time.Second)
	if ran.Load() != 2 || pending() != 0 {
		t.Fatalf("the stale hold: ran %d times in all, %d left; want 2, 0", ran.Load(), pending())
	}

	if _, err := h.svc.Accept(ctx, "chat", []byte("cmd")); err != nil {
		t.Fatal(err)
	}
	h.mu.Lock()
	h.events = nil
	h.mu.Unlock()
	h.advance(t, 11*time.Minute) // every replica was down meanwhile
	if ran.Load() != 2 || pending() != 0 {
		t.Fatalf("an expired item: ran %d times in all, %d left; want it dropped", ran.Load(), pending())
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.events) != 1 || h.events[0].Kind != core.EventAlert || !strings.Contains(h.events[0].Message, "could not be answered") {
		t.Fatalf("events: %+v, want one alert", h.events)
	}
}

// countOf counts s in ss.
func countOf(ss []string, s string) int {
	n := 0
	for _, x := range ss {
		if x == s {
			n++
		}
	}
	return n
}
