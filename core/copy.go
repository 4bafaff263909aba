package core

// MessageCopy is one posted copy of a request's approval message: a DM to
// an approver or a post in an approvals channel, on one platform. Copies
// live in the store beside the request, so that whichever replica records a
// decision updates every copy, whoever posted it.
type MessageCopy struct {
	Platform  string `json:"platform"`
	Channel   string `json:"channel,omitempty"`   // the config's channel key, for a channel post
	Principal string `json:"principal,omitempty"` // the approver, for a DM
	ID        string `json:"id"`                  // the platform's message id
	// Shown is the request version the copy shows: an update for an older
	// version is skipped, so a late or repeated delivery never undoes a newer one.
	Shown int64 `json:"shown"`
}

// Key identifies the copy among a request's copies.
func (c MessageCopy) Key() string { return c.Platform + ":" + c.ID }
