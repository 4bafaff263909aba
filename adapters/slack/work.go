package slack

import (
	"fmt"
	"runtime/debug"
	"sync"

	"github.com/rs/zerolog"
)

// pool runs background jobs, at most workers at once. Up to queue more may
// wait for a worker; beyond that go blocks until there is room, so work is
// never dropped and a flood slows acknowledgements instead of exhausting memory.
type pool struct {
	run   chan struct{} // a token per running job
	slots chan struct{} // a token per accepted, unfinished job
	wg    sync.WaitGroup
	log   zerolog.Logger
}

func newPool(workers, queue int, log zerolog.Logger) *pool {
	return &pool{run: make(chan struct{}, workers), slots: make(chan struct{}, workers+queue), log: log}
}

// go accepts job; it returns once the job is queued, not when it has run.
func (p *pool) goJob(kind string, job func()) {
	select {
	case p.slots <- struct{}{}:
	default:
		p.log.Warn().Str("kind", kind).Int("queued", cap(p.slots)).Msg("work queue full: waiting for room before acknowledging")
		p.slots <- struct{}{}
	}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		defer func() { <-p.slots }()
		p.run <- struct{}{}
		defer func() { <-p.run }()
		defer func() {
			if r := recover(); r != nil {
				p.log.Error().Str("kind", kind).Str("panic", fmt.Sprint(r)).Str("stack", string(debug.Stack())).Msg("background job panicked")
			}
		}()
		job()
	}()
}

// wait blocks until every accepted job has finished.
func (p *pool) wait() { p.wg.Wait() }
