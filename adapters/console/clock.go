package console

import (
	"sync"
	"time"
)

// SkipClock is the wall clock plus an offset that ":skip" moves forward, so
// a demo can watch a two-hour window expire without waiting two hours.
type SkipClock struct {
	mu     sync.Mutex
	offset time.Duration
}

// Now returns the wall-clock time plus the skipped time.
func (c *SkipClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

// Skip moves the clock forward by d.
func (c *SkipClock) Skip(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset += d
}
