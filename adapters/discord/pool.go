package discord

import (
	"sync"

	"github.com/rs/zerolog"
)

// pool runs interaction work on a fixed number of workers with a bounded
// backlog, so a burst of clicks cannot start unbounded goroutines against
// the store, and a full backlog is answered rather than dropped.
type pool struct {
	jobs chan func()
	wg   sync.WaitGroup
	log  zerolog.Logger

	mu     sync.RWMutex
	closed bool
}

func newPool(workers, queue int, log zerolog.Logger) *pool {
	p := &pool{jobs: make(chan func(), queue), log: log}
	p.wg.Add(workers)
	for range workers {
		go func() {
			defer p.wg.Done()
			for f := range p.jobs {
				f()
			}
		}()
	}
	return p
}

// submit queues f, or reports false when the backlog is full or the pool closed.
func (p *pool) submit(f func()) bool {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.closed {
		return false
	}
	select {
	case p.jobs <- f:
		return true
	default:
		return false
	}
}

// close stops taking jobs; queued ones still run.
func (p *pool) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.closed {
		p.closed = true
		close(p.jobs)
	}
}

// wait blocks until the workers have run every queued job.
func (p *pool) wait() { p.wg.Wait() }
