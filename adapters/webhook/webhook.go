// Package webhook is a target that grants and revokes a role by POSTing a
// signed JSON document to a URL. Receivers verify
// X-Elevate-Signature: sha256=HEX(HMAC-SHA256(secret, timestamp + "." + body))
// with X-Elevate-Timestamp (Unix seconds), and should use X-Elevate-Delivery
// to drop duplicates: elevate delivers every action at least once, and a
// retry (by this or another replica) carries the same delivery id.
package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	neturl "net/url"
	"strconv"
	"time"

	"github.com/elevate-pim/elevate/core"
)

// Defaults for delivery.
const (
	DefaultAttempts = 3
	firstBackoff    = 200 * time.Millisecond
	maxErrorBody    = 512
	maxAnswer       = 1 << 20 // a member list
)

// Webhook is a core.Target that calls a URL.
type Webhook struct {
	name     string
	url      string
	secret   []byte
	client   *http.Client
	attempts int
	now      func() time.Time
}

var (
	_ core.Target   = (*Webhook)(nil)
	_ core.Extender = (*Webhook)(nil)
)

// Option adjusts a Webhook.
type Option func(*Webhook)

// WithClient sets the HTTP client (its Timeout bounds each attempt).
func WithClient(c *http.Client) Option { return func(w *Webhook) { w.client = c } }

// WithName names the target in chat, logs and metrics instead of its URL.
func WithName(name string) Option {
	return func(w *Webhook) {
		if name != "" {
			w.name = name
		}
	}
}

// WithAttempts sets how many times a call is tried before it fails.
func WithAttempts(n int) Option { return func(w *Webhook) { w.attempts = max(n, 1) } }

// New returns a webhook target posting to url, signed with secret, each
// attempt bounded by timeout.
func New(url string, secret []byte, timeout time.Duration, opts ...Option) *Webhook {
	w := &Webhook{name: nameOf(url), url: url, secret: secret, client: &http.Client{Timeout: timeout}, attempts: DefaultAttempts, now: time.Now}
	for _, o := range opts {
		o(w)
	}
	return w
}

// nameOf names a webhook by its URL without user info, query or
// fragment, which may carry credentials: the name appears in logs, alerts
// and metric labels.
func nameOf(raw string) string {
	u, err := neturl.Parse(raw)
	if err != nil {
		return "webhook"
	}
	u.User, u.RawQuery, u.ForceQuery, u.Fragment = nil, "", false, ""
	return "webhook " + u.String()
}

// Name identifies the target in logs, errors and metrics; it never shows
// credentials that the URL may carry.
func (w *Webhook) Name() string { return w.name }

// Grant tells the receiver to grant the role.
func (w *Webhook) Grant(ctx context.Context, g core.Grant) error { return w.send(ctx, "grant", g) }

// Revoke tells the receiver to revoke the role.
func (w *Webhook) Revoke(ctx context.Context, g core.Grant) error { return w.send(ctx, "revoke", g) }

// Extend tells the receiver that the window now ends at g.End.
func (w *Webhook) Extend(ctx context.Context, g core.Grant) error { return w.send(ctx, "extend", g) }

// Payload is the JSON document a receiver gets.
type Payload struct {
	Action        string    `json:"action"` // "grant", "extend" (Window.End is the new end), "revoke", or "list" (see Lister)
	Principal     Principal `json:"principal"`
	Role          string    `json:"role"`
	RequestID     string    `json:"request_id"`
	Window        Window    `json:"window"`
	Justification string    `json:"justification,omitempty"`
}

// Principal identifies who the action is for.
type Principal struct {
	ID    string            `json:"id"`
	Name  string            `json:"name,omitempty"`
	Email string            `json:"email,omitempty"`
	IDs   map[string]string `json:"ids,omitempty"` // platform → user id
}

// Window is the activation's interval.
type Window struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// send delivers one action, retrying transport errors, 5xx, 408 and 429 with backoff.
func (w *Webhook) send(ctx context.Context, action string, g core.Grant) error {
	body, err := json.Marshal(Payload{
		Action:    action,
		Principal: Principal{ID: g.Principal.ID, Name: g.Principal.Name, Email: g.Principal.Email, IDs: g.Principal.IDs},
		Role:      g.Role, RequestID: g.RequestID, Window: Window{Start: g.Start.UTC(), End: g.End.UTC()},
		Justification: g.Justification,
	})
	if err != nil {
		return err
	}
	_, err = w.call(ctx, action, delivery(action, g), body)
	return err
}

// call delivers one signed body and returns the receiver's answer,
// retrying transport errors, 5xx, 408 and 429 with backoff.
func (w *Webhook) call(ctx context.Context, action, deliveryID string, body []byte) ([]byte, error) {
	backoff := firstBackoff
	for attempt := 1; ; attempt++ {
		answer, retry, err := w.attempt(ctx, action, deliveryID, body)
		if err == nil || !retry || attempt >= w.attempts {
			return answer, err
		}
		select {
		case <-ctx.Done():
			return nil, errors.Join(err, ctx.Err())
		case <-time.After(backoff):
		}
		backoff *= 2
	}
}

// delivery is the id of one action, the same on each of its retries.
func delivery(action string, g core.Grant) string {
	if g.Delivery != "" {
		return g.Delivery
	}
	return g.RequestID + ":" + action
}

// attempt makes one signed POST, returns the body of a 2xx answer (up to
// maxAnswer bytes) and says whether a failure is worth retrying.
func (w *Webhook) attempt(ctx context.Context, action, deliveryID string, body []byte) (answer []byte, retry bool, err error) {
	ts := strconv.FormatInt(w.now().Unix(), 10)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.url, bytes.NewReader(body))
	if err != nil {
		return nil, false, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "elevate-webhook/1")
	req.Header.Set("X-Elevate-Timestamp", ts)
	req.Header.Set("X-Elevate-Signature", Sign(w.secret, ts, body))
	req.Header.Set("X-Elevate-Delivery", deliveryID)
	resp, err := w.client.Do(req)
	if err != nil {
		return nil, true, &core.TargetError{Summary: "could not be reached", Err: fmt.Errorf("%s %s: %w", action, w.url, err)}
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 == 2 {
		answer, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
		if err != nil {
			return nil, true, &core.TargetError{Summary: "could not be read", Err: fmt.Errorf("%s %s: %w", action, w.url, err)}
		}
		return answer, false, nil
	}
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	retry = resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusRequestTimeout
	return nil, retry, &core.TargetError{Summary: fmt.Sprintf("refused: HTTP %d", resp.StatusCode),
		Err: fmt.Errorf("%s %s: HTTP %d: %s", action, w.url, resp.StatusCode, bytes.TrimSpace(msg))}
}

// Sign returns the X-Elevate-Signature value of body sent at timestamp ts.
func Sign(secret []byte, ts string, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(ts))
	mac.Write([]byte("."))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// Verify checks a delivery's signature and that its timestamp is within
// maxSkew of now. Receivers written in Go can use it as is.
func Verify(secret []byte, ts, signature string, body []byte, now time.Time, maxSkew time.Duration) error {
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return errors.New("webhook: bad X-Elevate-Timestamp")
	}
	if d := now.Sub(time.Unix(sec, 0)); d > maxSkew || d < -maxSkew {
		return errors.New("webhook: stale X-Elevate-Timestamp")
	}
	if !hmac.Equal([]byte(Sign(secret, ts, body)), []byte(signature)) {
		return errors.New("webhook: bad X-Elevate-Signature")
	}
	return nil
}
