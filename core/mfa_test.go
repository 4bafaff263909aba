package core_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/elevate-pim/elevate/core"
	"github.com/elevate-pim/elevate/core/totp"
)

// mustEnroll enrolls p and confirms with the current code, returning the secret.
func mustEnroll(t *testing.T, h *harness, p string) string {
	t.Helper()
	ctx := context.Background()
	en, err := h.svc.EnrollMFA(ctx, as(p))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(en.URL, "otpauth://totp/") || len(en.PNG) < 100 || string(en.PNG[1:4]) != "PNG" {
		t.Fatalf("enrollment: url %q, %d png bytes", en.URL, len(en.PNG))
	}
	if err := h.svc.ConfirmMFA(ctx, as(p), mustCode(t, en.Secret, h.clock.Now())); err != nil {
		t.Fatalf("confirm: %v", err)
	}
	// The confirming code is used: move to the next step so tests start clean.
	h.clock.Advance(30 * time.Second)
	return en.Secret
}

func mustCode(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	c, err := totp.Code(secret, at)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestTOTPCodeWorksOnce(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	secret := mustEnroll(t, h, "alice")
	code := mustCode(t, secret, h.clock.Now())
	r, err := h.svc.RequestActivation(ctx, as("alice"), core.ActivationInput{Role: "billing", Code: code})
	if err != nil || r.State != core.StateActive {
		t.Fatalf("with the right code: %v %v", err, r)
	}
	if _, err := h.svc.Deactivate(ctx, as("alice"), r.ID); err != nil {
		t.Fatal(err)
	}
	_, err = h.svc.RequestActivation(ctx, as("alice"), core.ActivationInput{Role: "billing", Code: code})
	wantCode(t, err, core.EFORBIDDEN)
	if !strings.Contains(core.ErrorMessage(err), "already used") {
		t.Fatalf("replay message = %q", core.ErrorMessage(err))
	}
	if holds(t, h, "alice", "billing") {
		t.Fatal("replayed code activated the role")
	}
}

func TestTOTPConcurrentReplay(t *testing.T) {
	h := newHarness(t)
	secret := mustEnroll(t, h, "alice")
	code := mustCode(t, secret, h.clock.Now())
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok := 0
	// The same code at the same instant from 20 callers: exactly one wins.
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := h.svc.RequestActivation(context.Background(), as("alice"), core.ActivationInput{Role: "billing", Code: code}); err == nil {
				mu.Lock()
				ok++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if ok != 1 {
		t.Fatalf("%d activations accepted one code, want 1", ok)
	}
}

func TestTOTPLockout(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	secret := mustEnroll(t, h, "alice")
	for i := range core.MFAMaxFailures {
		_, err := h.svc.RequestActivation(ctx, as("alice"), core.ActivationInput{Role: "billing", Code: "000000"})
		want := core.EFORBIDDEN
		if i == core.MFAMaxFailures-1 {
			want = core.ELOCKED
		}
		wantCode(t, err, want)
	}
	// Locked: even the right code is refused.
	_, err := h.svc.RequestActivation(ctx, as("alice"), core.ActivationInput{Role: "billing", Code: mustCode(t, secret, h.clock.Now())})
	wantCode(t, err, core.ELOCKED)
	h.clock.Advance(core.MFALockout)
	r, err := h.svc.RequestActivation(ctx, as("alice"), core.ActivationInput{Role: "billing", Code: mustCode(t, secret, h.clock.Now())})
	if err != nil || r.State != core.StateActive {
		t.Fatalf("after the lockout: %v", err)
	}
}

func TestPendingMFA(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	secret := mustEnroll(t, h, "alice")
	r := h.mustRequest(t, as("alice"), core.ActivationInput{Role: "billing"})
	if r.State != core.PendingMFA {
		t.Fatalf("state = %s", r.State)
	}
	_, err := h.svc.ProvideMFA(ctx, as("bob"), r.ID, mustCode(t, secret, h.clock.Now()))
	wantCode(t, err, core.EFORBIDDEN)
	_, err = h.svc.ProvideMFA(ctx, as("alice"), r.ID, "999999")
	wantCode(t, err, core.EFORBIDDEN)
	got, err := h.svc.ProvideMFA(ctx, as("alice"), r.ID, mustCode(t, secret, h.clock.Now()))
	if err != nil || got.State != core.StateActive {
		t.Fatalf("provide: %v %v", err, got)
	}
}

func TestPendingMFATimesOut(t *testing.T) {
	h := newHarness(t)
	mustEnroll(t, h, "alice")
	r := h.mustRequest(t, as("alice"), core.ActivationInput{Role: "billing"})
	h.advance(t, core.DefaultMFATimeout)
	if got := h.mustGet(t, r.ID); got.State != core.TimedOut {
		t.Fatalf("state = %s", got.State)
	}
}

func TestMFASecretSealed(t *testing.T) {
	h := newHarness(t)
	secret := mustEnroll(t, h, "alice")
	rec, err := h.store.MFA(context.Background(), "alice")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(rec.Sealed), secret) {
		t.Fatal("the TOTP secret is stored in plain text")
	}
	// Re-enrolling a confirmed factor is refused.
	_, err = h.svc.EnrollMFA(context.Background(), as("alice"))
	wantCode(t, err, core.ECONFLICT)
}

func TestSealerBindsPrincipal(t *testing.T) {
	s, err := core.NewSealer(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := s.Seal("alice", []byte("secret"))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := s.Open("alice", sealed); err != nil || string(got) != "secret" {
		t.Fatalf("open: %q %v", got, err)
	}
	if _, err := s.Open("mallory", sealed); err == nil {
		t.Fatal("a secret sealed for alice opened for mallory")
	}
	if _, err := core.NewSealer(make([]byte, 16)); err == nil {
		t.Fatal("accepted a 16-byte key")
	}
}
