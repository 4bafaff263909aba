package discord

import (
	"context"
	"time"
)

// GatewayLease is the lease name under which one replica holds the gateway session.
const GatewayLease = "discord-gateway"

// defaultLeaseTTL is how long a gateway lease lasts unrenewed: the longest
// a dead holder keeps the others from taking over.
const defaultLeaseTTL = 15 * time.Second

// Leaser grants a named lease to one holder at a time; the core store
// offers it. With several replicas in gateway mode, only the replica
// holding the gateway lease keeps a gateway session open, so that each
// interaction reaches one of them. Tokens grow with every new holder.
type Leaser interface {
	// AcquireLease takes the lease for ttl when nobody holds it and
	// returns its fencing token; ok is false while another holds it.
	AcquireLease(ctx context.Context, name string, ttl time.Duration) (token int64, ok bool, err error)
	// RenewLease extends the lease for ttl if token still holds it.
	RenewLease(ctx context.Context, name string, token int64, ttl time.Duration) (bool, error)
	// ReleaseLease frees the lease if token still holds it.
	ReleaseLease(ctx context.Context, name string, token int64) error
}

// holdGateway keeps the gateway session open exactly while this replica
// holds the gateway lease, until ctx ends: it tries for the lease every
// third of its TTL, connects once it holds it, renews it as often, and
// disconnects as soon as a renewal is refused or the lease may have lapsed
// (no renewal confirmed for a TTL), so that two sessions never overlap by
// more than a network round trip. At the end it releases the lease, so
// another replica takes over at once.
func (a *Adapter) holdGateway(ctx context.Context) {
	ttl := a.cfg.LeaseTTL
	every := ttl / 3
	for {
		tok, ok, err := a.cfg.Lease.AcquireLease(ctx, GatewayLease, ttl)
		if err != nil && ctx.Err() == nil {
			a.log.Warn().Err(err).Msg("discord: cannot ask for the gateway lease; retrying")
		}
		if ok {
			a.log.Info().Int64("fencing_token", tok).Msg("discord: holding the gateway lease; connecting")
			a.serveLease(ctx, tok, ttl, every)
		}
		if !sleep(ctx, every) {
			return
		}
	}
}

// serveLease runs the gateway session while token holds the lease, then
// disconnects, and releases the lease if ctx ended.
func (a *Adapter) serveLease(ctx context.Context, token int64, ttl, every time.Duration) {
	a.holding.Store(true)
	defer a.holding.Store(false)
	held, drop := context.WithCancel(ctx)
	connected := make(chan struct{})
	go func() {
		defer close(connected)
		a.connect(held)
	}()
	confirmed := time.Now()
	for sleep(held, every) {
		renewed, err := a.cfg.Lease.RenewLease(held, GatewayLease, token, ttl)
		switch {
		case renewed:
			confirmed = time.Now()
			continue
		case err == nil:
			a.log.Warn().Int64("fencing_token", token).Msg("discord: gateway lease lost; disconnecting")
		case time.Since(confirmed)+every < ttl:
			a.log.Warn().Err(err).Msg("discord: cannot renew the gateway lease; retrying")
			continue
		default:
			a.log.Warn().Err(err).Msg("discord: gateway lease may have lapsed; disconnecting")
		}
		break
	}
	drop()
	<-connected
	if err := a.session.Close(); err != nil {
		a.log.Warn().Err(err).Msg("discord: closing the gateway session")
	}
	a.gateway.Store(false)
	if ctx.Err() != nil {
		rel, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := a.cfg.Lease.ReleaseLease(rel, GatewayLease, token); err != nil {
			a.log.Warn().Err(err).Msg("discord: releasing the gateway lease")
		}
	}
}

// sleep waits d or until ctx ends, and reports whether ctx is still live.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
