package webhook_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/elevate-pim/elevate/adapters/webhook"
	"github.com/elevate-pim/elevate/core"
)

var grant = core.Grant{
	Principal: core.Principal{ID: "alice", Email: "alice@example.com", IDs: map[string]string{"slack": "U1"}},
	Role:      "prod-db", RequestID: "r-abc123", Justification: "fixing lag",
	Start: time.Unix(1700000000, 0), End: time.Unix(1700003600, 0),
}

func TestSignedDelivery(t *testing.T) {
	secret := []byte("s3cret")
	var got webhook.Payload
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := webhook.Verify(secret, r.Header.Get("X-Elevate-Timestamp"), r.Header.Get("X-Elevate-Signature"), body, time.Now(), 5*time.Minute); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		if r.Header.Get("X-Elevate-Delivery") != "r-abc123:revoke" {
			http.Error(w, "bad delivery id", http.StatusBadRequest)
			return
		}
		_ = json.Unmarshal(body, &got)
	}))
	defer srv.Close()
	if err := webhook.New(srv.URL, secret, time.Second).Revoke(context.Background(), grant); err != nil {
		t.Fatal(err)
	}
	if got.Action != "revoke" || got.Principal.Email != "alice@example.com" || got.Principal.IDs["slack"] != "U1" ||
		got.Role != "prod-db" || got.RequestID != "r-abc123" || !got.Window.End.Equal(grant.End) || got.Justification != "fixing lag" {
		t.Fatalf("payload = %+v", got)
	}
	// A receiver with another secret refuses: the signature really covers the body.
	err := webhook.New(srv.URL, []byte("wrong"), time.Second, webhook.WithAttempts(1)).Revoke(context.Background(), grant)
	if err == nil || !strings.Contains(err.Error(), "401") {
		t.Fatalf("wrong secret: %v", err)
	}
}

func TestVerifyRefusesStaleAndForged(t *testing.T) {
	secret, body := []byte("k"), []byte(`{"a":1}`)
	now := time.Unix(1700000000, 0)
	ts := "1700000000"
	sig := webhook.Sign(secret, ts, body)
	if err := webhook.Verify(secret, ts, sig, body, now, time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := webhook.Verify(secret, ts, sig, body, now.Add(2*time.Minute), time.Minute); err == nil {
		t.Fatal("stale timestamp accepted")
	}
	if err := webhook.Verify(secret, ts, sig, []byte(`{"a":2}`), now, time.Minute); err == nil {
		t.Fatal("altered body accepted")
	}
}

func TestRetries(t *testing.T) {
	var calls atomic.Int32
	status := http.StatusBadGateway
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		calls.Add(1)
		w.WriteHeader(status)
	}))
	defer srv.Close()
	err := webhook.New(srv.URL, []byte("k"), time.Second).Grant(context.Background(), grant)
	if err == nil || calls.Load() != webhook.DefaultAttempts {
		t.Fatalf("5xx: err %v after %d calls", err, calls.Load())
	}
	calls.Store(0)
	status = http.StatusBadRequest
	err = webhook.New(srv.URL, []byte("k"), time.Second).Grant(context.Background(), grant)
	if err == nil || calls.Load() != 1 {
		t.Fatalf("4xx is not retried: err %v after %d calls", err, calls.Load())
	}
}

// TestNameHidesCredentials: a webhook's name, which logs, alerts and
// metric labels show, drops the URL's user info and query.
func TestNameHidesCredentials(t *testing.T) {
	w := webhook.New("https://user:pass@iam.example.com/hook?token=s3cret#frag", []byte("k"), time.Second)
	if got, want := w.Name(), "webhook https://iam.example.com/hook"; got != want {
		t.Fatalf("Name() = %q, want %q", got, want)
	}
}
