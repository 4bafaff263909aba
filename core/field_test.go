package core_test

import (
	"context"
	"testing"
	"time"

	"github.com/elevate-pim/elevate/core"
)

// TestErrorsNameTheirField: core's input errors name the input they are
// about, so adapters place them without reading the wording.
func TestErrorsNameTheirField(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	with := func(f func(in *core.ActivationInput)) core.ActivationInput {
		in := prodDB()
		f(&in)
		return in
	}
	for _, c := range []struct {
		name string
		in   core.ActivationInput
		want core.Field
	}{
		{"unknown role", with(func(in *core.ActivationInput) { in.Role = "nope" }), core.FieldRole},
		{"duration over max", with(func(in *core.ActivationInput) { in.Duration = 5 * time.Hour }), core.FieldDuration},
		{"start in the past", with(func(in *core.ActivationInput) { in.Start = t0.Add(-time.Hour) }), core.FieldStart},
		{"start too far", with(func(in *core.ActivationInput) { in.Start = t0.Add(25 * time.Hour) }), core.FieldStart},
		{"no justification", with(func(in *core.ActivationInput) { in.Justification = "" }), core.FieldJustification},
		{"short justification", with(func(in *core.ActivationInput) { in.Justification = "short" }), core.FieldJustification},
		{"control characters", with(func(in *core.ActivationInput) { in.Justification = "fixing \x1b[2J lag" }), core.FieldJustification},
		{"bad ticket", with(func(in *core.ActivationInput) { in.Ticket = "JIRA-1" }), core.FieldTicket},
	} {
		_, err := h.svc.RequestActivation(ctx, as("alice"), c.in)
		if got := core.ErrorField(err); got != c.want {
			t.Errorf("%s: field = %q (%v), want %q", c.name, got, err, c.want)
		}
	}
	r := h.mustRequest(t, as("alice"), prodDB())
	_, err := h.svc.Deny(ctx, as("bob"), r.ID, "")
	if got := core.ErrorField(err); got != core.FieldReason {
		t.Errorf("deny without reason: field = %q (%v), want reason", got, err)
	}
	if _, err := core.ParseDuration("2 fortnights"); core.ErrorField(err) != core.FieldDuration {
		t.Errorf("bad duration: field = %q, want duration", core.ErrorField(err))
	}
	if err := core.About(core.FieldStart, core.Errorf(core.EINVALID, "x")); core.ErrorField(err) != core.FieldStart || core.ErrorCode(err) != core.EINVALID {
		t.Errorf("About: %v, want an EINVALID error about start", err)
	}
}
