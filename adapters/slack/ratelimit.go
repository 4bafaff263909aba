package slack

import (
	"context"
	"errors"
	"fmt"
	"time"

	slackapi "github.com/slack-go/slack"
)

// Rate-limit handling: Slack answers 429 with Retry-After, which slack-go
// turns into *slackapi.RateLimitedError.
const (
	maxRateRetries = 5
	minRetryAfter  = time.Second // when Slack names no wait
	maxRetryAfter  = time.Minute
)

// call runs one Slack API operation, waiting out rate limits as Slack asks
// and retrying a bounded number of times. What still fails is returned
// (wrapped with method), never dropped: the caller logs it or retries.
func (a *Adapter) call(ctx context.Context, method string, op func(context.Context) error) error {
	for attempt := 1; ; attempt++ {
		err := op(ctx)
		if err == nil {
			return nil
		}
		var rl *slackapi.RateLimitedError
		if !errors.As(err, &rl) || attempt > maxRateRetries {
			return fmt.Errorf("slack %s: %w", method, err)
		}
		wait := min(max(rl.RetryAfter, minRetryAfter), maxRetryAfter)
		a.log.Warn().Str("method", method).Dur("retry_after", wait).Int("attempt", attempt).Msg("slack rate limit: waiting before retrying")
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("slack %s: %w", method, errors.Join(err, ctx.Err()))
		case <-t.C:
		}
	}
}

// slackError reports whether err is the Slack API error code.
func slackError(err error, code string) bool {
	var se slackapi.SlackErrorResponse
	return errors.As(err, &se) && se.Err == code
}
