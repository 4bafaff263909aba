package api

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/elevate-pim/elevate/core"
)

// sourcePrefix starts the audit Source of every call made through the API:
// "api:" and the token's name.
const sourcePrefix = "api:"

// Token is a bearer token the API accepts.
type Token struct {
	Name      string     // audited as the source of every change made with it
	Principal string     // the principal it acts as; "" for a service identity
	Scopes    core.Scope // a service identity's scopes
	Hash      [32]byte   // SHA-256 of the token
	Rate      int        // requests per second, and the burst
}

// authenticator finds a presented token's caller and keeps each token's
// rate limit.
type authenticator struct {
	tokens []Token
	byHash map[[32]byte]int // index in tokens by Hash
	clock  core.Clock
	mu     sync.Mutex
	bucket []bucket
}

// bucket is a token bucket: tokens left at the time of the last take.
type bucket struct {
	left float64
	at   time.Time
}

func newAuthenticator(tokens []Token, clock core.Clock) *authenticator {
	a := &authenticator{tokens: tokens, byHash: make(map[[32]byte]int, len(tokens)), clock: clock, bucket: make([]bucket, len(tokens))}
	for i, t := range tokens {
		a.bucket[i].left = float64(t.Rate)
		a.byHash[t.Hash] = i
	}
	return a
}

// errUnauthorized answers a missing or unknown token.
var errUnauthorized = &apiError{code: codeUnauth, message: "Give a valid API token: Authorization: Bearer TOKEN."}

// retryAfter returns the Retry-After of a rate limit error.
func retryAfter(err error) (string, bool) {
	var ae *apiError
	if errors.As(err, &ae) && ae.retryAfter != "" {
		return ae.retryAfter, true
	}
	return "", false
}

// caller authenticates an Authorization header. The presented token is
// looked up by its SHA-256, whose timing says nothing of the token, and
// the match is confirmed in constant time.
func (a *authenticator) caller(header string) (core.Caller, error) {
	raw, ok := strings.CutPrefix(header, "Bearer ")
	if !ok || raw == "" {
		return core.Caller{}, errUnauthorized
	}
	sum := sha256.Sum256([]byte(raw))
	found, ok := a.byHash[sum]
	if !ok || subtle.ConstantTimeCompare(sum[:], a.tokens[found].Hash[:]) != 1 {
		return core.Caller{}, errUnauthorized
	}
	t := a.tokens[found]
	if wait := a.take(found); wait > 0 {
		secs := strconv.Itoa(int(math.Ceil(wait.Seconds())))
		return core.Caller{}, &apiError{code: codeRateLimited, retryAfter: secs,
			message: "Token " + t.Name + " is over its rate limit of " + strconv.Itoa(t.Rate) + " requests per second; retry after " + secs + "s."}
	}
	return core.Caller{Principal: t.Principal, Scopes: t.Scopes, Source: sourcePrefix + t.Name}, nil
}

// take spends one request of token i's bucket, or returns how long until
// one is available.
func (a *authenticator) take(i int) time.Duration {
	rate := float64(a.tokens[i].Rate)
	now := a.clock.Now()
	a.mu.Lock()
	defer a.mu.Unlock()
	b := &a.bucket[i]
	if !b.at.IsZero() {
		b.left = min(rate, b.left+now.Sub(b.at).Seconds()*rate)
	}
	b.at = now
	if b.left < 1 {
		return time.Duration((1 - b.left) / rate * float64(time.Second))
	}
	b.left--
	return 0
}
