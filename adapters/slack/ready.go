package slack

import "errors"

// Ready reports whether the adapter can take Slack's deliveries: over
// HTTP as soon as Handler is mounted, in Socket Mode while connected.
func (a *Adapter) Ready() error {
	if a.cfg.AppToken != "" && !a.socket.Load() {
		return errors.New("socket mode not connected")
	}
	return nil
}
