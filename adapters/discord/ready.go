package discord

import "errors"

// Ready reports whether the adapter can take interactions: over HTTP as
// soon as Handler is mounted, in gateway mode while the gateway is connected.
func (a *Adapter) Ready() error {
	if a.cfg.Mode == ModeGateway && !a.gateway.Load() {
		return errors.New("gateway not connected")
	}
	return nil
}
