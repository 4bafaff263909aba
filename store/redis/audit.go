package redis

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/elevate-pim/elevate/core"
)

// auditPage is how many stream entries Audit reads per round trip.
const auditPage = 1000

// Audit returns every audit event in append order, and the head (the zero
// AuditHead when the log is empty). It reads the head first and then the
// stream up to the head's event, so that events appended meanwhile do not
// make the pair disagree.
func (s *Store) Audit(ctx context.Context) ([]core.AuditEvent, core.AuditHead, error) {
	if err := live(ctx); err != nil {
		return nil, core.AuditHead{}, err
	}
	head, err := s.readHead(ctx)
	if err != nil {
		return nil, core.AuditHead{}, fmt.Errorf("redis audit: %w", err)
	}
	var out []core.AuditEvent
	start := "-"
	for {
		msgs, err := s.client.XRangeN(ctx, s.keys.audit(), start, "+", auditPage).Result()
		if err != nil {
			return nil, core.AuditHead{}, fmt.Errorf("redis audit: %w", err)
		}
		for _, m := range msgs {
			raw, ok := m.Values["e"].(string)
			if !ok {
				return nil, core.AuditHead{}, fmt.Errorf("redis audit: entry %s has no event", m.ID)
			}
			var e core.AuditEvent
			if err := json.Unmarshal([]byte(raw), &e); err != nil {
				return nil, core.AuditHead{}, fmt.Errorf("redis audit: entry %s: %w", m.ID, err)
			}
			// The script chained the event: its place in the chain is in
			// fields of its own, beside the content.
			seq, _ := m.Values["seq"].(string)
			e.PrevHash, _ = m.Values["prev"].(string)
			e.Hash, _ = m.Values["hash"].(string)
			if e.Seq, err = strconv.ParseInt(seq, 10, 64); err != nil {
				return nil, core.AuditHead{}, fmt.Errorf("redis audit: entry %s: bad seq %q", m.ID, seq)
			}
			if e.Seq > head.Seq {
				return out, head, nil // appended after the head was read
			}
			out = append(out, e)
		}
		if len(msgs) < auditPage {
			return out, head, nil
		}
		if start, err = nextStreamID(msgs[len(msgs)-1].ID); err != nil {
			return nil, core.AuditHead{}, fmt.Errorf("redis audit: %w", err)
		}
	}
}

// nextStreamID returns the smallest stream id after id ("ms-seq"); XRANGE
// takes it as an inclusive start on every Redis version.
func nextStreamID(id string) (string, error) {
	ms, seq, ok := strings.Cut(id, "-")
	n, err := strconv.ParseUint(seq, 10, 64)
	if !ok || err != nil {
		return "", fmt.Errorf("bad stream id %q", id)
	}
	return ms + "-" + strconv.FormatUint(n+1, 10), nil
}
