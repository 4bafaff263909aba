package siem

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/elevate-pim/elevate/core"
)

// HTTP posts each batch to an endpoint as JSON lines (one event a line,
// application/x-ndjson). A 2xx answer takes the batch; anything else is
// retried. The Idempotency-Key header names the batch by its first and
// last sequence numbers.
type HTTP struct {
	url    string
	name   string
	client *http.Client
}

// NewHTTP returns a sink posting to rawURL (http or https).
func NewHTTP(rawURL string, client *http.Client) (*HTTP, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("siem http: %q is not an http(s) URL", redacted(rawURL))
	}
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Second}
	}
	return &HTTP{url: rawURL, name: "http-" + u.Host, client: client}, nil
}

// redacted hides a password in a URL.
func redacted(raw string) string {
	if u, err := url.Parse(raw); err == nil {
		return u.Redacted()
	}
	return "(unparsable URL)"
}

// Name is "http-" and the endpoint's host.
func (h *HTTP) Name() string { return h.name }

// Send posts the batch.
func (h *HTTP) Send(ctx context.Context, events []core.AuditEvent) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	for i := range events {
		if err := enc.Encode(&events[i]); err != nil {
			return fmt.Errorf("siem http: %w", err)
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.url, &buf)
	if err != nil {
		return fmt.Errorf("siem http: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-ndjson")
	req.Header.Set("Idempotency-Key", "elevate-audit-"+strconv.FormatInt(events[0].Seq, 10)+"-"+strconv.FormatInt(events[len(events)-1].Seq, 10))
	resp, err := h.client.Do(req)
	if err != nil {
		return fmt.Errorf("siem http %s: %w", h.name, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("siem http %s: %s", h.name, resp.Status)
	}
	return nil
}

// Close does nothing: connections are the client's.
func (h *HTTP) Close() error { return nil }
