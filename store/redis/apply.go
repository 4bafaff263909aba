package redis

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/elevate-pim/elevate/core"
	goredis "github.com/redis/go-redis/v9"
)

// applyScript checks every expectation of a Change and, only if all hold,
// writes all of it. See apply.lua for its keys and arguments.
//
//go:embed apply.lua
var applySource string

var applyScript = goredis.NewScript(applySource)

// Apply retries: a Change whose audit events were chained onto a head that
// moved is chained again onto the new head, up to maxAttempts times in all,
// after a short random pause that grows with each attempt.
const (
	maxAttempts = 50
	backoffStep = 200 * time.Microsecond
	maxBackoff  = 5 * time.Millisecond
)

// Apply commits c atomically in one Lua script. It first validates c
// (EINVALID) in Go; the script then checks every expectation (ECONFLICT)
// and only when all hold writes anything. Within one Change, removals take
// effect before additions (CloseWindows before OpenWindows,
// DeleteAssignments before PutAssignments, Unschedule before Schedule).
// Errors from Redis itself come back wrapped, with no code (EINTERNAL).
func (s *Store) Apply(ctx context.Context, c core.Change) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := validate(c); err != nil {
		return err
	}
	keys, args, err := s.encode(c)
	if err != nil {
		return fmt.Errorf("redis apply: %w", err)
	}
	if len(c.Audit) == 0 {
		res, err := applyScript.Run(ctx, s.client, keys, args...).Slice()
		if err != nil {
			return fmt.Errorf("redis apply: %w", err)
		}
		return conflict(c, res)
	}

	head, err := s.auditHead(ctx)
	if err != nil {
		return err
	}
	args = args[:len(args):len(args)] // so that appending copies, leaving args for the next attempt
	for attempt := 1; ; attempt++ {
		events, newHead, err := chain(head, c.Audit)
		if err != nil {
			return fmt.Errorf("redis apply: %w", err)
		}
		args[headSeqArg] = head.Seq
		res, err := applyScript.Run(ctx, s.client, keys, append(args, events...)...).Slice()
		if err != nil {
			return fmt.Errorf("redis apply: %w", err)
		}
		if !isHeadMoved(res) {
			if err := conflict(c, res); err != nil {
				return err
			}
			s.sawHead(newHead)
			return nil
		}
		current, err := decodeHead(res)
		if err != nil {
			return fmt.Errorf("redis apply: %w", err)
		}
		if current == newHead {
			// The head is the one this attempt wrote: the script ran
			// before, and the client re-sent it after losing the reply.
			s.sawHead(newHead)
			return nil
		}
		s.sawHead(current)
		head = current
		if attempt == maxAttempts {
			return fmt.Errorf("redis apply: the audit log moved on under %d attempts in a row", maxAttempts)
		}
		pause := min(time.Duration(attempt)*backoffStep, maxBackoff)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(rand.N(pause) + 1):
		}
	}
}

// fixedKeys returns the keys every Apply script passes first, in KEYS order.
func (s *Store) fixedKeys() []string {
	k := s.keys
	return []string{k.open(), k.rev(), k.asg(), k.jobs(), k.jobData(), k.audit(), k.auditHead()}
}

// headSeqArg is the index in the script's arguments of the audit head
// sequence number that the Change's events were chained onto.
const headSeqArg = 11

// encode lays c out as the script's keys and arguments, all but the audit
// events and the new head, which depend on the head each attempt chains onto.
func (s *Store) encode(c core.Change) ([]string, []any, error) {
	mfa := 0
	if c.MFA != nil {
		mfa = 1
	}
	rev := ""
	if c.HoldersRev != nil {
		rev = strconv.FormatInt(*c.HoldersRev, 10)
	}
	keys := s.fixedKeys()
	args := []any{
		len(c.Requests), len(c.Slots), len(c.CloseWindows), len(c.OpenWindows),
		len(c.DeleteAssignments), len(c.PutAssignments), mfa,
		len(c.Unschedule), len(c.Schedule), len(c.Audit),
		rev, int64(0), // headSeqArg
	}

	for _, w := range c.Requests {
		keys = append(keys, s.keys.request(w.Request.ID))
	}
	for _, w := range c.Slots {
		keys = append(keys, s.keys.slot(w.Principal, w.Role))
	}
	for _, k := range c.CloseWindows {
		keys = append(keys, s.keys.windowOf(k), s.keys.windowIndex(k.Role))
	}
	for _, w := range c.OpenWindows {
		keys = append(keys, s.keys.window(w.Window.Principal, w.Window.Role), s.keys.windowIndex(w.Window.Role))
	}
	if c.MFA != nil {
		keys = append(keys, s.keys.mfa(c.MFA.Record.Principal))
	}

	for _, w := range c.Requests {
		r := w.Request.Clone()
		r.Version = w.Expect + 1
		b, err := json.Marshal(r)
		if err != nil {
			return nil, nil, fmt.Errorf("encode request %s: %w", r.ID, err)
		}
		open := 0
		if !r.State.Final() {
			open = 1
		}
		args = append(args, r.ID, w.Expect, b, open)
	}
	for _, w := range c.Slots {
		args = append(args, w.Expect, w.Set)
	}
	for _, k := range c.CloseWindows {
		args = append(args, k.Principal)
	}
	for _, w := range c.OpenWindows {
		args = append(args, w.Window.Principal, encodeWindow(w.Window), ttlMillis(w.TTL))
	}
	for _, k := range c.DeleteAssignments {
		args = append(args, k)
	}
	for _, a := range c.PutAssignments {
		b, err := json.Marshal(a)
		if err != nil {
			return nil, nil, fmt.Errorf("encode assignment %s: %w", a.Key(), err)
		}
		args = append(args, a.Key(), b)
	}
	if m := c.MFA; m != nil {
		r := *m.Record
		r.Version = m.Expect + 1
		b, err := json.Marshal(r)
		if err != nil {
			return nil, nil, fmt.Errorf("encode MFA record of %s: %w", r.Principal, err)
		}
		args = append(args, m.Expect, b)
	}
	for _, id := range c.Unschedule {
		args = append(args, id)
	}
	for _, j := range c.Schedule {
		b, err := encodeJob(j)
		if err != nil {
			return nil, nil, err
		}
		args = append(args, j.ID(), j.Due.UnixMilli(), b)
	}
	return keys, args, nil
}

