package notifications

// Pending is how many events wait in the queue to be posted (zero before
// Start, when posting is synchronous): the notification backlog that
// metrics export.
func (n *Notifier) Pending() int { return len(n.queue) }
