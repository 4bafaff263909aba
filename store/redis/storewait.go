package redis

import (
	"context"

	"github.com/elevate-pim/elevate/core"
)

// bounded returns ctx cut to what is left of the store wait
// core.WithStoreWait set on it, and a done func that charges the call's
// time to that wait; without one it returns ctx as it is.
func bounded(ctx context.Context) (context.Context, func()) {
	ctx, done, _ := core.StoreCall(ctx)
	return ctx, done
}

// deadlineArg is the Apply script's deadline argument: ctx's deadline in
// Unix milliseconds, or "" when it has none. A script that Redis only
// runs after it (Redis was paused and the caller gave up) changes nothing,
// so a caller told "unavailable" never sees a late success. It compares
// Redis's clock with this host's: they are expected to agree (NTP).
func deadlineArg(ctx context.Context) any {
	if d, ok := ctx.Deadline(); ok {
		return d.UnixMilli()
	}
	return ""
}
