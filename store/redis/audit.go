package redis

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/elevate-pim/elevate/core"
)

// AuditRange returns up to limit events after the sequence number after,
// in one XRANGE: an event's stream entry id is 0-SEQ (see apply.lua), so
// the range starts at 0-(after+1). When the range reaches past the chained
// events, what is pending is sealed first (seal.go) and read too.
func (s *Store) AuditRange(ctx context.Context, after int64, limit int) ([]core.AuditEvent, error) {
	if err := live(ctx); err != nil {
		return nil, err
	}
	if err := core.ValidateAuditRange(after, limit); err != nil {
		return nil, err
	}
	out, err := s.auditRange(ctx, after, limit, nil)
	if err != nil || len(out) == limit {
		return out, err
	}
	head, err := s.seal(ctx)
	if err != nil {
		return nil, err
	}
	if len(out) > 0 {
		after = out[len(out)-1].Seq
	}
	if head.Seq <= after {
		return out, nil
	}
	return s.auditRange(ctx, after, limit-len(out), out)
}

// auditRange appends up to limit chained events after the sequence number
// after to out.
func (s *Store) auditRange(ctx context.Context, after int64, limit int, out []core.AuditEvent) ([]core.AuditEvent, error) {
	msgs, err := s.client.XRangeN(ctx, s.keys.audit(), "0-"+strconv.FormatInt(after+1, 10), "+", int64(limit)).Result()
	if err != nil {
		return nil, fmt.Errorf("redis audit: %w", err)
	}
	n := len(out)
	out = append(out, make([]core.AuditEvent, len(msgs))...)
	for i, m := range msgs {
		if err := decodeEvent(m.ID, m.Values, &out[n+i]); err != nil {
			return nil, fmt.Errorf("redis audit: %w", err)
		}
	}
	return out, nil
}

// decodeEvent reads a stream entry into e: the content the writer encoded,
// and the place in the chain that the script gave it, in fields of their own.
func decodeEvent(id string, values map[string]any, e *core.AuditEvent) error {
	raw, ok := values["e"].(string)
	if !ok {
		return fmt.Errorf("entry %s has no event", id)
	}
	if err := json.Unmarshal([]byte(raw), e); err != nil {
		return fmt.Errorf("entry %s: %w", id, err)
	}
	ms, seq, ok := strings.Cut(id, "-")
	n, err := strconv.ParseInt(seq, 10, 64)
	if !ok || ms != "0" || err != nil {
		return fmt.Errorf("entry %s: not an audit sequence id", id)
	}
	e.Seq = n
	e.PrevHash, _ = values["prev"].(string)
	e.Hash, _ = values["hash"].(string)
	return nil
}

// AuditHead returns the head, the zero AuditHead when the log is empty,
// after sealing what is pending: every event appended before the call.
func (s *Store) AuditHead(ctx context.Context) (core.AuditHead, error) {
	if err := live(ctx); err != nil {
		return core.AuditHead{}, err
	}
	return s.seal(ctx)
}
