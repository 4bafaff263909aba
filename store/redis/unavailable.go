package redis

import (
	"context"
	"errors"
	"io"
	"net"
	"syscall"
	"time"

	"github.com/elevate-pim/elevate/core"
	goredis "github.com/redis/go-redis/v9"
)

// unavailable returns err as core's EUNAVAILABLE when it says that Redis
// could not be reached in time: refused or dropped connections, timeouts,
// an exhausted pool, a closed client, a deadline that ran out. Other errors
// (a script error, a decode failure, a cancelled caller) are returned as they are.
func unavailable(err error) error {
	if err == nil || core.ErrorCode(err) == core.EUNAVAILABLE {
		return err
	}
	var netErr net.Error
	switch {
	case errors.As(err, &netErr),
		errors.Is(err, context.DeadlineExceeded),
		errors.Is(err, goredis.ErrClosed),
		errors.Is(err, goredis.ErrPoolTimeout),
		errors.Is(err, goredis.ErrPoolExhausted),
		errors.Is(err, io.EOF),
		errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNREFUSED),
		errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.EPIPE):
		return core.Unavailable(err)
	}
	return err
}

// redialEvery is how often a chat command's call tries again to reach a
// Redis it could not connect to.
const redialEvery = 50 * time.Millisecond

// dialFailed reports whether err is a failure to connect: the command was
// not sent, so trying again cannot run it twice.
func dialFailed(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// live is ctx.Err() as a store call reports it: a deadline that has already
// passed means the store could not be asked in time.
func live(ctx context.Context) error {
	return unavailable(ctx.Err())
}

// unavailableHook bounds every command and pipeline of the store's client
// by what is left of the caller's store wait (core.WithStoreWait) and makes it
// report unreachability as EUNAVAILABLE, so that no store method, present or
// future, can hand core a bare network error.
type unavailableHook struct{}

func (unavailableHook) DialHook(next goredis.DialHook) goredis.DialHook { return next }

func (unavailableHook) ProcessHook(next goredis.ProcessHook) goredis.ProcessHook {
	return func(ctx context.Context, cmd goredis.Cmder) error {
		ctx, done, chat := core.StoreCall(ctx)
		defer done()
		for {
			err := next(ctx, cmd)
			// Nothing was sent. After a run of failed dials go-redis
			// refuses to dial for up to a second after Redis is back: a
			// chat command keeps trying within its store wait, so that
			// the first command after an outage succeeds.
			if !chat || !dialFailed(err) || !redial(ctx) {
				return unavailable(err)
			}
		}
	}
}

func (unavailableHook) ProcessPipelineHook(next goredis.ProcessPipelineHook) goredis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []goredis.Cmder) error {
		ctx, done, chat := core.StoreCall(ctx)
		defer done()
		for {
			err := next(ctx, cmds)
			if chat && dialFailed(err) && redial(ctx) {
				continue // nothing was sent: as for a single command
			}
			for _, c := range cmds {
				if cerr := c.Err(); cerr != nil {
					c.SetErr(unavailable(cerr))
				}
			}
			return unavailable(err)
		}
	}
}

// redial waits before a chat call tries to connect again, and reports
// false when its store wait has run out instead.
func redial(ctx context.Context) bool {
	select {
	case <-ctx.Done():
		return false
	case <-time.After(redialEvery):
		return true
	}
}
