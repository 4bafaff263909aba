package core

import (
	"context"
	"fmt"
)

// AuditReader is the part of a Store that reads the audit trail. Readers
// take the trail in chunks from a cursor (a sequence number), so that
// export, verification and the API stream it in constant memory however
// long it grows.
type AuditReader interface {
	// AuditRange returns up to limit events with sequence numbers above
	// after, in append order. Fewer than limit means the trail ended there
	// when it was read. limit must be positive (EINVALID otherwise).
	AuditRange(ctx context.Context, after int64, limit int) ([]AuditEvent, error)
	// AuditHead returns the newest event's sequence number and hash, the
	// zero AuditHead when the trail is empty.
	AuditHead(ctx context.Context) (AuditHead, error)
}

// AuditChunk is how many events ScanAudit asks a store for at once: enough
// that round trips cost little, few enough that memory stays flat (a few MB).
const AuditChunk = 4096

// ScanAudit calls fn with each event after the cursor after, in order, up
// to the head as read when the scan starts, and returns that head. Events
// appended during the scan are left for the next one (resume from the
// returned head's Seq), so the events seen and the head agree. fn must not
// keep the pointer; an error from fn ends the scan and is returned.
func ScanAudit(ctx context.Context, r AuditReader, after int64, fn func(*AuditEvent) error) (AuditHead, error) {
	head, err := r.AuditHead(ctx)
	if err != nil {
		return AuditHead{}, err
	}
	// While fn works through one chunk, the next is already being read:
	// the store's round trip and decoding overlap the caller's work (a
	// verifier's hashing), and at most two chunks are held at once.
	fetch := func(after int64) <-chan auditChunk {
		c := make(chan auditChunk, 1)
		if after >= head.Seq {
			c <- auditChunk{}
			return c
		}
		go func() {
			events, err := r.AuditRange(ctx, after, int(min(AuditChunk, head.Seq-after)))
			c <- auditChunk{events, err}
		}()
		return c
	}
	next := fetch(after)
	for {
		chunk := <-next
		if chunk.err != nil {
			return head, chunk.err
		}
		events := chunk.events
		if len(events) == 0 {
			return head, nil // done, or the trail ends before its head: VerifyAudit says so
		}
		next = fetch(events[len(events)-1].Seq)
		for i := range events {
			if events[i].Seq > head.Seq {
				<-next
				return head, nil // a gap made the chunk reach past the head
			}
			if err := fn(&events[i]); err != nil {
				<-next
				return head, err
			}
		}
	}
}

// auditChunk is one AuditRange result.
type auditChunk struct {
	events []AuditEvent
	err    error
}

// ReadAudit returns the events of r that match f, in order, and the head
// they were read up to. It holds the matching events in memory: for chat
// attachments and tests; stream with ScanAudit wherever the trail may be long.
func ReadAudit(ctx context.Context, r AuditReader, f AuditFilter) ([]AuditEvent, AuditHead, error) {
	var out []AuditEvent
	head, err := ScanAudit(ctx, r, 0, func(e *AuditEvent) error {
		if f.Match(*e) {
			out = append(out, *e)
		}
		return nil
	})
	return out, head, err
}

// AuditVerifier checks a hash chain event by event, in constant memory:
// Add each event in append order, then End with the recorded head.
type AuditVerifier struct {
	prev AuditHead
	n    int64
}

// VerifierFrom returns a verifier of a trail that continues after
// checkpoint, the last event trimmed from it (see Store.TrimAudit).
func VerifierFrom(checkpoint AuditHead) *AuditVerifier {
	return &AuditVerifier{prev: checkpoint}
}

// Add checks that e follows the events added before it. It returns an
// error naming e when the chain breaks there.
func (v *AuditVerifier) Add(e *AuditEvent) error {
	switch {
	case e.Seq != v.prev.Seq+1:
		return fmt.Errorf("audit event %d: expected sequence %d: an event was removed before it", e.Seq, v.prev.Seq+1)
	case e.PrevHash != v.prev.Hash:
		return fmt.Errorf("audit event %d: previous hash does not match event %d: the chain is broken", e.Seq, v.prev.Seq)
	case e.ComputeHash() != e.Hash:
		return fmt.Errorf("audit event %d: content does not match its hash: the event was altered", e.Seq)
	}
	v.prev = AuditHead{Seq: e.Seq, Hash: e.Hash}
	v.n++
	return nil
}

// End checks that the chain ends at head, so that removing the newest
// events is detected too.
func (v *AuditVerifier) End(head AuditHead) error {
	if v.prev != head {
		return fmt.Errorf("audit event %d: the log ends at %d but the recorded head is %d: events were removed from the end", v.prev.Seq+1, v.prev.Seq, head.Seq)
	}
	return nil
}

// Count is how many events were added and verified.
func (v *AuditVerifier) Count() int64 { return v.n }

// VerifyAudit checks the hash chain of events (in append order) against head.
// It returns nil when intact and otherwise an error naming the first broken event.
func VerifyAudit(events []AuditEvent, head AuditHead) error {
	var v AuditVerifier
	for i := range events {
		if err := v.Add(&events[i]); err != nil {
			return err
		}
	}
	return v.End(head)
}

// VerifyStoredAudit verifies r's whole trail against its head, streaming,
// and returns how many events it checked.
func VerifyStoredAudit(ctx context.Context, r AuditReader) (int64, error) {
	var v AuditVerifier
	head, err := ScanAudit(ctx, r, 0, v.Add)
	if err == nil {
		err = v.End(head)
	}
	return v.Count(), err
}

// ValidateAuditRange rejects an audit range whose cursor is negative or
// whose limit is not positive.
func ValidateAuditRange(after int64, limit int) error {
	if after < 0 {
		return Errorf(EINVALID, "An audit cursor must not be negative, not %d.", after)
	}
	if limit <= 0 {
		return Errorf(EINVALID, "An audit range limit must be positive, not %d.", limit)
	}
	return nil
}
