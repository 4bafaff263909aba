package redis

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/elevate-pim/elevate/core"
)

// chainBatch is the most Changes one script commits, so that a batch
// holds Redis for a few milliseconds at most.
const chainBatch = 128

// chainAttempts is how many times a batch is chained in Go against a head
// that other writers keep moving before the script chains it. A variable
// only so that a test can make the script chain every batch.
var chainAttempts = 4

// auditChain commits the Changes of one Store that carry audit events.
// The chain hashes (SHA-256, core.ChainHash) are computed here, in Go,
// from the head this store last saw: in Redis's Lua they cost ~0.7 ms
// each and would bound every replica to ~1 400 audited writes a second.
// The script appends the events only if the head is still the one they
// follow (apply.lua), so the chain stays exact across replicas.
//
// Changes wait in a queue while a batch is in flight, and the next batch
// takes all of them, so that one script and one round trip commit many:
// a store has one batch in flight, and its own writers never race each
// other for the head. A batch that lost the race to another replica is
// chained again from the head the script returned; after chainAttempts
// misses the script chains it itself, so no writer starves.
type auditChain struct {
	mu       sync.Mutex
	queue    []*queued
	flushing bool // a goroutine is committing the queue

	// Kept by the one flushing goroutine.
	head  core.AuditHead // as of this store's last batch
	known bool           // head is worth trying (false: read it first)

	misses atomic.Int64 // batches that met a head moved by another writer
}

// queued is a Change waiting in the chain's queue, with its caller's context.
type queued struct {
	ctx  context.Context
	e    *encoded
	done chan error
}

// commit queues e, makes sure a goroutine commits the queue, and waits for
// e's outcome or for ctx to end. A caller that stops waiting may still see
// its Change committed: the script refuses it only once its deadline has
// passed (apply.lua), as any Apply whose reply was lost.
func (c *auditChain) commit(ctx context.Context, s *Store, e *encoded) error {
	q := &queued{ctx: ctx, e: e, done: make(chan error, 1)}
	c.mu.Lock()
	c.queue = append(c.queue, q)
	if !c.flushing {
		c.flushing = true
		go c.flush(s)
	}
	c.mu.Unlock()
	select {
	case err := <-q.done:
		return err
	case <-ctx.Done():
		return live(ctx)
	}
}

// flush commits the queue batch by batch until it is empty.
func (c *auditChain) flush(s *Store) {
	for {
		batch := c.take()
		if len(batch) == 0 {
			return
		}
		c.commitBatch(s, batch)
	}
}

// take removes the next batch from the queue; when the queue is empty it
// returns none and ends the flushing.
func (c *auditChain) take() []*queued {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := min(len(c.queue), chainBatch)
	if n == 0 {
		c.flushing = false
		return nil
	}
	batch := slices.Clone(c.queue[:n])
	c.queue = slices.Delete(c.queue, 0, n)
	return batch
}

// commitBatch commits batch, chained in Go, again after a miss, and in the
// script after chainAttempts misses. Each Change's outcome goes to its caller.
func (c *auditChain) commitBatch(s *Store, batch []*queued) {
	for attempt := 0; ; {
		batch = slices.DeleteFunc(batch, func(q *queued) bool {
			if err := live(q.ctx); err != nil {
				q.done <- err // its caller has gone: never send it
				return true
			}
			return false
		})
		if len(batch) == 0 {
			return
		}
		ctx, cancel := batchContext(batch)
		retry, contended := c.try(ctx, s, batch, attempt >= chainAttempts)
		cancel()
		if contended {
			attempt++
			c.misses.Add(1)
		}
		batch = retry
	}
}

// try runs the script once on batch, chained from the head last seen
// (read first if unknown) or, with inScript, by the script. It returns
// the Changes to try again: those that met a moved head. contended says
// that another writer moved it, not a failed Change of this batch (after
// which the batch's chain no longer fits either).
func (c *auditChain) try(ctx context.Context, s *Store, batch []*queued, inScript bool) (retry []*queued, contended bool) {
	fail := func(err error) {
		c.known = false
		for _, q := range batch {
			q.done <- fmt.Errorf("redis apply: %w", err)
		}
	}
	if !c.known && !inScript {
		head, err := s.readHead(ctx)
		if err != nil {
			fail(err)
			return nil, false
		}
		c.head, c.known = head, true
	}
	head := c.head
	es := make([]*encoded, len(batch))
	for i, q := range batch {
		if inScript {
			q.e.chainHere()
		} else {
			head = q.e.chainTo(head)
		}
		es[i] = q.e
	}
	res, raw, err := s.applyBatch(ctx, es)
	if err != nil {
		fail(err)
		return nil, false
	}
	c.head, c.known = decodeHead(raw)
	failed := false
	for i, q := range batch {
		switch what, _ := res[i][0].(string); what {
		case "head":
			contended = contended || !failed
			retry = append(retry, q)
		case "ok":
			q.done <- nil
		default: // refused ("late" or a failed check): the rest of the chain no longer fits
			failed = true
			q.done <- conflict(q.e.change, res[i])
		}
	}
	return retry, contended
}

// decodeHead reads the head's JSON as the script returns it ("" for an
// empty log); ok is false when it cannot be read, so that it is read again.
func decodeHead(raw string) (head core.AuditHead, ok bool) {
	if raw == "" {
		return core.AuditHead{}, true
	}
	return head, json.Unmarshal([]byte(raw), &head) == nil
}

// batchContext bounds one script of batch by the latest deadline of its
// callers (none if one has none), and keeps the chat store wait when every
// caller is a chat interaction, so that the client behaves for the batch
// as for each of them alone.
func batchContext(batch []*queued) (context.Context, context.CancelFunc) {
	var latest time.Time
	chat := true
	for _, q := range batch {
		d, ok := q.ctx.Deadline()
		if !ok {
			return context.WithCancel(context.Background())
		}
		if d.After(latest) {
			latest = d
		}
		if _, ok := core.StoreWait(q.ctx); !ok {
			chat = false
		}
	}
	ctx := context.Background()
	if chat {
		ctx = core.WithStoreWait(ctx, time.Until(latest))
	}
	return context.WithDeadline(ctx, latest)
}
