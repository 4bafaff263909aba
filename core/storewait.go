package core

import (
	"context"
	"time"
)

// storeWaitKey is the context key of WithStoreWait.
type storeWaitKey struct{}

// WithStoreWait returns ctx marked so that each store call made for it
// waits at most d for the store: a chat interaction sets it so that its
// user is answered within its deadline even while the store hangs. Work
// that is not a store call (a target's grant) keeps ctx's own deadline.
func WithStoreWait(ctx context.Context, d time.Duration) context.Context {
	return context.WithValue(ctx, storeWaitKey{}, d)
}

// StoreWait returns the bound WithStoreWait set on ctx, if any.
func StoreWait(ctx context.Context) (time.Duration, bool) {
	d, ok := ctx.Value(storeWaitKey{}).(time.Duration)
	return d, ok && d > 0
}