// ttlMillis is d in whole milliseconds, the precision of PX, rounded up so
// that a positive TTL never becomes zero.
func ttlMillis(d time.Duration) int64 {
	return int64((d + time.Millisecond - 1) / time.Millisecond)
}

// chain returns the script's audit arguments: events chained onto head,
// encoded, then the encoded head after them. It also returns that head.
func chain(head core.AuditHead, events []core.AuditEvent) ([]any, core.AuditHead, error) {
	out := make([]any, 0, len(events)+1)
	for _, e := range events {
		e = core.Chain(head, e)
		b, err := json.Marshal(e)
		if err != nil {
			return nil, core.AuditHead{}, fmt.Errorf("encode audit event %d: %w", e.Seq, err)
		}
		out = append(out, b)
		head = core.AuditHead{Seq: e.Seq, Hash: e.Hash}
	}
	b, err := json.Marshal(head)
	if err != nil {
		return nil, core.AuditHead{}, fmt.Errorf("encode audit head: %w", err)
	}
	return append(out, b), head, nil
}

// auditHead returns the head this Store last saw, reading it from Redis the
// first time.
func (s *Store) auditHead(ctx context.Context) (core.AuditHead, error) {
	s.mu.Lock()
	head, known := s.head, s.headKnown
	s.mu.Unlock()
	if known {
		return head, nil
	}
	head, err := s.readHead(ctx)
	if err != nil {
		return core.AuditHead{}, fmt.Errorf("redis apply: %w", err)
	}
	s.sawHead(head)
	return head, nil
}

// sawHead records head as the newest this Store knows of. Heads only move
// forward, so an older one (from a slower concurrent Apply) is ignored.
func (s *Store) sawHead(head core.AuditHead) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.headKnown || head.Seq >= s.head.Seq {
		s.head, s.headKnown = head, true
	}
}

// readHead reads the audit head from Redis: the zero head when the log is empty.
func (s *Store) readHead(ctx context.Context) (core.AuditHead, error) {
	raw, err := s.client.Get(ctx, s.keys.auditHead()).Bytes()
	if errors.Is(err, goredis.Nil) {
		return core.AuditHead{}, nil
	} else if err != nil {
		return core.AuditHead{}, fmt.Errorf("read audit head: %w", err)
	}
	var head core.AuditHead
	if err := json.Unmarshal(raw, &head); err != nil {
		return core.AuditHead{}, fmt.Errorf("decode audit head: %w", err)
	}
	return head, nil
}

// isHeadMoved reports whether the script refused a Change because the
// audit head moved since its events were chained.
func isHeadMoved(res []any) bool { return len(res) > 0 && res[0] == "head" }

// decodeHead returns the current head that a "head" result carries.
func decodeHead(res []any) (core.AuditHead, error) {
	raw, _ := res[len(res)-1].(string)
	if raw == "" {
		return core.AuditHead{}, nil
	}
	var head core.AuditHead
	if err := json.Unmarshal([]byte(raw), &head); err != nil {
		return core.AuditHead{}, fmt.Errorf("decode audit head: %w", err)
	}
	return head, nil
}

// conflict turns the script's result into nil ({"ok"}) or the ECONFLICT
// that the memory store returns for the same failed expectation
// ({what, index, have}).
func conflict(c core.Change, res []any) error {
	if len(res) == 0 {
		return errors.New("redis apply: empty script result")
	}
	what, _ := res[0].(string)
	if what == "ok" {
		return nil
	}
	if len(res) != 3 {
		return fmt.Errorf("redis apply: unexpected script result %v", res)
	}
	i, _ := res[1].(int64)
	switch what {
	case "request":
		have, _ := res[2].(int64)
		w := c.Requests[i]
		if w.Expect == 0 {
			return core.Errorf(core.ECONFLICT, "Request %s already exists.", w.Request.ID)
		}
		return core.Errorf(core.ECONFLICT, "Request %s changed meanwhile (version %d, expected %d).", w.Request.ID, have, w.Expect)
	case "slot":
		have, _ := res[2].(string)
		w := c.Slots[i]
		if have != "" {
			return core.Errorf(core.ECONFLICT, "%s already has an open request for %s (%s).", w.Principal, w.Role, have)
		}
		return core.Errorf(core.ECONFLICT, "The open request of %s for %s changed meanwhile.", w.Principal, w.Role)
	case "holders":
		have, _ := res[2].(int64)
		return core.Errorf(core.ECONFLICT, "Role holders changed meanwhile (revision %d, expected %d).", have, *c.HoldersRev)
	case "mfa":
		have, _ := res[2].(int64)
		return core.Errorf(core.ECONFLICT, "The MFA record of %s changed meanwhile (version %d, expected %d).", c.MFA.Record.Principal, have, c.MFA.Expect)
	}
	return fmt.Errorf("redis apply: unexpected script result %v", res)
}
