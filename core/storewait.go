package core

import (
	"context"
	"sync/atomic"
	"time"
)

// storeWaitKey is the context key of WithStoreWait.
type storeWaitKey struct{}

// storeWait is what is left of one interaction's store wait, in
// nanoseconds; inCall marks the context of a store call already bounded by it.
type storeWait struct {
	left   atomic.Int64
	inCall bool
}

// WithStoreWait returns ctx marked so that the store calls made for it wait
// at most d in all: a chat interaction sets it so that its user is answered
// within its deadline even while the store hangs, however many store calls
// the command makes. Each call is bounded by what is left and charged the
// time it took. Work that is not a store call (a target's grant) keeps
// ctx's own deadline and is not charged.
func WithStoreWait(ctx context.Context, d time.Duration) context.Context {
	w := &storeWait{}
	w.left.Store(int64(d))
	return context.WithValue(ctx, storeWaitKey{}, w)
}

// StoreWait returns what is left of the store wait set on ctx (zero when
// it is spent), and whether ctx has one.
func StoreWait(ctx context.Context) (time.Duration, bool) {
	w, ok := ctx.Value(storeWaitKey{}).(*storeWait)
	if !ok {
		return 0, false
	}
	return max(0, time.Duration(w.left.Load())), true
}

// StoreCall bounds one store call made for ctx by what is left of ctx's
// store wait, and done charges the call's time to it. chat says that ctx
// has a store wait: a store may then retry a failed dial within the bound.
// Inside a call already bounded (a store method whose commands pass
// through a client hook) it bounds nothing more and charges nothing twice.
// The wait is measured on the wall clock: it bounds real waiting.
func StoreCall(ctx context.Context) (bounded context.Context, done func(), chat bool) {
	w, ok := ctx.Value(storeWaitKey{}).(*storeWait)
	switch {
	case !ok:
		return ctx, func() {}, false
	case w.inCall:
		return ctx, func() {}, true
	}
	start := time.Now()
	bounded, cancel := context.WithTimeout(context.WithValue(ctx, storeWaitKey{}, &storeWait{inCall: true}), max(0, time.Duration(w.left.Load())))
	return bounded, func() {
		cancel()
		w.left.Add(-int64(time.Since(start)))
	}, true
}

// noStoreWait marks a context whose store calls are not charged to the
// interaction it came from.
type noStoreWait struct{}

// withoutStoreWait returns ctx without its interaction's store wait: for
// work that outlives the interaction's answer (a held job's heartbeat,
// notices delivered in the background), which must not fail because the
// interaction spent its wait.
func withoutStoreWait(ctx context.Context) context.Context {
	return context.WithValue(ctx, storeWaitKey{}, noStoreWait{})
}
