package core

import "time"

// Window is the interval during which a principal holds a role through an
// activation. In a persistent store it is a key whose TTL is the window: its
// existence is the answer to "does P hold R now?".
type Window struct {
	Principal string    `json:"principal"`
	Role      string    `json:"role"`
	RequestID string    `json:"request_id"`
	Start     time.Time `json:"start"`
	End       time.Time `json:"end"`
}

// WindowKey names a window slot: a principal holds a role at most once.
type WindowKey struct {
	Principal string
	Role      string
}
