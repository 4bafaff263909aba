package discord

import "errors"

// Ready reports whether the adapter does its part: over HTTP as soon as
// Handler is mounted; in gateway mode while the gateway is connected, or,
// with a gateway lease, while another replica holds it (this one stands by).
func (a *Adapter) Ready() error {
	if a.cfg.Mode != ModeGateway || a.gateway.Load() {
		return nil
	}
	if a.cfg.Lease != nil && !a.holding.Load() {
		return nil
	}
	return errors.New("gateway not connected")
}
