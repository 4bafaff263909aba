package notifications

// Pending is how many notices this process is delivering right now: the
// notification backlog that metrics export. Notices not yet taken up wait
// in the store's outbox, where every replica sees them.
func (n *Notifier) Pending() int { return int(n.pending.Load()) }
